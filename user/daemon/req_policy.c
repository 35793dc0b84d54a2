// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The policy requests of the control socket: apply (atomic over every sandbox it reaches), show,
 * check and diff. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/internal.h"
#include "daemon/target.h"
#include "lib/cleanup.h"
#include "lib/clock.h"
#include "policy/diff.h"

WD_DEFINE_FREEP(wd_policy, struct wd_policy, wd_policy_free)

void do_apply(struct daemon *d, struct dconn *dc, Warden__V1__PolicyApplyRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyApplied pa = WARDEN__V1__POLICY_APPLIED__INIT;
	struct wd_state_policy rec = {0};
	_cleanup_with_(wd_diags_free) struct wd_diags dg = {0};
	_cleanup_with_(wd_policyp) struct wd_policy *p = NULL;
	_cleanup_free_ char **ids = NULL;
	enum wd_policy_target kind;
	const char *name, *src;
	char msg[512];
	int err;

	if (wd_policy_target_of(rq->target, &kind, &name) || !rq->policy || !rq->policy->text) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "apply needs a target (an identity, a sandbox or the node default) and "
			   "a policy text",
			   NULL);
		return;
	}
	if (kind == WD_TARGET_SANDBOX && !find_or_fail(d, dc, name))
		return;
	src = rq->policy->name && rq->policy->name[0] ? rq->policy->name : "<request>";
	/* Validated completely before anything changes. */
	err = wd_policy_parse_string(src, rq->policy->text, strlen(rq->policy->text), &p, &dg);
	if (!err && kind == WD_TARGET_IDENTITY && !wd_policy_applies_to(p, name)) {
		wd_diags_add(&dg, src, 0, 0, "policy '%s' does not apply to identity '%s'", p->name,
			     name);
		err = -EPERM;
	}
	if (err) {
		create_failed(dc, WARDEN__V1__ERROR__CODE__POLICY_INVALID,
			      "the policy is invalid; the one in force stays", &dg);
		return;
	}
	/* Every affected sandbox gets its compiled copy first; only then is anything switched. */
	{
		struct wd_compiled *next[SB_MAX];
		struct dsb *who[SB_MAX];
		struct pol_choice pc = {.from = kind == WD_TARGET_SANDBOX    ? FROM_SANDBOX
						: kind == WD_TARGET_IDENTITY ? FROM_IDENTITY
									     : FROM_NODE};
		size_t n = 0;

		snprintf(pc.name, sizeof(pc.name), "%s", src);
		pc.text = rq->policy->text;
		pc.len = strlen(rq->policy->text);
		for (size_t i = 0; i < d->n_sb; i++) {
			struct dsb *s = d->sb[i];

			if (!wd_policy_affects(kind, name, s->id, s->identity, s->from))
				continue;
			err = compile_for(d, &pc, s->identity, s->workdir, s->home, s->audit, s,
					  &next[n], &dg);
			if (err)
				break;
			who[n++] = s;
		}
		if (err) {
			for (size_t i = 0; i < n; i++)
				policy_release(d, next[i]);
			create_failed(dc, WARDEN__V1__ERROR__CODE__POLICY_INVALID,
				      "the policy cannot be applied to every sandbox it covers; "
				      "nothing changed",
				      &dg);
			return;
		}
		rec.target_kind = kind;
		rec.target = name;
		rec.name = p->name;
		rec.source = src;
		rec.text = rq->policy->text;
		rec.text_len = strlen(rq->policy->text);
		rec.applied_at = wd_clock_ns(CLOCK_REALTIME);
		rec.applied_by = wd_ctl_conn_peer(dc->c)->uid;
		err = wd_state_policy_record(d->st, &rec);
		if (err) {
			for (size_t i = 0; i < n; i++)
				policy_release(d, next[i]);
			snprintf(msg, sizeof(msg), "state: %s", wd_state_errmsg(d->st));
			send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, msg, NULL);
			return;
		}
		ids = calloc(n + 1, sizeof(char *));
		pc.row = rec.id;
		pc.generation = rec.generation;
		for (size_t i = 0; i < n; i++) {
			err = sb_switch(d, who[i], next[i], &pc);
			if (err) {
				logf_("sandbox %s: switching policy failed: %s; the old one stays",
				      who[i]->id, strerror(-err));
				continue;
			}
			if (ids)
				ids[pa.n_sandbox_ids++] = who[i]->id;
		}
	}
	logf_("policy %s applied to %s%s (generation %" PRIu64 ", %zu sandboxes)", src,
	      kind == WD_TARGET_NODE ? "the node default" : name,
	      kind == WD_TARGET_IDENTITY ? " (identity)" : "", rec.generation, pa.n_sandbox_ids);
	pa.generation = rec.generation;
	pa.sandbox_ids = ids;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_APPLIED;
	r.policy_applied = &pa;
	wd_ctl_conn_send(dc->c, &r, true);
}

