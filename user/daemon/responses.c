// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Answers to control requests: a sandbox as SandboxInfo, errors with a policy's problems, the
 * end of a run request's command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/internal.h"
#include "hooks/hooks.h"

void problems_from(struct problems *pr, const struct wd_diags *dg)
{
	memset(pr, 0, sizeof(*pr));
	if (!dg->n)
		return;
	pr->v = calloc(dg->n, sizeof(*pr->v));
	pr->p = calloc(dg->n, sizeof(*pr->p));
	if (!pr->v || !pr->p)
		return;
	for (size_t i = 0; i < dg->n; i++) {
		warden__v1__policy_problem__init(&pr->v[i]);
		pr->v[i].file = dg->v[i].file;
		pr->v[i].line = (uint32_t)(dg->v[i].line > 0 ? dg->v[i].line : 0);
		pr->v[i].column = (uint32_t)(dg->v[i].col > 0 ? dg->v[i].col : 0);
		pr->v[i].message = dg->v[i].msg;
		pr->p[i] = &pr->v[i];
	}
	pr->n = dg->n;
}

void problems_free(struct problems *pr)
{
	free(pr->v);
	free(pr->p);
}

void fill_info(const struct dsb *s, struct sb_info *o)
{
	warden__v1__sandbox_info__init(&o->info);
	o->info.id = (char *)s->id;
	o->info.identity = s->identity;
	for (size_t i = 0; i < s->n_labels; i++) {
		warden__v1__sandbox_info__labels_entry__init(&o->lab[i]);
		o->lab[i].key = (char *)s->labels[i].key;
		o->lab[i].value = (char *)s->labels[i].value;
		o->labp[i] = &o->lab[i];
	}
	o->info.n_labels = s->n_labels;
	o->info.labels = o->labp;
	o->info.cgroup_path = (char *)s->cg.path;
	o->info.cgroup_id = s->cg.id;
	o->info.state = WARDEN__V1__SANDBOX_INFO__STATE__ACTIVE;
	o->info.created_wall_ns = s->created_at;
	o->info.expires_wall_ns = s->expires_at;
	o->info.policy_name = (char *)s->policy_name;
	o->info.policy_generation = s->generation;
	o->info.audit = s->audit;
	if (s->degraded || s->rung4) {
		o->not_enforced[0] =
			s->degraded
				? WD_DEGRADED_NOT_ENFORCED " (no BPF LSM)"
				: "rung 4 (fanotify decides exec and file opens): executable "
				  "mappings, file writes and mutations, socket families, signals "
				  "and ptrace, confinement; pending decisions are allowed if the "
				  "daemon dies";
		o->info.n_not_enforced = 1;
		o->info.not_enforced = o->not_enforced;
	}
	o->info.adopted = s->origin != WD_SB_RUN;
	o->info.denials = s->denials;
	o->info.created_by_uid = s->creator;
}

int send_error(struct dconn *dc, Warden__V1__Error__Code code, const char *msg,
	       const struct problems *pr)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Error e = WARDEN__V1__ERROR__INIT;

	e.code = code;
	e.message = (char *)msg;
	if (pr && pr->n) {
		e.n_problems = pr->n;
		e.problems = pr->p;
	}
	r.error = &e;
	return wd_ctl_conn_send(dc->c, &r, true);
}

void send_run_exited(struct daemon *d, struct dsb *s, int status, int sig,
		     Warden__V1__RunExited__Reason reason, const char *detail)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__RunExited x = WARDEN__V1__RUN_EXITED__INIT;
	struct dconn *dc = s->run_dc;

	(void)d;
	x.exit_status = status;
	x.signal = (uint32_t)sig;
	x.reason = reason;
	x.detail = (char *)(detail ? detail : "");
	r.result_case = WARDEN__V1__RESPONSE__RESULT_RUN_EXITED;
	r.run_exited = &x;
	dc->busy = false;
	wd_ctl_conn_send(dc->c, &r, true);
	s->run_dc = NULL;
}

void sb_reply(struct dconn *dc, const struct dsb *s)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	struct sb_info si;

	fill_info(s, &si);
	r.result_case = WARDEN__V1__RESPONSE__RESULT_SANDBOX;
	r.sandbox = &si.info;
	wd_ctl_conn_send(dc->c, &r, true);
}

void create_failed(struct dconn *dc, Warden__V1__Error__Code code, const char *why,
		   struct wd_diags *dg)
{
	struct problems pr;

	problems_from(&pr, dg);
	send_error(dc, code, why, &pr);
	problems_free(&pr);
}

struct dsb *find_or_fail(struct daemon *d, struct dconn *dc, const char *id)
{
	struct dsb *s = id ? sb_by_id(d, id) : NULL;
	char msg[128];

	if (!s) {
		snprintf(msg, sizeof(msg), "no active sandbox %s", id ? id : "(none given)");
		send_error(dc, WARDEN__V1__ERROR__CODE__NOT_FOUND, msg, NULL);
	}
	return s;
}
