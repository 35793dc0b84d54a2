// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3's exec and file rules as a Landlock ruleset: the planner (pure, over struct wd_ll_fs)
 * and the two syscalls that apply it. See landlock.h; the denies Landlock cannot hold by name
 * alone are in landlock_denies.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/compile.h"
#include "sandbox/landlock.h"
#include "sandbox/landlock_internal.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule	     445
#define __NR_landlock_restrict_self  446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH	  1

struct ll_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net; /* ABI 4 */
	__u64 scoped;		  /* ABI 6 */
};

struct ll_path_beneath {
	__u64 allowed_access;
	__s32 parent_fd;
} __attribute__((packed));

#define N_OPS	 3 /* exec, read, write: the ops Landlock can express */
#define LIST_MAX 200000
#define WRITE_DIR                                                                                  \
	(WD_LL_WRITE_FILE | WD_LL_REMOVE_DIR | WD_LL_REMOVE_FILE | WD_LL_MAKE_CHAR |               \
	 WD_LL_MAKE_DIR | WD_LL_MAKE_REG | WD_LL_MAKE_SOCK | WD_LL_MAKE_FIFO | WD_LL_MAKE_BLOCK |  \
	 WD_LL_MAKE_SYM | WD_LL_REFER | WD_LL_TRUNCATE)

static const __u64 dir_rights[N_OPS] = {
	[WD_OP_EXEC] = WD_LL_EXECUTE,
	[WD_OP_READ] = WD_LL_READ_FILE | WD_LL_READ_DIR,
	[WD_OP_WRITE] = WRITE_DIR,
};
static const __u64 file_rights[N_OPS] = {
	[WD_OP_EXEC] = WD_LL_EXECUTE,
	[WD_OP_READ] = WD_LL_READ_FILE,
	[WD_OP_WRITE] = WD_LL_WRITE_FILE | WD_LL_TRUNCATE,
};

int wd_landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	if (v < 0)
		return errno == ENOSYS ? -EOPNOTSUPP : -errno;
	return (int)v;
}

/* ---- The real file system ------------------------------------------------------------------ */

static int real_list(void *arg, const char *dir,
		     int (*fn)(void *ctx, const char *name, unsigned char type), void *ctx)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret = 0;
	struct dirent *de;
	DIR *d;

	(void)arg;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (!ret && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ret = fn(ctx, de->d_name, de->d_type);
	closedir(d);
	return ret;
}

static int real_lstat(void *arg, const char *path, mode_t *mode, nlink_t *nlink)
{
	struct stat st;

	(void)arg;
	if (lstat(path, &st))
		return -errno;
	*mode = st.st_mode;
	*nlink = st.st_nlink;
	return 0;
}

const struct wd_ll_fs wd_ll_fs_real = {.list = real_list, .lstat = real_lstat};

/* ---- Planning ------------------------------------------------------------------------------ */

int wd_ll_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, (*cap ? 2 * *cap : 64) * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = *cap ? 2 * *cap : 64;
	return 0;
}

static int add_rule(struct wd_ll_planner *pl, const char *path, __u64 access, bool dir)
{
	struct wd_ll_plan *p = pl->p;

	access &= p->handled;
	if (!dir)
		access &= WD_LL_FILE_RIGHTS;
	if (!access)
		return 0;
	if (p->n_rules >= WD_LL_RULES_MAX) {
		snprintf(pl->why, pl->size,
			 "rung 3 (Landlock) would need more than %d rules for this policy's denies "
			 "inside allowed trees (at %s); narrow the allowed trees or run where BPF "
			 "LSM "
			 "is available",
			 WD_LL_RULES_MAX, path);
		return -EPERM;
	}
	if (wd_ll_grow((void **)&p->rules, &p->cap_rules, p->n_rules, sizeof(*p->rules)))
		return -ENOMEM;
	p->rules[p->n_rules].path = strdup(path);
	if (!p->rules[p->n_rules].path)
		return -ENOMEM;
	p->rules[p->n_rules].access = access;
	p->rules[p->n_rules].dir = dir;
	p->n_rules++;
	return 0;
}

