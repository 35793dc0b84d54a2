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
	wd_sb_ev_init(&s->ev, &d->node,
		      &(struct wd_sb_desc){
			      .id = s->id,
			      .identity = s->identity,
			      .labels = s->labels,
			      .n_labels = s->n_labels,
			      .cg = &s->cg,
			      .policy_name = s->policy_name,
			      .rule_text = ctx_rule_text,
			      .rule_text_arg = s,
		      });
}

void lifecycle(struct daemon *d, struct dsb *s, Warden__V1__Lifecycle__Kind kind,
	       const char *detail)
{
	if (wd_sb_lifecycle(&d->node, d->pipe, s ? &s->ev.ctx : &d->node.ctx, kind, detail) == 0)
		d->events_total++;
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
	if (wd_sb_record(&d->node, d->pipe, e, s ? &s->ev.ctx : &d->node.ctx) == 0)
		d->events_total++;
	return 0;
}

/* Kernel reserve failures since the last look, as EVENTS_LOST per sandbox and for the node. */
static void check_lost(struct daemon *d)
{
	uint64_t rest;
	char detail[512];

	rest = wd_lost_poll(&d->lost, &d->enf, detail, sizeof(detail));
	if (!rest)
		return;
	d->events_lost += rest;
	logf_("%" PRIu64 " events lost (%s)", rest, detail);
	for (size_t i = 0; i < d->n_sb; i++) {
		struct dsb *s = d->sb[i];
		uint64_t n = wd_lost_take(&rest, wd_enforcer_sandbox_lost(&d->enf, s->cg.id),
					  &s->ev.lost_seen);

		if (n && wd_sb_lost(&d->node, d->pipe, &s->ev.ctx, n, detail) == 0)
			d->events_total++;
	}
	if (rest && wd_sb_lost(&d->node, d->pipe, &d->node.ctx, rest, detail) == 0)
		d->events_total++;
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
