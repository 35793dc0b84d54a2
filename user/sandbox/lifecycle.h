/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A sandbox's life in the kernel, the same for `warden run` and the daemon: its name, its
 * policy loaded and its cgroup registered (then enforced at once by every hook), and a switch to
 * another policy with one map update. */
#ifndef WD_SANDBOX_LIFECYCLE_H
#define WD_SANDBOX_LIFECYCLE_H

#include <stddef.h>

struct wd_cgroup;
struct wd_compiled;
struct wd_enforcer;

#define WD_SB_ID_MAX 20 /* "sb-" + 16 hex digits + NUL */

/* A new sandbox id, "sb-" and 16 random hex digits: also its cgroup's name. Returns 0 or
 * -errno. */
int wd_sb_new_id(char *buf, size_t size);

/* Enforces @pol on the cgroup @cg: the policy is written whole into its slot, the network
 * programs are attached to the cgroup, then the cgroup is registered as a sandbox under the
 * slot, so that every hook (also for processes already in an adopted cgroup) starts to enforce
 * with that one map update. Returns 0 or -errno; on error the caller releases what it made. */
int wd_sb_enforce(struct wd_enforcer *enf, const struct wd_cgroup *cg,
		  const struct wd_compiled *pol);

/* Switches the sandbox of @cg to @next: written whole into its own slot first, then one map
 * update. Returns 0 or -errno (the policy in force stays); the caller then releases the slot of
 * the policy it no longer uses (@next's on error, the previous one on success). */
int wd_sb_switch(struct wd_enforcer *enf, const struct wd_cgroup *cg,
		 const struct wd_compiled *next);

#endif
