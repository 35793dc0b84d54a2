// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Events: each sandbox's event context, the per-record handler the ring buffer calls (counts,
 * the journal's denial lines, the pipeline), EVENTS_LOST accounting per sandbox and for the
 * node, lifecycle events, and draining the ring buffer. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/internal.h"
#include "event/fmt.h"

static const char *ctx_rule_text(void *arg, uint32_t rule_id)
{
	struct dsb *s = arg;

	return s->pol ? wd_compiled_rule_text(s->pol, rule_id) : NULL;
}

void sb_ctx(struct daemon *d, struct dsb *s)
{
	snprintf(s->ev_cgroup, sizeof(s->ev_cgroup), "%s", s->cg.path);
	s->ctx = (struct wd_event_ctx){
		.identity = s->identity,
		.labels = s->labels,
		.n_labels = s->n_labels,
		.sandbox_id = s->id,
		.cgroup_path = s->ev_cgroup,
		.cgroup_id = s->cg.id,
		.policy_name = s->policy_name,
		.node = d->node,
		.boot_id = d->boot_id,
		.rule_text = ctx_rule_text,
		.rule_text_arg = s,
		.node_seq = d->node_seq,
		.sandbox_seq = &s->sandbox_seq,
		.boot_to_wall_ns = d->node_ctx.boot_to_wall_ns,
		.gen = wd_event_ctx_gen(),
	};
	wd_proc_cache_ctx(d->pc, &s->ctx);
}

static void emit_pb(struct daemon *d)
{
	d->events_total++;
	if (d->pipe)
		wd_pipeline_emit(d->pipe, &d->pbe->ev);
}

void lifecycle(struct daemon *d, struct dsb *s, Warden__V1__Lifecycle__Kind kind,
	       const char *detail)
{
	if (wd_event_lifecycle_to_pb(s ? &s->ctx : &d->node_ctx, kind, detail, d->pbe) == 0)
		emit_pb(d);
}

static void count_decision(struct daemon *d, const char *identity, uint8_t kind, uint8_t dec)
{
	size_t i;

	for (i = 0; i < d->n_decs; i++)
		if (d->decs[i].kind == kind && d->decs[i].decision == dec &&
		    !strcmp(d->decs[i].identity, identity))
			break;
	if (i == d->n_decs) {
		if (d->n_decs == sizeof(d->decs) / sizeof(d->decs[0]))
			return;
		snprintf(d->decs[i].identity, sizeof(d->decs[i].identity), "%s", identity);
		d->decs[i].kind = kind;
		d->decs[i].decision = dec;
		d->n_decs++;
	}
	d->decs[i].n++;
}

int on_event(void *arg, const struct wd_event *e)
{
	struct daemon *d = arg;
	struct dsb *s = sb_by_cgid(d, e->cgroup_id);
	char who[512];

	count_decision(d, s ? s->identity : "", (uint8_t)e->hdr.type, e->decision);
	if (s && e->decision != WD_DEC_ALLOW)
		s->denials++;
	/* Denials go to the daemon's log (the journal) as readable lines too. */
	if (e->decision != WD_DEC_ALLOW) {
		bool held = !s && wd_enforcer_held(&d->enf, e->cgroup_id, NULL);

		if (held)
			snprintf(who, sizeof(who),
				 "warden[held cgroup %" PRIu64 "]:", (uint64_t)e->cgroup_id);
		else
			snprintf(who, sizeof(who), "warden[%s %s]:", s ? s->identity : "?",
				 s ? s->id : "?");
		wd_event_format(stderr, e, who,
				s      ? ctx_rule_text(s, e->rule_id)
				: held ? hold_rule_text(d, e)
				       : "the sandbox has ended");
		fputc('\n', stderr);
	}
	if (!d->pipe || wd_pipeline_emit_record(d->pipe, d->pk, e, s ? &s->ctx : &d->node_ctx) >= 0)
		d->events_total++;
	if (e->hdr.type == WD_EV_EXEC)
		wd_proc_cache_forget(d->pc, e->pid);
	return 0;
}

/* Kernel reserve failures since the last look, as EVENTS_LOST per sandbox and for the node. */
static void check_lost(struct daemon *d)
{
	uint64_t total, rest;
	char detail[512];

	total = wd_enforcer_lost_cpu(&d->enf, d->lost_cpu, d->ncpu);
	if (total == d->lost_seen)
		return;
	rest = total - d->lost_seen;
	d->events_lost += rest;
	wd_lost_detail(detail, sizeof(detail), d->lost_cpu, d->ncpu);
	logf_("%" PRIu64 " events lost (%s)", rest, detail);
	for (size_t i = 0; i < d->n_sb; i++) {
		struct dsb *s = d->sb[i];
		uint64_t n = wd_enforcer_sandbox_lost(&d->enf, s->cg.id),
			 delta = n - s->sb_lost_seen;

		if (!delta || delta > rest)
			continue;
		s->sb_lost_seen = n;
		rest -= delta;
		if (wd_event_lost_to_pb(&s->ctx, delta, detail, d->pbe) == 0)
			emit_pb(d);
	}
	if (rest && wd_event_lost_to_pb(&d->node_ctx, rest, detail, d->pbe) == 0)
		emit_pb(d);
	d->lost_seen = total;
}

void drain(struct daemon *d)
{
	wd_enforcer_drain(&d->enf);
	check_lost(d);
	wd_pipeline_kick(d->pipe);
}

void drain_all(struct daemon *d)
{
	wd_enforcer_drain_all(&d->enf);
	check_lost(d);
	wd_pipeline_kick(d->pipe);
}