void do_show(struct daemon *d, struct dconn *dc, Warden__V1__PolicyShowRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyText pt = WARDEN__V1__POLICY_TEXT__INIT;
	Warden__V1__PolicySource ps = WARDEN__V1__POLICY_SOURCE__INIT;
	struct wd_state_policy *sp = NULL;
	enum wd_policy_target kind;
	const char *name;
	char *text = NULL;

	if (wd_policy_target_of(rq->target, &kind, &name)) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "show needs a target: an identity, a sandbox or the node default", NULL);
		return;
	}
	if (wd_state_policy_get(d->st, kind, name, rq->generation, &sp)) {
		send_error(dc, WARDEN__V1__ERROR__CODE__NOT_FOUND,
			   rq->generation ? "no such generation for that target"
					  : "no policy applied to that target (sandboxes of it get "
					    "a policy from the config or the node default)",
			   NULL);
		return;
	}
	text = malloc(sp->text_len + 1);
	if (text) {
		memcpy(text, sp->text, sp->text_len);
		text[sp->text_len] = '\0';
	}
	ps.name = (char *)sp->source;
	ps.text = text ? text : "";
	pt.policy = &ps;
	pt.generation = sp->generation;
	pt.applied_wall_ns = sp->applied_at;
	pt.applied_by_uid = sp->applied_by;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_TEXT;
	r.policy_text = &pt;
	wd_ctl_conn_send(dc->c, &r, true);
	free(text);
	wd_state_policy_free(sp);
}

void do_check(struct daemon *d, struct dconn *dc, Warden__V1__PolicyCheckRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyCheckResult cr = WARDEN__V1__POLICY_CHECK_RESULT__INIT;
	struct wd_policy_ctx ctx = {.workdir = WD_PLACEHOLDER_WORKDIR, .home = WD_PLACEHOLDER_HOME};
	struct wd_compiled *c = NULL;
	struct wd_diags dg = {0};
	struct wd_policy *p = NULL;
	struct problems pr;
	const char *src;

	(void)d;
	if (!rq->policy || !rq->policy->text) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "check needs a policy text", NULL);
		return;
	}
	src = rq->policy->name && rq->policy->name[0] ? rq->policy->name : "<request>";
	if (!wd_policy_parse_string(src, rq->policy->text, strlen(rq->policy->text), &p, &dg))
		wd_policy_compile(p, &ctx, 1, 1, &c, &dg);
	problems_from(&pr, &dg);
	cr.valid = c != NULL;
	cr.n_problems = pr.n;
	cr.problems = pr.p;
	cr.policy_name = p ? p->name : "";
	cr.rules = c ? c->n_rules : 0;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_CHECK;
	r.policy_check = &cr;
	wd_ctl_conn_send(dc->c, &r, true);
	problems_free(&pr);
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&dg);
}

void do_diff(struct daemon *d, struct dconn *dc, Warden__V1__PolicyDiffRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyDiff pd = WARDEN__V1__POLICY_DIFF__INIT;
	struct wd_state_policy *sp = NULL;
	enum wd_policy_target kind;
	const char *name, *cur = "";
	char *curbuf = NULL, *u;

	if (wd_policy_target_of(rq->target, &kind, &name) || !rq->policy || !rq->policy->text) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "diff needs a target and a policy text", NULL);
		return;
	}
	if (wd_state_policy_get(d->st, kind, name, 0, &sp) == 0) {
		curbuf = malloc(sp->text_len + 1);
		if (curbuf) {
			memcpy(curbuf, sp->text, sp->text_len);
			curbuf[sp->text_len] = '\0';
			cur = curbuf;
		}
		pd.generation = sp->generation;
	}
	u = wd_policy_diff(cur, rq->policy->text, "in force",
			   rq->policy->name ? rq->policy->name : "new");
	pd.changed = strcmp(cur, rq->policy->text) != 0;
	pd.unified = pd.changed && u ? u : "";
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_DIFF;
	r.policy_diff = &pd;
	wd_ctl_conn_send(dc->c, &r, true);
	free(u);
	free(curbuf);
	wd_state_policy_free(sp);
}
