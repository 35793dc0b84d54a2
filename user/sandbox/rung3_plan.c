// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3 for one sandbox: the plan from its compiled policy, and the refusal when it would
 * enforce less than every policy needs (see rung3_plan.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/rung3_plan.h"

int wd_rung3_plan(const struct wd_compiled *c, const struct wd_rung3 *r3, bool degraded,
		  struct wd_rung3_plan *out, char *why, size_t size)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->confine.ruleset_fd = -1;
	if (!r3->landlock) {
		snprintf(why, size, "Landlock was not seen refusing a test child (%s)",
			 r3->ll_detail[0] ? r3->ll_detail : "not tried");
		return -EOPNOTSUPP;
	}
	err = wd_confine_build(c, r3, &out->confine, why, size);
	if (err)
		return err == -EPERM ? err : -EOPNOTSUPP;
	if (out->confine.unexpressed[0] && !degraded) {
		snprintf(why, size, "%s", out->confine.unexpressed);
		wd_confine_free(&out->confine);
		return -EPERM;
	}
	out->n_rows = wd_rung_report(NULL, r3, true, c, out->rows, WD_FEATURES_MAX);
	for (size_t i = 0; !degraded && i < out->n_rows; i++) {
		if (!out->rows[i].required || out->rows[i].enforced)
			continue;
		snprintf(why, size, "rung 3 here cannot enforce %s (%s)", out->rows[i].feature,
			 out->rows[i].detail);
		wd_confine_free(&out->confine);
		return -EOPNOTSUPP;
	}
	return 0;
}

void wd_rung3_plan_free(struct wd_rung3_plan *p)
{
	wd_confine_free(&p->confine);
}

const char *wd_rung3_plan_mechs(const struct wd_rung3_plan *p, char *buf, size_t size)
{
	snprintf(buf, size, "landlock%s%s", p->confine.mounts ? ", mount-ns" : "",
		 p->confine.seccomp ? ", seccomp" : "");
	return buf;
}

