// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control operations: one row per case of Request's `op` oneof, with the name messages use
 * and whether the read-only group may use it. A new operation is one row here (and its handler
 * in the daemon); tests/unit/test_ctl_ops.c fails when a case of the oneof has no row. */
#include <stddef.h>

#include "ctl/control.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct wd_ctl_op_info wd_ctl_ops[] = {
	{WARDEN__V1__REQUEST__OP_RUN, "run", false},
	{WARDEN__V1__REQUEST__OP_SANDBOX_CREATE, "sandbox create", false},
	{WARDEN__V1__REQUEST__OP_SANDBOX_LIST, "sandbox list", true},
	{WARDEN__V1__REQUEST__OP_SANDBOX_SHOW, "sandbox show", true},
	{WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE, "sandbox revoke", false},
	{WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT, "sandbox adopt", false},
	{WARDEN__V1__REQUEST__OP_POLICY_APPLY, "policy apply", false},
	{WARDEN__V1__REQUEST__OP_POLICY_SHOW, "policy show", true},
	{WARDEN__V1__REQUEST__OP_POLICY_CHECK, "policy check", true},
	{WARDEN__V1__REQUEST__OP_POLICY_DIFF, "policy diff", true},
	{WARDEN__V1__REQUEST__OP_STATUS, "status", true},
};

const size_t wd_ctl_n_ops = ARRAY_SIZE(wd_ctl_ops);

const struct wd_ctl_op_info *wd_ctl_op_find(wd_ctl_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(wd_ctl_ops); i++)
		if (wd_ctl_ops[i].op == op)
			return &wd_ctl_ops[i];
	return NULL;
}

bool wd_ctl_op_is_read(wd_ctl_op op)
{
	const struct wd_ctl_op_info *o = wd_ctl_op_find(op);

	return o && o->read_only;
}

const char *wd_ctl_op_name(wd_ctl_op op)
{
	const struct wd_ctl_op_info *o = wd_ctl_op_find(op);

	return o ? o->name : "unknown operation";
}
