// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3: planning in the parent, applying in the child (see confine.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif

#include "policy/compile.h"
#include "sandbox/confine.h"
#include "sandbox/pidns.h"
#include "sandbox/rung3.h"

static void abstract_check(const struct wd_compiled *c, struct wd_confine *out)
{
	for (size_t i = 0; i < c->n_abstract; i++) {
		const char *rule = wd_compiled_rule_text(c, c->abstract[i].rule_id);

		if (c->abstract[i].verdict != WD_V_ALLOW)
			continue;
		snprintf(out->unexpressed, sizeof(out->unexpressed),
			 "%s: rung 3 cannot allow an abstract unix socket made outside the "
			 "sandbox: Landlock's scope refuses all of them or none",
			 rule ? rule : "an abstract: allow rule");
		return;
	}
	out->ll.scoped |= WD_LL_SCOPE_ABSTRACT_UNIX;
}

/* The node's unix sockets at the start, covered by mounts (sockets.h): unless no unix socket can
 * be made at all. */
static int cover_sockets(const struct wd_compiled *c, const struct wd_rung3 *r3, FILE *mi,
			 struct wd_confine *out, char *why, size_t size)
{
	int err;

	if (r3->seccomp && !(c->cfg.families & (1ULL << AF_UNIX)))
		return 0;
	err = wd_sockets_scan(c, &out->socks);
	if (err) {
		snprintf(why, size, "scanning the node's unix sockets: %s", strerror(-err));
		return err;
	}
	out->socks_scanned = true;
	rewind(mi);
	return wd_mounts_plan_sockets(mi, out->socks.paths, out->socks.n, &out->mnt, why, size);
}

int wd_confine_build(const struct wd_compiled *c, const struct wd_rung3 *r3, struct wd_confine *out,
		     char *why, size_t size)
{
	FILE *mi = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	out->ruleset_fd = -1;
	if (!r3->landlock) {
		snprintf(why, size, "Landlock: %s", r3->ll_detail);
		return -EOPNOTSUPP;
	}
	if (c->cfg.flags & WD_POL_AUDIT) {
		snprintf(why, size,
			 "audit mode needs BPF LSM: rung 3 (Landlock) cannot let a would-be denial "
			 "through and report it");
		return -EOPNOTSUPP;
	}
	mi = fopen("/proc/self/mountinfo", "re");
	if (!mi) {
		err = -errno;
		snprintf(why, size, "/proc/self/mountinfo: %s", strerror(errno));
		return err;
	}
	err = wd_mounts_check_aliases(mi, c, why, size);
	if (!err)
		err = wd_landlock_plan(c, r3->ll_abi, r3->mount_ns ? WD_LL_PLAN_MOUNTS : 0,
				       &wd_ll_fs_real, &out->ll, why, size);
	if (err)
		goto out;
	if (r3->ll_scope) {
		out->ll.scoped |= WD_LL_SCOPE_SIGNAL;
		abstract_check(c, out);
	}
	out->pidns = r3->pid_ns;
	if (r3->mount_ns) {
		rewind(mi);
		err = wd_mounts_plan(mi, &out->ll, &out->mnt, why, size);
		if (err)
			goto out;
		out->mounts = true;
		err = cover_sockets(c, r3, mi, out, why, size);
		if (err)
			goto out;
	}
	if (r3->seccomp) {
		const struct wd_seccomp_opts so = {
			.families = c->cfg.families,
			.raw_families = c->cfg.raw_families,
			.allow_fileless = c->cfg.flags & WD_POL_ALLOW_FILELESS,
			.allow_jit = c->cfg.flags & WD_POL_ALLOW_JIT,
		};

		err = wd_seccomp_build(&so, &out->sc);
		if (err) {
			snprintf(why, size, "assembling the seccomp filter: %s", strerror(-err));
			goto out;
		}
		out->seccomp = true;
	}
	err = wd_landlock_ruleset(&out->ll, why, size);
	if (err >= 0) {
		out->ruleset_fd = err;
		err = 0;
	}
out:
	fclose(mi);
	if (err)
		wd_confine_free(out);
	return err;
}

void wd_confine_free(struct wd_confine *cf)
{
	if (cf->ruleset_fd >= 0)
		close(cf->ruleset_fd);
	wd_landlock_plan_free(&cf->ll);
	wd_mounts_free(&cf->mnt);
	wd_seccomp_free(&cf->sc);
	wd_sockets_free(&cf->socks);
	cf->socks_scanned = false;
	cf->ruleset_fd = -1;
	cf->mounts = cf->seccomp = cf->pidns = false;
}

/* The ruleset was made in the parent, on the node's /proc; the pid namespace's /proc is
 * mounted over it, and Landlock ignores the rules of a mount hidden under another: the rules
 * under /proc are made again on the namespace's /proc, with the same rights. Where their paths
 * name nothing now (another pid), nothing is granted. */