static int add_mask(struct wd_ll_planner *pl, const char *path)
{
	struct wd_ll_plan *p = pl->p;

	if (wd_ll_grow((void **)&p->masks, &p->cap_masks, p->n_masks, sizeof(*p->masks)))
		return -ENOMEM;
	p->masks[p->n_masks] = strdup(path);
	return p->masks[p->n_masks++] ? 0 : -ENOMEM;
}

/* @s names something strictly beneath the directory @dir. */
static bool beneath(const char *s, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return s[0] == '/' && s[1] != '\0';
	return strncmp(s, dir, len) == 0 && s[len] == '/' && s[len + 1] != '\0';
}

static bool allowed(const struct wd_compiled *c, const char *path, bool dir, int op)
{
	return wd_compiled_decide(c, path, dir, (enum wd_op)op, NULL) == WD_V_ALLOW;
}

/* Whether the directory @dir and everything beneath it get the same verdict for @op (in
 * *@allow): then one rule, or none, says it all. */
static bool uniform(const struct wd_ll_planner *pl, const char *dir, int op, bool *allow)
{
	const struct wd_compiled *c = pl->c;
	bool b = wd_compiled_beneath(c, dir, (enum wd_op)op, NULL) == WD_V_ALLOW;
	size_t i;

	*allow = b;
	if (allowed(c, dir, true, op) != b)
		return false;
	for (i = 0; i < c->n_exact; i++) {
		const struct wd_exact_entry *e = &c->exact[i];

		/* A denied path and the names on the way to it may not be removed, renamed or
		 * replaced whatever the write rules say: their directories get no
		 * directory-entry rights (MAKE_*, REMOVE_*, REFER) of their own. With mounts,
		 * the existing ones are mount points instead (guards), and the tree keeps its
		 * rights. */
		if (op == WD_OP_WRITE && (e->rule.flags & WD_FR_ANCHOR) && !pl->mounts &&
		    beneath(e->key.path, dir))
			return false;
		if (e->rule.verdict[op] == WD_V_NONE || !beneath(e->key.path, dir) ||
		    wd_ll_guarded(pl, e->key.path, op))
			continue;
		if (allowed(c, e->key.path, false, op) != b ||
		    allowed(c, e->key.path, true, op) != b)
			return false;
	}
	for (i = 0; i < c->n_prefix; i++) {
		const struct wd_prefix_entry *e = &c->prefix[i];

		if (beneath(e->key.path, dir) && (e->rule.verdict[op] == WD_V_ALLOW) != b &&
		    !wd_ll_guarded(pl, e->key.path, op))
			return false;
	}
	return true;
}

struct dir_ctx {
	struct wd_ll_planner *pl;
	const char *dir;
	unsigned need; /* bit 1 << op: ops expanded here */
	bool listing;  /* READ_DIR granted here or above */
};

static int plan_dir(struct wd_ll_planner *pl, const char *dir, unsigned ops, bool listing);

static int plan_entry(void *arg, const char *name, unsigned char type)
{
	struct dir_ctx *d = arg;
	struct wd_ll_planner *pl = d->pl;
	char path[PATH_MAX];
	mode_t mode = 0;
	nlink_t nlink;
	int op, err;

	if (snprintf(path, sizeof(path), "%s/%s", strcmp(d->dir, "/") ? d->dir : "", name) >=
	    (int)sizeof(path))
		return 0; /* no rule: what cannot be named is refused */
	if (++pl->p->n_listed > LIST_MAX) {
		snprintf(
			pl->why, pl->size,
			"rung 3 (Landlock): expanding allowed trees around this policy's denies "
			"reads more than %d directory entries (at %s); narrow the allowed trees or "
			"run where BPF LSM is available",
			LIST_MAX, d->dir);
		return -EPERM;
	}
	if (type == DT_UNKNOWN) {
		if (pl->fs->lstat(pl->fs->arg, path, &mode, &nlink))
			return 0;
		type = S_ISDIR(mode) ? DT_DIR : S_ISLNK(mode) ? DT_LNK : DT_REG;
	}
	/* A symlink gets no rule: what it points to is decided where it is. */
	if (type == DT_LNK)
		return 0;
	if (type == DT_DIR)
		return plan_dir(pl, path, d->need, d->listing);
	for (op = 0; op < N_OPS; op++) {
		if (!(d->need & (1u << op)) || !allowed(pl->c, path, false, op))
			continue;
		err = add_rule(pl, path, file_rights[op], false);
		if (err)
			return err;
	}
	return 0;
}

