// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A sandbox's id, its policy enforced on its cgroup, and a switch to another policy. */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "enforce/enforce.h"
#include "lib/cgroup.h"
#include "policy/compile.h"
#include "sandbox/lifecycle.h"

int wd_sb_new_id(char *buf, size_t size)
{
	unsigned char rnd[8];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -errno;
	snprintf(buf, size, "sb-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
		 rnd[4], rnd[5], rnd[6], rnd[7]);
	return 0;
}

int wd_sb_enforce(struct wd_enforcer *enf, const struct wd_cgroup *cg,
		  const struct wd_compiled *pol)
{
	int err = wd_enforcer_load_policy(enf, pol);

	if (!err)
		err = wd_enforcer_attach_cgroup(enf, cg->fd);
	if (!err)
		err = wd_enforcer_add_sandbox(enf, cg->id, cg->level, pol->policy_id);
	return err;
}

int wd_sb_switch(struct wd_enforcer *enf, const struct wd_cgroup *cg,
		 const struct wd_compiled *next)
{
	int err = wd_enforcer_load_policy(enf, next);

	if (!err)
		err = wd_enforcer_add_sandbox(enf, cg->id, cg->level, next->policy_id);
	return err;
}
