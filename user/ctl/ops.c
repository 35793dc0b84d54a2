// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control operations: the name messages use for each, and whether the read-only group may
 * use it. */
#include <stdbool.h>

#include "ctl/control.h"

bool wd_ctl_op_is_read(wd_ctl_op op)
{
	switch (op) {
	case WARDEN__V1__REQUEST__OP_SANDBOX_LIST:
	case WARDEN__V1__REQUEST__OP_SANDBOX_SHOW:
	case WARDEN__V1__REQUEST__OP_POLICY_SHOW:
	case WARDEN__V1__REQUEST__OP_POLICY_CHECK:
	case WARDEN__V1__REQUEST__OP_POLICY_DIFF:
	case WARDEN__V1__REQUEST__OP_STATUS:
		return true;
	default:
		return false;
	}
}

const char *wd_ctl_op_name(wd_ctl_op op)
{
	switch (op) {
	case WARDEN__V1__REQUEST__OP_RUN:
		return "run";
	case WARDEN__V1__REQUEST__OP_SANDBOX_CREATE:
		return "sandbox create";
	case WARDEN__V1__REQUEST__OP_SANDBOX_LIST:
		return "sandbox list";
	case WARDEN__V1__REQUEST__OP_SANDBOX_SHOW:
		return "sandbox show";
	case WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE:
		return "sandbox revoke";
	case WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT:
		return "sandbox adopt";
	case WARDEN__V1__REQUEST__OP_POLICY_APPLY:
		return "policy apply";
	case WARDEN__V1__REQUEST__OP_POLICY_SHOW:
		return "policy show";
	case WARDEN__V1__REQUEST__OP_POLICY_CHECK:
		return "policy check";
	case WARDEN__V1__REQUEST__OP_POLICY_DIFF:
		return "policy diff";
	case WARDEN__V1__REQUEST__OP_STATUS:
		return "status";
	default:
		return "unknown operation";
	}
}