static int plan_dir(struct wd_ll_planner *pl, const char *dir, unsigned ops, bool listing)
{
	struct dir_ctx d = {.pl = pl, .dir = dir, .listing = listing};
	bool allow;
	int op, err;

	for (op = 0; op < N_OPS; op++) {
		err = 0;
		if (!(ops & (1u << op)))
			continue;
		if (!uniform(pl, dir, op, &allow))
			d.need |= 1u << op;
		else if (allow)
			err = add_rule(pl, dir, dir_rights[op], true);
		else if (op == WD_OP_READ && listing)
			err = add_mask(pl, dir);
		if (err)
			return err;
	}
	if (!d.need)
		return 0;
	/* Listing: Landlock cannot grant READ_DIR on a directory without what is beneath it, so a
	 * readable directory that is expanded is listable beneath, and the read-denied directories
	 * under it are masks for the mount plan. */
	if ((d.need & (1u << WD_OP_READ)) && allowed(pl->c, dir, true, WD_OP_READ)) {
		err = add_rule(pl, dir, WD_LL_READ_DIR, true);
		if (err)
			return err;
		d.listing = true;
	}
	err = pl->fs->list(pl->fs->arg, dir, plan_entry, &d);
	/* A directory that cannot be listed gets no rules beneath: refused, never granted. */
	return err == -ENOENT || err == -EACCES || err == -ENOTDIR || err == -ELOOP ? 0 : err;
}

/* ---- Device ioctls (ABI 5) ------------------------------------------------------------------- */

/* With LANDLOCK_ACCESS_FS_IOCTL_DEV handled, ioctl(2) on a device opened in the sandbox is refused
 * but where a rule grants it: terminals (a job makes its own with /dev/ptmx and /dev/pts/N, and
 * stty, less and editors ask them) and the devices that are plain data (/dev/null and the like).
 * The grant alone opens nothing: opening still takes READ_FILE or WRITE_FILE. */
static int plan_ioctl(struct wd_ll_planner *pl)
{
	static const char *const files[] = {"/dev/tty",	 "/dev/ptmx",	"/dev/null",   "/dev/zero",
					    "/dev/full", "/dev/random", "/dev/urandom"};
	int err = add_rule(pl, "/dev/pts", WD_LL_IOCTL_DEV, true);

	for (size_t i = 0; !err && i < sizeof(files) / sizeof(files[0]); i++)
		err = add_rule(pl, files[i], WD_LL_IOCTL_DEV, false);
	return err;
}

/* ---- The plan -------------------------------------------------------------------------------- */

static int rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wd_ll_rule *)a)->path, ((const struct wd_ll_rule *)b)->path);
}

/* One rule per path: the rights of every op together. */
static void merge_rules(struct wd_ll_plan *p)
{
	size_t i, k = 0;

	qsort(p->rules, p->n_rules, sizeof(*p->rules), rule_cmp);
	for (i = 0; i < p->n_rules; i++) {
		if (k && strcmp(p->rules[k - 1].path, p->rules[i].path) == 0) {
			p->rules[k - 1].access |= p->rules[i].access;
			free(p->rules[i].path);
			continue;
		}
		p->rules[k++] = p->rules[i];
	}
	p->n_rules = k;
}

