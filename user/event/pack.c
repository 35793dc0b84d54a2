// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Packing with parts packed once: what every event of a context says alike (identity, sandbox,
 * policy name), each rule, and each process with its ancestry are packed once and their bytes
 * reused, so that only the event's own fields are packed each time (wd_event_pack()). The
 * bytes are protobuf-c's for the whole event (tests/unit/test_event_pack.c). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "event/internal.h"
#include "pb/enc.h"
#include "pb/frame.h"

uint64_t wd_event_ctx_gen(void)
{
	static uint64_t last;

	return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

/* Packed fields of an Event (tag, length, value), the same for every event with this key. */
struct part {
	uint64_t gen;
	uint64_t key;	  /* the sandbox's cgroup id; the rule's id */
	const char *text; /* the rule's text as the context gave it */
	size_t len, cap;
	size_t split; /* context parts: identity and sandbox before, policy name after */
	uint8_t *buf;
};

/* A packed Process (field 4 with its ancestry) and what it was made of: the record's fields,
 * the context, and the pid cache's answers (generation, and the event times they hold for). */
struct proc_part {
	uint64_t ctx_gen, proc_gen; /* 0: empty */
	uint64_t until_ns;	    /* event time the answers expire */
	uint64_t newest_start;	    /* they hold for no event before this process started */
	uint32_t pid, tid, ppid, uid;
	char comm[WD_COMM_LEN];
	char exe[WD_PATH_MAX];
	size_t len, cap;
	uint8_t *buf;
};

#define CTX_PARTS  16
#define RULE_PARTS 256
#define PROC_PARTS 64

struct wd_pb_packer {
	bool fast;		/* pb/enc.c knows every field */
	struct wd_pb_event ev;	/* the event's own fields */
	struct wd_pb_event tmp; /* a part being packed */
	struct part ctx[CTX_PARTS];
	struct part rule[RULE_PARTS];
	struct proc_part proc[PROC_PARTS];
};

void wd_pb_packer_lost_range(const struct wd_pb_packer *pk, uint64_t *first, uint64_t *n)
{
	wd_event_lost_range(&pk->ev.ev, first, n);
}

struct wd_pb_packer *wd_pb_packer_new(void)
{
	struct wd_pb_packer *pk = calloc(1, sizeof(*pk));

	if (pk)
		pk->fast = wd_pb_enc_usable();
	return pk;
}

void wd_pb_packer_free(struct wd_pb_packer *pk)
{
	if (!pk)
		return;
	for (size_t i = 0; i < CTX_PARTS; i++)
		free(pk->ctx[i].buf);
	for (size_t i = 0; i < RULE_PARTS; i++)
		free(pk->rule[i].buf);
	for (size_t i = 0; i < PROC_PARTS; i++)
		free(pk->proc[i].buf);
	free(pk);
}

/* Packs @m (an Event holding only a part's fields) at the end of @pt. */
static int part_add(struct part *pt, const Warden__V1__Event *m)
{
	size_t n = warden__v1__event__get_packed_size(m);

	if (n > WD_PB_RECORD_MAX)
		return -EMSGSIZE;
	if (pt->len + n > pt->cap) {
		uint8_t *b = realloc(pt->buf, pt->len + n);

		if (!b)
			return -ENOMEM;
		pt->buf = b;
		pt->cap = pt->len + n;
	}
	pt->len += warden__v1__event__pack(m, pt->buf + pt->len);
	return 0;
}

/* Identity and sandbox (with @cgid), then policy name, of @ctx, packed. */
static const struct part *ctx_part(struct wd_pb_packer *pk, const struct wd_event_ctx *ctx,
				   uint64_t cgid, int *err)
{
	struct part *pt = &pk->ctx[(ctx->gen ^ cgid * 0x9e3779b97f4a7c15ull) % CTX_PARTS];
	struct wd_pb_event *t = &pk->tmp;
	char *policy;
	int e = 0;

	if (pt->gen == ctx->gen && pt->key == cgid)
		return pt;
	pt->gen = 0; /* not valid until whole */
	pt->len = 0;
	warden__v1__event__init(&t->ev);
	t->arena_used = 0;
	wd_ev_init_context(t, ctx, &e);
	if (t->ev.sandbox)
		t->sb.cgroup_id = cgid;
	policy = t->ev.policy_name;
	t->ev.policy_name = (char *)protobuf_c_empty_string;
	if (!e)
		e = part_add(pt, &t->ev);
	pt->split = pt->len;
	warden__v1__event__init(&t->ev);
	t->ev.policy_name = policy;
	if (!e)
		e = part_add(pt, &t->ev);
	if (e) {
		*err = e;
		return NULL;
	}
	pt->gen = ctx->gen;
	pt->key = cgid;
	return pt;
}

/* The Rule of @e, packed. */
static const struct part *rule_part(struct wd_pb_packer *pk, const struct wd_event *e,
				    const struct wd_event_ctx *ctx, int *err)
{
	const char *text = wd_ev_rule_text(e, ctx);
	struct part *pt = &pk->rule[(e->rule_id ^ ctx->gen * 31) % RULE_PARTS];
	struct wd_pb_event *t = &pk->tmp;
	int r;

	if (pt->gen == ctx->gen && pt->key == e->rule_id && pt->text == text)
		return pt;
	pt->gen = 0;
	pt->len = 0;
	warden__v1__event__init(&t->ev);
	t->arena_used = 0;
	warden__v1__rule__init(&t->rule);
	t->rule.id = e->rule_id;
	t->rule.text = wd_ev_kstr(t, text, WD_RULE_TEXT_MAX);
	t->ev.rule = &t->rule;
	r = part_add(pt, &t->ev);
	if (r) {
		*err = r;
		return NULL;
	}
	pt->gen = ctx->gen;
	pt->key = e->rule_id;
	pt->text = text;
	return pt;
}

static struct proc_part *proc_slot(struct wd_pb_packer *pk, const struct wd_event *e)
{
	return &pk->proc[((e->pid * 0x9e3779b1u) ^ e->tid) % PROC_PARTS];
}

/* The kept Process of @e, or NULL when there is none that still holds. */
static const struct proc_part *proc_kept(struct wd_pb_packer *pk, const struct wd_event *e,
					 const struct wd_event_ctx *ctx)
{
	const struct proc_part *pp = proc_slot(pk, e);
	uint64_t t = e->hdr.ktime_ns;

	if (!ctx->proc_gen || pp->proc_gen != *ctx->proc_gen || pp->ctx_gen != ctx->gen ||
	    pp->pid != e->pid || pp->tid != e->tid || pp->ppid != e->ppid || pp->uid != e->uid ||
	    t >= pp->until_ns || wd_ev_started_after(pp->newest_start, t) ||
	    strncmp(pp->comm, e->comm, sizeof(pp->comm)) ||
	    strncmp(pp->exe, e->exe, sizeof(pp->exe)))
		return NULL;
	return pp;
}

/* Packs the Process of @e into @o, and keeps it when the same record would give the same
 * bytes until the pid cache answers differently. */
static void proc_pack(struct wd_pb_packer *pk, const struct wd_event *e,
		      const struct wd_event_ctx *ctx, struct wd_pb_out *o)
{
	struct proc_part *pp = proc_slot(pk, e);
	uint8_t *start = o->p;
	struct proc_seen seen;
	size_t n;

	wd_ev_fill_process(&pk->ev, e, ctx, &seen);
	wd_pb_enc_process(o, pk->ev.ev.process);
	pp->proc_gen = 0;
	/* An empty event time cannot tell when the answers expire. */
	if (o->full || !seen.whole || !ctx->proc_gen || !ctx->proc_keep_ns || !e->hdr.ktime_ns)
		return;
	n = (size_t)(o->p - start);
	if (n > pp->cap) {
		uint8_t *b = realloc(pp->buf, n);

		if (!b)
			return;
		pp->buf = b;
		pp->cap = n;
	}
	memcpy(pp->buf, start, n);
	pp->len = n;
	pp->pid = e->pid;
	pp->tid = e->tid;
	pp->ppid = e->ppid;
	pp->uid = e->uid;
	memcpy(pp->comm, e->comm, sizeof(pp->comm));
	memcpy(pp->exe, e->exe, sizeof(pp->exe));
	pp->newest_start = seen.newest_start;
	pp->until_ns = e->hdr.ktime_ns + ctx->proc_keep_ns;
	pp->ctx_gen = ctx->gen;
	/* Read after the lookups: their own cache fills are part of what the bytes say. */
	pp->proc_gen = *ctx->proc_gen;
}

/* Everything with protobuf-c: records with no generation, lost-record reports, and when
 * pb/enc.c is behind the schema. */
static int pack_full(struct wd_pb_packer *pk, const struct wd_event *e,
		     const struct wd_event_ctx *ctx, uint8_t *buf, size_t cap, size_t *len,
		     uint64_t *seq)
{
	int err = wd_event_to_pb(e, ctx, &pk->ev);
	size_t n;

	if (err == -EINVAL)
		return err;
	*seq = pk->ev.hdr.seq;
	if (err)
		return err;
	n = warden__v1__event__get_packed_size(&pk->ev.ev);
	if (n > WD_PB_RECORD_MAX || n > cap)
		return -EMSGSIZE;
	warden__v1__event__pack(&pk->ev.ev, buf);
	*len = n;
	return 0;
}

int wd_event_pack(struct wd_pb_packer *pk, const struct wd_event *e, const struct wd_event_ctx *ctx,
		  uint8_t *buf, size_t cap, size_t *len, uint64_t *seq)
{
	const Warden__V1__Event *ev = &pk->ev.ev;
	const struct part *cp, *rp = NULL;
	const struct proc_part *pp;
	struct wd_pb_out o;
	int err;

	*len = 0;
	*seq = 0;
	if (!pk->fast || !ctx->gen || e->hdr.type == WD_EV_LOST)
		return pack_full(pk, e, ctx, buf, cap, len, seq);
	err = wd_ev_convert(e, ctx, &pk->ev, true);
	if (err == -EINVAL)
		return err;
	*seq = pk->ev.hdr.seq;
	if (err)
		return err;
	cp = ctx_part(pk, ctx, wd_ev_has_sandbox(ctx) ? (e->cgroup_id ?: ctx->cgroup_id) : 0, &err);
	if (cp)
		rp = rule_part(pk, e, ctx, &err);
	if (err)
		return err;

	/* In the order of the .proto, as protobuf-c would pack the whole event. */
	o = (struct wd_pb_out){.p = buf,
			       .end = buf + (cap < WD_PB_RECORD_MAX ? cap : WD_PB_RECORD_MAX)};
	wd_pb_enc_header(&o, ev->header);
	wd_pb_enc_raw(&o, cp->buf, cp->split);
	pp = proc_kept(pk, e, ctx);
	if (pp)
		wd_pb_enc_raw(&o, pp->buf, pp->len);
	else
		proc_pack(pk, e, ctx, &o);
	wd_pb_enc_decision_hook(&o, ev->decision, ev->hook);
	wd_pb_enc_raw(&o, rp->buf, rp->len);
	wd_pb_enc_raw(&o, cp->buf + cp->split, cp->len - cp->split);
	if (!wd_pb_enc_action(&o, ev))
		return -EINVAL;
	if (o.full)
		return -EMSGSIZE;
	*len = (size_t)(o.p - buf);
	return 0;
}
