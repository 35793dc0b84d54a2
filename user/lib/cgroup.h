/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sandbox cgroups: created under <cgroup2>/warden, killed whole with cgroup.kill, removed. */
#ifndef WD_CGROUP_H
#define WD_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct wd_cgroup {
	char path[PATH_MAX];
	int fd;		/* O_DIRECTORY, for clone3(CLONE_INTO_CGROUP) and BPF attach */
	uint64_t id;	/* what bpf_get_current_cgroup_id() returns for members */
	unsigned level; /* depth in the cgroup2 hierarchy, as BPF counts ancestors */
};

/* The depth of the cgroup at @rel (relative to the cgroup2 mount point) when the mount shows
 * the hierarchy from @mnt_root: the number of path components of both. */
unsigned wd_cgroup_level(const char *mnt_root, const char *rel);

/* Creates <cgroup2>/warden/<name> (and <cgroup2>/warden). Returns 0 or -errno; -EEXIST when the
 * sandbox exists already. */
int wd_cgroup_create(struct wd_cgroup *cg, const char *name);

/* Kills every process in the cgroup and its descendants, waits up to @timeout_ms for it to be
 * empty, then removes it and its sub-cgroups. Returns 0 or -errno; safe to call twice. */
int wd_cgroup_destroy(struct wd_cgroup *cg, int timeout_ms);

/* Opens an existing cgroup (to adopt it): @path absolute in the file system, or relative to
 * the cgroup2 mount ("/kubepods.slice/..."). Returns 0 or -errno. */
int wd_cgroup_open(struct wd_cgroup *cg, const char *path);
void wd_cgroup_close(struct wd_cgroup *cg);

/* Kills every process in the cgroup and below (cgroup.kill) and waits up to @timeout_ms for it
 * to be empty; the cgroup stays. Returns 0 or -EBUSY. */
int wd_cgroup_kill(const struct wd_cgroup *cg, int timeout_ms);

/* Whether any process is left in the cgroup or below (cgroup.events "populated"). */
bool wd_cgroup_populated(const struct wd_cgroup *cg);

#endif