int wd_landlock_plan(const struct wd_compiled *c, int abi, unsigned flags,
		     const struct wd_ll_fs *fs, struct wd_ll_plan *out, char *why, size_t size)
{
	struct wd_ll_planner pl = {.c = c,
				   .fs = fs,
				   .p = out,
				   .why = why,
				   .size = size,
				   .mounts = flags & WD_LL_PLAN_MOUNTS};
	int err;

	memset(out, 0, sizeof(*out));
	if (abi < 1) {
		snprintf(why, size, "Landlock is not available");
		return -EOPNOTSUPP;
	}
	out->abi = abi;
	out->handled = (WD_LL_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
	if (abi >= 2)
		out->handled |= WD_LL_REFER;
	if (abi >= 3)
		out->handled |= WD_LL_TRUNCATE;
	if (abi >= 5)
		out->handled |= WD_LL_IOCTL_DEV;
	err = wd_ll_check_links(&pl);
	if (!err && pl.mounts)
		err = wd_ll_plan_guards(&pl);
	if (!err)
		err = plan_dir(&pl, "/", (1u << N_OPS) - 1, false);
	if (!err && abi >= 5)
		err = plan_ioctl(&pl);
	if (err) {
		if (err != -EPERM)
			snprintf(why, size, "planning the Landlock ruleset: %s", strerror(-err));
		wd_landlock_plan_free(out);
		return err;
	}
	merge_rules(out);
	wd_ll_sort_guards(out);
	return 0;
}

void wd_landlock_plan_free(struct wd_ll_plan *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		free(p->rules[i].path);
	for (i = 0; i < p->n_masks; i++)
		free(p->masks[i]);
	for (i = 0; i < p->n_guards; i++)
		free(p->guards[i].path);
	free(p->rules);
	free(p->masks);
	free(p->guards);
	memset(p, 0, sizeof(*p));
}

const struct wd_ll_rule *wd_landlock_plan_rule(const struct wd_ll_plan *p, const char *path)
{
	struct wd_ll_rule key = {.path = (char *)path};

	return p->n_rules ? bsearch(&key, p->rules, p->n_rules, sizeof(key), rule_cmp) : NULL;
}

/* ---- Applying -------------------------------------------------------------------------------- */

int wd_landlock_ruleset(const struct wd_ll_plan *p, char *why, size_t size)
{
	struct ll_ruleset_attr attr = {.handled_access_fs = p->handled, .scoped = p->scoped};
	size_t attr_size = p->abi >= 6 ? 24 : p->abi >= 4 ? 16 : 8;
	int fd, err;

	fd = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(why, size, "landlock_create_ruleset: %s", strerror(errno));
		return err;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct wd_ll_rule *r = &p->rules[i];
		struct ll_path_beneath pb = {.allowed_access = r->access};
		struct stat st;

		pb.parent_fd = open(r->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pb.parent_fd < 0)
			continue; /* gone since planning: nothing to grant */
		if (fstat(pb.parent_fd, &st) || S_ISLNK(st.st_mode) ||
		    S_ISDIR(st.st_mode) != r->dir) {
			close(pb.parent_fd);
			continue; /* replaced since planning: granted nothing */
		}
		if (syscall(__NR_landlock_add_rule, fd, LL_RULE_PATH_BENEATH, &pb, 0)) {
			err = -errno;
			snprintf(why, size, "landlock_add_rule %s: %s", r->path, strerror(errno));
			close(pb.parent_fd);
			close(fd);
			return err;
		}
		close(pb.parent_fd);
	}
	return fd;
}

int wd_landlock_restrict(int ruleset_fd)
{
	struct ll_path_beneath pb = {.allowed_access = WD_LL_WRITE_FILE | WD_LL_TRUNCATE};

	/* This process's own proc inode: no other process's file, nor its children's, is it.
	 * Failing, the file is only read-only, as everything else in /proc. */
	pb.parent_fd = open("/proc/self/coredump_filter", O_PATH | O_CLOEXEC);
	if (pb.parent_fd >= 0) {
		/* "echo >" truncates: TRUNCATE too where the ruleset handles it (ABI 3). */
		if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &pb, 0)) {
			pb.allowed_access = WD_LL_WRITE_FILE;
			(void)syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &pb,
				      0);
		}
		close(pb.parent_fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(__NR_landlock_restrict_self, ruleset_fd,
		    /* LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (ABI 7): the job's denials are audit
		     * records too, not only warden's own before the exec (sandbox/llaudit.h) */
		    wd_landlock_abi() >= 7 ? 2u : 0u))
		return -errno;
	return 0;
}
