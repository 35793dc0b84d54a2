/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The event context of sandboxes: what the events of `warden run`'s sandbox and of each of the
 * daemon's say about the node and about the sandbox, and the functions both use to turn kernel
 * records and warden's own events (lifecycle, losses) into exported events. */
#ifndef WD_SANDBOX_CONTEXT_H
#define WD_SANDBOX_CONTEXT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

struct wd_cgroup;
struct wd_pipeline;

/* The node's side: one per warden process. */
struct wd_sb_node {
	char name[256];		  /* the node's name in events: the config's node, or uname -n */
	char boot_id[40];	  /* for exec ids */
	uint64_t *seq;		  /* the node's event counter (a shared page); NULL: none */
	struct wd_proc_cache *pc; /* what /proc said about pids, for every context */
	struct wd_pb_event *pbe;  /* events warden makes (lifecycle, losses) */
	struct wd_pb_packer *pk;  /* kernel records */
	struct wd_event_ctx ctx;  /* events of no single sandbox */
};

/* Fills @n: the name (@name, NULL: uname -n), the boot id, the pid cache and buffers, and the
 * node's counter at @seq_path (NULL: none yet; wd_sb_node_seq() may open it later). Returns 0
 * or -errno with @err saying what failed; wd_sb_node_close() either way. */
int wd_sb_node_open(struct wd_sb_node *n, const char *name, const char *seq_path, char *err,
		    size_t errlen);
/* Opens the node's counter at @path ("cannot open the node's event counter PATH: why"). */
int wd_sb_node_seq(struct wd_sb_node *n, const char *path, char *err, size_t errlen);
void wd_sb_node_close(struct wd_sb_node *n);

/* Measures CLOCK_REALTIME minus CLOCK_BOOTTIME into n->ctx.boot_to_wall_ns and returns it, for
 * the events' wall-clock times: once per round of the caller's loop (so a stepped clock is
 * followed), copied into each sandbox's context, instead of twice per event. */
int64_t wd_sb_node_clock(struct wd_sb_node *n);

/* What names one sandbox in its events. */
struct wd_sb_desc {
	const char *id; /* "sb-" and 16 hex digits (wd_sb_new_id) */
	const char *identity;
	const struct wd_label *labels;
	size_t n_labels;
	const struct wd_cgroup *cg;
	const char *policy_name;
	wd_rule_text_fn rule_text;
	void *rule_text_arg;
};

/* The sandbox's side: one per sandbox, for its whole life. */
struct wd_sb_ev {
	struct wd_event_ctx ctx;
	char cgroup[PATH_MAX]; /* its path in events: kept after the cgroup is removed */
	uint64_t seq;	       /* the sandbox's own event counter */
	uint64_t lost_seen;    /* its kernel losses already reported (wd_lost_take) */
};

/* Sets @ev up for the sandbox @d on node @n. The strings of @d must outlive @ev (the cgroup's
 * path is copied). Take a new ctx.gen (wd_event_ctx_gen) when a rule text or the policy name
 * changes. */
void wd_sb_ev_init(struct wd_sb_ev *ev, const struct wd_sb_node *n, const struct wd_sb_desc *d);

/* A kernel record for the sinks, in context @ctx (a sandbox's, or n->ctx); after an exec the
 * pid cache forgets the process. Returns 0 (also without @pipe) or -errno when it could not be
 * converted. */
int wd_sb_record(struct wd_sb_node *n, struct wd_pipeline *pipe, const struct wd_event *e,
		 const struct wd_event_ctx *ctx);
/* A lifecycle event and an EVENTS_LOST event for @count
 * lost records, made in @ctx and handed to @pipe (if any). Return 0 when the event was made,
 * else -errno. */
int wd_sb_lifecycle(struct wd_sb_node *n, struct wd_pipeline *pipe, const struct wd_event_ctx *ctx,
		    Warden__V1__Lifecycle__Kind kind, const char *detail);
int wd_sb_lost(struct wd_sb_node *n, struct wd_pipeline *pipe, const struct wd_event_ctx *ctx,
	       uint64_t count, const char *detail);

/* @e with what the cgroup hooks cannot see (the exe, the parent) taken from /proc while the
 * process lives: @e itself when it has both, else its copy in @buf. */
const struct wd_event *wd_sb_fill(struct wd_sb_node *n, const struct wd_event *e,
				  struct wd_event *buf);

#endif