static int proc_rules(const struct wd_confine *cf, char *why, size_t size)
{
	for (size_t i = 0; i < cf->ll.n_rules; i++) {
		const struct wd_ll_rule *r = &cf->ll.rules[i];
		struct ll_path_beneath {
			__u64 allowed_access;
			__s32 parent_fd;
		} __attribute__((packed)) pb = {.allowed_access = r->access};
		struct stat st;
		int err;

		if (!wd_pidns_covered(r->path))
			continue;
		pb.parent_fd = open(r->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pb.parent_fd < 0)
			continue;
		if (fstat(pb.parent_fd, &st) || S_ISLNK(st.st_mode) ||
		    S_ISDIR(st.st_mode) != r->dir) {
			close(pb.parent_fd);
			continue;
		}
		err = syscall(__NR_landlock_add_rule, cf->ruleset_fd, 1 /* PATH_BENEATH */, &pb, 0)
			      ? -errno
			      : 0;
		close(pb.parent_fd);
		if (err) {
			snprintf(why, size, "landlock_add_rule %s: %s", r->path, strerror(-err));
			return err;
		}
	}
	return 0;
}

struct sweep {
	const struct wd_mount_plan *p;
	char *why;
	size_t size;
};

static int sweep_one(void *ctx, char *point, const char *fstype)
{
	const unsigned long ro =
		MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC | MS_NOSUID | MS_NODEV;
	struct sweep *sw = ctx;
	int err;

	(void)fstype;
	for (size_t i = 0; i < sw->p->n; i++)
		if (strcmp(sw->p->ops[i].path, point) == 0)
			return 0;
	/* Hidden under a later mount, or gone: nothing to remount (as mounts.c). */
	if (mount(NULL, point, NULL, ro, NULL) == 0 || errno == ENOENT || errno == EINVAL)
		return 0;
	err = -errno;
	snprintf(sw->why, sw->size, "remounting %s (mounted after planning) read-only: %s", point,
		 strerror(errno));
	return err;
}

/* The mount plan was made from the parent's reading of the mount table; a mount made between
 * that reading and this namespace's copy of the table is in no step of it, and would stay as
 * the node has it (writable, executable). Every such mount is made read-only and noexec here,
 * failing closed. */
static int sweep_unplanned(const struct wd_mount_plan *p, char *why, size_t size)
{
	struct sweep sw = {.p = p, .why = why, .size = size};
	int err = wd_pidns_each_mount(sweep_one, &sw);

	if (err && !why[0])
		snprintf(why, size, "reading the sandbox's mount table: %s", strerror(-err));
	return err;
}

int wd_confine_mounts(const struct wd_confine *cf, char *why, size_t size)
{
	int err = 0;

	if (cf->pidns) {
		err = wd_pidns_proc(why, size);
		if (!err && cf->ruleset_fd >= 0)
			err = proc_rules(cf, why, size);
	}
	if (!err && cf->mounts)
		err = wd_mounts_apply(&cf->mnt, why, size);
	if (!err && cf->mounts) {
		why[0] = '\0';
		err = sweep_unplanned(&cf->mnt, why, size);
	}
	return err;
}

int wd_confine_enter(const struct wd_confine *cf, char *why, size_t size)
{
	int err;

	/* Under the pid namespace's init, the mounts' "/proc/self" binds were the init's own. */
	if (cf->pidns && cf->mounts) {
		err = wd_mounts_apply_self(&cf->mnt, why, size);
		if (err)
			return err;
	}
	for (int cap = 0; cap < 64; cap++)
		if ((WD_CONFINE_CAPS & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL) {
			err = -errno;
			snprintf(why, size, "dropping capability %d: %s", cap, strerror(errno));
			return err;
		}
	err = wd_landlock_restrict(cf->ruleset_fd);
	if (err)
		snprintf(why, size, "entering the Landlock domain: %s", strerror(-err));
	return err;
}

int wd_confine_finish(const struct wd_confine *cf, char *why, size_t size)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	int err;

	/* Failing closed: a root whose capabilities cannot be read or dropped does not run. */
	if (syscall(SYS_capget, &h, d)) {
		err = -errno;
		snprintf(why, size, "reading its capabilities: %s", strerror(errno));
		return err;
	}
	for (int i = 0; i < 2; i++) {
		__u32 drop = (__u32)(WD_CONFINE_CAPS >> (32 * i));

		d[i].effective &= ~drop;
		d[i].permitted &= ~drop;
		d[i].inheritable &= ~drop;
	}
	if (syscall(SYS_capset, &h, d)) {
		err = -errno;
		snprintf(why, size, "dropping capabilities: %s", strerror(errno));
		return err;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		err = -errno;
		snprintf(why, size, "clearing the ambient capabilities: %s", strerror(errno));
		return err;
	}
	if (cf->seccomp) {
		err = wd_seccomp_install(&cf->sc);
		if (err) {
			snprintf(why, size, "installing the seccomp filter: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}
