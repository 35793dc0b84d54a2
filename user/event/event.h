/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel event records as warden.v1.Event messages (proto/warden/v1/event.proto): the context
 * a sandbox gives them, the conversion, and the packer. The records they travel in (framing,
 * reading, decoding, JSON) are pb/'s, included here for the callers that use both. */
#ifndef WD_EVENT_PB_H
#define WD_EVENT_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/proc.h"
#include "pb/arena.h"
#include "pb/frame.h"
#include "pb/json.h"
#include "pb/reader.h"
#include "pb/wire.h"
#include "warden/abi.h"
#include "warden/v1/event.pb-c.h"

#define WD_PB_ANCESTRY_MAX 16
#define WD_PB_LABELS_MAX   64

struct wd_label {
	const char *key;
	const char *value;
};

/* The text of rule @rule_id, or NULL. */
typedef const char *(*wd_rule_text_fn)(void *arg, uint32_t rule_id);

/* What the kernel record lacks. One per sandbox; none of it is copied, so it must outlive the
 * conversion. The counters hold the last number handed out: the caller owns them, the node
 * counter shared by every sandbox of the node, and each conversion advances them. */
struct wd_event_ctx {
	const char *identity;
	const struct wd_label *labels;
	size_t n_labels;
	const char *sandbox_id;
	const char *cgroup_path;
	uint64_t cgroup_id; /* used when the record has none (events warden makes) */
	const char *policy_name;
	const char *node;
	const char *boot_id; /* for exec_id; NULL or "": the node name stands in */
	/* CLOCK_REALTIME minus CLOCK_BOOTTIME in ns, to turn the kernel's time into wall-clock
	 * time; 0: measured at each conversion. */
	int64_t boot_to_wall_ns;
	wd_rule_text_fn rule_text;
	void *rule_text_arg;
	wd_proc_lookup_fn proc_lookup; /* NULL: no gid, exec_id or ancestry */
	void *proc_lookup_arg;
	/* For wd_event_pack(): a number that grows whenever proc_lookup may answer differently
	 * for any pid (wd_proc_cache_ctx() sets it), and for how long (in event time) what it
	 * answered may be reused; NULL: processes are looked up for every event. */
	const uint64_t *proc_gen;
	uint64_t proc_keep_ns;
	uint64_t *node_seq;    /* NULL: seq stays 0 */
	uint64_t *sandbox_seq; /* NULL: sandbox_seq stays 0 (events of no single sandbox) */
	/* For wd_event_pack(): a number from wd_event_ctx_gen(), taken anew whenever anything
	 * above or a rule text changes; 0: nothing of this context is kept between events. */
	uint64_t gen;
};

/* A number for wd_event_ctx.gen that no context of this process had before. */
uint64_t wd_event_ctx_gen(void);

/* One converted event: the message and everything it points to, so that converting needs no
 * allocation. Large (about 40 KiB): allocate it once and reuse it. Its pointers point into
 * itself and into the context, so it must not be copied by value. */
struct wd_pb_event {
	Warden__V1__Event ev;
	Warden__V1__Header hdr;
	Warden__V1__Identity id;
	Warden__V1__Identity__LabelsEntry label[WD_PB_LABELS_MAX];
	Warden__V1__Identity__LabelsEntry *label_p[WD_PB_LABELS_MAX];
	Warden__V1__Sandbox sb;
	Warden__V1__Process proc;
	Warden__V1__Ancestor anc[WD_PB_ANCESTRY_MAX];
	Warden__V1__Ancestor *anc_p[WD_PB_ANCESTRY_MAX];
	Warden__V1__Rule rule;
	union {
		Warden__V1__Exec exec;
		Warden__V1__FileOpen file_open;
		Warden__V1__Connect connect;
		Warden__V1__ExecMapping exec_mapping;
		Warden__V1__SocketCreate socket_create;
		Warden__V1__Confinement confinement;
		Warden__V1__Lifecycle lifecycle;
	} act;
	uint8_t addr[16];
	size_t arena_used;
	char arena[36 * 1024]; /* strings made valid UTF-8, rule texts, exec ids */
};

/* Converts one kernel record. Returns 0, -EINVAL for a record of another ABI version or an
 * unknown type, or -ENOBUFS if the strings do not fit (labels too many or too long). A
 * WD_EV_LOST record becomes a Lifecycle EVENTS_LOST event as wd_event_lost_to_pb() makes it. */
int wd_event_to_pb(const struct wd_event *e, const struct wd_event_ctx *ctx,
		   struct wd_pb_event *out);

/* Converts and packs kernel records, keeping what every event of a context says alike (the
 * identity, sandbox and policy name, and each rule) packed per wd_event_ctx.gen, and each
 * process (with its ancestry) while the pid cache's answers stand (wd_event_ctx.proc_gen), so
 * that only the event's own fields are packed each time. One per consumer thread. */
struct wd_pb_packer;
struct wd_pb_packer *wd_pb_packer_new(void);
void wd_pb_packer_free(struct wd_pb_packer *pk);

/* Converts @e as wd_event_to_pb() does and packs the message (no length prefix) into @buf:
 * the same fields and values, the parts after the event's own fields. Returns 0 with the length
 * in @len; -EINVAL, -ENOBUFS as wd_event_to_pb(); -EMSGSIZE over @cap or WD_PB_RECORD_MAX;
 * -ENOMEM. @seq gets the node seq the event took (0 if none), errors after numbering included,
 * so that a caller can report the gap. */
int wd_event_pack(struct wd_pb_packer *pk, const struct wd_event *e, const struct wd_event_ctx *ctx,
		  uint8_t *buf, size_t cap, size_t *len, uint64_t *seq);
/* A ring buffer record as a struct wd_event: @data itself, or for a short record
 * (WD_EVENT_SHORT_SIZE bytes: no exe, no path) its copy in @buf with both empty; NULL if it is
 * no record of this ABI (too short, another version, a size that does not match). */
const struct wd_event *wd_event_from_ring(const void *data, size_t size, struct wd_event *buf);

/* For a node's EVENTS_LOST event (seq > 0): the node seq numbers of the events it reports lost,
 * so that a sink dropping it can report them itself; 0, 0 for any other event. */
void wd_event_lost_range(const Warden__V1__Event *ev, uint64_t *first, uint64_t *n);

/* After wd_event_pack() of a WD_EV_LOST record (seq > 0): the node seq numbers the lost events
 * were given, so that a sink dropping the record can report them itself; 0, 0 for others. */
void wd_pb_packer_lost_range(const struct wd_pb_packer *pk, uint64_t *first, uint64_t *n);

/* @ev (decoded) back into a kernel record in @e, for wd_event_format(): false for an action that
 * is no kernel record's (Lifecycle, or one newer than this code). */
bool wd_event_from_pb(const Warden__V1__Event *ev, struct wd_event *e);

/* An event warden makes itself: @kind is a Lifecycle kind, @detail free text (may be NULL). */
int wd_event_lifecycle_to_pb(const struct wd_event_ctx *ctx, Warden__V1__Lifecycle__Kind kind,
			     const char *detail, struct wd_pb_event *out);

/* EVENTS_LOST for @count events: sets aside @count node seq numbers for them (reported as
 * lost_first_seq..lost_last_seq), then takes the next one for itself. */
int wd_event_lost_to_pb(const struct wd_event_ctx *ctx, uint64_t count, const char *detail,
			struct wd_pb_event *out);

#endif
