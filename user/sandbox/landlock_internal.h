/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of the Landlock planner share (landlock.c, landlock_denies.c): the planner's
 * state and the checks on denies that run before the tree is planned. */
#ifndef WD_SANDBOX_LANDLOCK_INTERNAL_H
#define WD_SANDBOX_LANDLOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/landlock.h"

struct wd_ll_planner {
	const struct wd_compiled *c;
	const struct wd_ll_fs *fs;
	struct wd_ll_plan *p;
	char *why;
	size_t size;
	bool mounts; /* WD_LL_PLAN_MOUNTS */
};

/* Room for element @n of the array *@v of *@cap elements of @elem bytes. 0 or -ENOMEM. */
int wd_ll_grow(void **v, size_t *cap, size_t n, size_t elem);

/* Denied files with other hard links, and denied directories too large to check for them:
 * -EPERM with the rule in the planner's why. */
int wd_ll_check_links(struct wd_ll_planner *pl);

/* With mounts: the plan's guards (landlock.h, WD_LL_GUARD_*). 0 or -ENOMEM. */
int wd_ll_plan_guards(struct wd_ll_planner *pl);
void wd_ll_sort_guards(struct wd_ll_plan *p);

/* Whether @path (a rule's path, a prefix's with its '/') is a guarded path or beneath one that
 * holds @op: then the mount plan, not Landlock, decides it there. */
bool wd_ll_guarded(const struct wd_ll_planner *pl, const char *path, int op);

#endif
