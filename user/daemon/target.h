/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The target of `policy apply|show|diff` (an identity, a sandbox or the node default) and which
 * running sandboxes a policy applied to it reaches. Pure: no syscalls, no printing. */
#ifndef WD_DAEMON_TARGET_H
#define WD_DAEMON_TARGET_H

#include <stdbool.h>

#include "daemon/precedence.h"
#include "state/state.h"
#include "warden/v1/control.pb-c.h"

/* The kind and name (pointing into @t) of the target @t names: 0, or -EINVAL when @t is NULL,
 * names nothing or names an identity that is not one (wd_identity_valid). */
int wd_policy_target_of(const Warden__V1__PolicyTarget *t, enum wd_policy_target *kind,
			const char **name);

/* Whether a policy applied to target @kind @name reaches the sandbox @sb_id of @sb_identity whose
 * policy comes from @from: its own applied one always; its identity's unless the sandbox has a
 * policy of its own (given, applied to it, or its adoption rule's); the node default only where
 * nothing nearer (an identity's, the config's) gave one. */
bool wd_policy_affects(enum wd_policy_target kind, const char *name, const char *sb_id,
		       const char *sb_identity, enum pol_from from);

#endif
