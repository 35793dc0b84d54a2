// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy targets and the sandboxes they reach (target.h). */
#include <errno.h>
#include <string.h>

#include "daemon/target.h"
#include "policy/policy.h"

/* The policy applied to a target, or the effective one for an identity. */
int wd_policy_target_of(const Warden__V1__PolicyTarget *t, enum wd_policy_target *kind,
			const char **name)
{
	if (!t)
		return -EINVAL;
	switch (t->target_case) {
	case WARDEN__V1__POLICY_TARGET__TARGET_IDENTITY:
		*kind = WD_TARGET_IDENTITY;
		*name = t->identity;
		return wd_identity_valid(t->identity) ? -EINVAL : 0;
	case WARDEN__V1__POLICY_TARGET__TARGET_SANDBOX_ID:
		*kind = WD_TARGET_SANDBOX;
		*name = t->sandbox_id;
		return 0;
	case WARDEN__V1__POLICY_TARGET__TARGET_NODE_DEFAULT:
		*kind = WD_TARGET_NODE;
		*name = "";
		return 0;
	default:
		return -EINVAL;
	}
}

bool wd_policy_affects(enum wd_policy_target kind, const char *name, const char *sb_id,
		       const char *sb_identity, enum pol_from from)
{
	switch (kind) {
	case WD_TARGET_SANDBOX:
		return !strcmp(sb_id, name);
	case WD_TARGET_IDENTITY:
		return !strcmp(sb_identity, name) && from != FROM_SPEC && from != FROM_SANDBOX &&
		       from != FROM_ADOPT;
	case WD_TARGET_NODE:
		return from == FROM_NODE || from == FROM_EMBEDDED;
	}
	return false;
}
