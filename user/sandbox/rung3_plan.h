/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Deciding whether a sandbox warden starts itself can run on rung 3, shared by `warden run`
 * and the daemon's run: plan the mechanisms for its compiled policy and refuse, saying why,
 * when a feature every policy needs is not enforced or the policy cannot be expressed. */
#ifndef WD_SANDBOX_RUNG3_PLAN_H
#define WD_SANDBOX_RUNG3_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/confine.h"
#include "sandbox/rung3.h"

struct wd_rung3_plan {
	struct wd_confine confine;		     /* what the child applies (spawn.h) */
	struct wd_feature_row rows[WD_FEATURES_MAX]; /* per feature, for the start message */
	size_t n_rows;
};

/* Plans rung 3 for @c with the mechanisms @r3 saw refusing. Returns 0 with @out filled, or
 * -errno with why in @why and nothing to free:
 *   -EOPNOTSUPP  this kernel cannot enforce exec and file rules by rung 3 (no Landlock), or a
 *                feature every sandbox needs is not enforced here (the row is named);
 *   -EPERM       the policy says something rung 3 cannot express (the rule is named).
 * With @degraded the last two are accepted: @out->confine.unexpressed and the rows say what is
 * weaker, and the caller must say it. */
int wd_rung3_plan(const struct wd_compiled *c, const struct wd_rung3 *r3, bool degraded,
		  struct wd_rung3_plan *out, char *why, size_t size);
void wd_rung3_plan_free(struct wd_rung3_plan *p);

/* "landlock, mount-ns, seccomp": the mechanisms the plan uses, for one-line messages. */
const char *wd_rung3_plan_mechs(const struct wd_rung3_plan *p, char *buf, size_t size);

/* The rows in one line, features grouped by the mechanism that enforces them, in order:
 * "enforced by landlock: exec, file read; mount-ns: executable mappings; ...; NOT ENFORCED:
 * sockets passed in". For the SANDBOX_CREATED lifecycle event and logs. */
void wd_rung_summary(const struct wd_feature_row *rows, size_t n, char *buf, size_t size);

#endif
