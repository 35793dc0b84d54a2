/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A digest of what a policy says beyond its network addresses: its exec, file and unix path
 * rules, abstract socket rules, socket families, fileless exec, jit and mode, with the variables'
 * values. Two policies with the same digest confine a sandbox's processes alike wherever the
 * decision is fixed when the sandbox starts (rung 3: Landlock, mounts, seccomp). */
#ifndef WD_POLICY_DIGEST_H
#define WD_POLICY_DIGEST_H

#include "policy/path.h"
#include "policy/policy.h"

#define WD_POLICY_DIGEST_LEN 32

/* Returns 0, or -ENOMEM (nothing written). Rule locations do not count: moving a rule to
 * another line changes nothing. */
int wd_policy_confine_digest(const struct wd_policy *p, const struct wd_policy_ctx *ctx,
			     unsigned char out[WD_POLICY_DIGEST_LEN]);

#endif
