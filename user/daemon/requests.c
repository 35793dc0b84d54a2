// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control requests the daemon serves: the handler of each operation of ctl's table
 * (requests.h), and the dispatch to it after authorisation. A new operation is a row in
 * ctl/ops.c, a handler in req_*.c and its entry here. */
#include <stddef.h>

#include "daemon/internal.h"
#include "daemon/requests.h"

/* Each handler takes the request's own message out of the oneof. */
static void op_run(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_run(d, dc, rq->run);
}

static void op_sandbox_create(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_create_or_adopt(d, dc, rq->sandbox_create->sandbox, NULL);
}

static void op_sandbox_adopt(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_create_or_adopt(d, dc, rq->sandbox_adopt->sandbox,
			   rq->sandbox_adopt->cgroup_path ? rq->sandbox_adopt->cgroup_path : "");
}

static void op_sandbox_list(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_list(d, dc, rq->sandbox_list);
}

static void op_sandbox_show(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	struct dsb *s = find_or_fail(d, dc, rq->sandbox_show->id);

	if (s)
		sb_reply(dc, s);
}

static void op_sandbox_revoke(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_revoke(d, dc, rq->sandbox_revoke);
}

static void op_policy_apply(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_apply(d, dc, rq->policy_apply);
}

static void op_policy_show(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_show(d, dc, rq->policy_show);
}

static void op_policy_check(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_check(d, dc, rq->policy_check);
}

static void op_policy_diff(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_diff(d, dc, rq->policy_diff);
}

static void op_status(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	do_status(d, dc);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static wd_daemon_handler *const handlers[] = {
	[WARDEN__V1__REQUEST__OP_RUN] = op_run,
	[WARDEN__V1__REQUEST__OP_SANDBOX_CREATE] = op_sandbox_create,
	[WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT] = op_sandbox_adopt,
	[WARDEN__V1__REQUEST__OP_SANDBOX_LIST] = op_sandbox_list,
	[WARDEN__V1__REQUEST__OP_SANDBOX_SHOW] = op_sandbox_show,
	[WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE] = op_sandbox_revoke,
	[WARDEN__V1__REQUEST__OP_POLICY_APPLY] = op_policy_apply,
	[WARDEN__V1__REQUEST__OP_POLICY_SHOW] = op_policy_show,
	[WARDEN__V1__REQUEST__OP_POLICY_CHECK] = op_policy_check,
	[WARDEN__V1__REQUEST__OP_POLICY_DIFF] = op_policy_diff,
	[WARDEN__V1__REQUEST__OP_STATUS] = op_status,
};

/* ctl's table decides what an operation is: anything it does not list is served by nothing. */
wd_daemon_handler *wd_daemon_handler_of(wd_ctl_op op)
{
	if (!wd_ctl_op_find(op) || (size_t)op >= ARRAY_SIZE(handlers))
		return NULL;
	return handlers[op];
}

void handle_request(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	wd_daemon_handler *handle;
	char why[WD_CTL_ERR_MAX];

	if (wd_ctl_conn_authorize(dc->c, &d->auth, rq, why, sizeof(why))) {
		const struct wd_ctl_peer *p = wd_ctl_conn_peer(dc->c);

		logf_("refused %s from pid %d uid %u (cgroup %s): %s", wd_ctl_op_name(rq->op_case),
		      (int)p->pid, p->uid, p->cgroup, why);
		send_error(dc, WARDEN__V1__ERROR__CODE__PERMISSION_DENIED, why, NULL);
		return;
	}
	handle = wd_daemon_handler_of(rq->op_case);
	if (handle) {
		handle(d, dc, rq);
		return;
	}
	send_error(dc, WARDEN__V1__ERROR__CODE__UNSUPPORTED_OPERATION,
		   "this daemon does not know that operation (it is older than the client)", NULL);
}
