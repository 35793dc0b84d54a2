/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 3, exec and file rules: a compiled policy as a Landlock ruleset (docs: ISSUE18 design
 * §2.3). Landlock only allows, and allows beneath a directory, so a deny inside an allowed tree is
 * planned by expanding that tree into its entries around each denied path: every entry that no
 * deny touches gets one rule, denied entries get none. Planning is pure (the file system is read
 * through struct wd_ll_fs, so tests give a fake one); the ruleset is made in the parent and the
 * child restricts itself with it between fork and exec. */
#ifndef WD_SANDBOX_LANDLOCK_H
#define WD_SANDBOX_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct wd_compiled;

/* Rights of Landlock ABI 1-3 and the scopes of ABI 6 (the build headers may be older). */
#define WD_LL_EXECUTE	  (1ULL << 0)
#define WD_LL_WRITE_FILE  (1ULL << 1)
#define WD_LL_READ_FILE	  (1ULL << 2)
#define WD_LL_READ_DIR	  (1ULL << 3)
#define WD_LL_REMOVE_DIR  (1ULL << 4)
#define WD_LL_REMOVE_FILE (1ULL << 5)
#define WD_LL_MAKE_CHAR	  (1ULL << 6)
#define WD_LL_MAKE_DIR	  (1ULL << 7)
#define WD_LL_MAKE_REG	  (1ULL << 8)
#define WD_LL_MAKE_SOCK	  (1ULL << 9)
#define WD_LL_MAKE_FIFO	  (1ULL << 10)
#define WD_LL_MAKE_BLOCK  (1ULL << 11)
#define WD_LL_MAKE_SYM	  (1ULL << 12)
#define WD_LL_REFER	  (1ULL << 13) /* ABI 2 */
#define WD_LL_TRUNCATE	  (1ULL << 14) /* ABI 3 */
#define WD_LL_IOCTL_DEV	  (1ULL << 15) /* ABI 5 */
#define WD_LL_FILE_RIGHTS                                                                          \
	(WD_LL_EXECUTE | WD_LL_WRITE_FILE | WD_LL_READ_FILE | WD_LL_TRUNCATE | WD_LL_IOCTL_DEV)

#define WD_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define WD_LL_SCOPE_SIGNAL	  (1ULL << 1) /* ABI 6 */

/* Past these, a plan is refused rather than made: the design's bounds (E4). WALK_MAX: entries
 * looked at for hard links under one denied directory. */
#define WD_LL_RULES_MAX 20000
#define WD_LL_WALK_MAX	1000000

/* wd_landlock_plan flags. MOUNTS: the mount plan (mounts.h) applies the plan's guards, so a deny
 * inside a tree the job may write is held by a mount there instead of by expanding the tree
 * (which would leave the tree without rights for new names). */
#define WD_LL_PLAN_MOUNTS (1u << 0)

/* What the mount plan does at a guarded path (bits, or-ed on one path). */
#define WD_LL_GUARD_PIN	 (1u << 0) /* a mount point of its own: it cannot be renamed or removed */
#define WD_LL_GUARD_RO	 (1u << 1) /* write-denied: read-only (and nodev) */
#define WD_LL_GUARD_MASK (1u << 2) /* read-denied: covered, so nothing in it can be opened */
/* Read-denied, absent at the start, inside a tree the job may write: neither a mount nor Landlock
 * (which would have to leave the tree without read rights for every file made there later)
 * holds it. No mount: a file made there during the run is not refused. */
#define WD_LL_GUARD_ABSENT (1u << 3)

struct wd_ll_guard {
	char *path;
	unsigned kind;
	bool dir;
};

/* One path-beneath rule: @access on @path (a directory: and everything beneath it). */
struct wd_ll_rule {
	char *path;
	__u64 access;
	bool dir;
};

struct wd_ll_plan {
	int abi;
	__u64 handled; /* handled_access_fs */
	__u64 scoped;
	struct wd_ll_rule *rules; /* sorted by path, one per path */
	size_t n_rules, cap_rules;
	/* Read-denied directories under a READ_DIR grant: listing them shows names (the contents
	 * stay refused); the mount plan hides them where it can. */
	char **masks;
	size_t n_masks, cap_masks;
	/* With WD_LL_PLAN_MOUNTS: the denies held by mounts instead of Landlock (existing files and
	 * directories denied inside a tree the job may write), and the names on the way to denies
	 * that must stay where they are. Sorted by path. */
	struct wd_ll_guard *guards;
	size_t n_guards, cap_guards;
	size_t n_listed; /* directory entries read while planning */
};

/* File-system access for the planner. @list calls @fn for each entry of @dir but "." and "..",
 * with its d_type (DT_UNKNOWN allowed); a non-zero return from @fn stops and is returned. @lstat
 * gives the type (S_IFMT bits) and link count; -errno when the path does not exist. */
struct wd_ll_fs {
	int (*list)(void *arg, const char *dir,
		    int (*fn)(void *ctx, const char *name, unsigned char type), void *ctx);
	int (*lstat)(void *arg, const char *path, mode_t *mode, nlink_t *nlink);
	void *arg;
};

/* The real file system. */
extern const struct wd_ll_fs wd_ll_fs_real;

/* The Landlock ABI version of this kernel, or -errno (-EOPNOTSUPP: built without or disabled). */
int wd_landlock_abi(void);

/* Plans the ruleset for @c on Landlock @abi (>= 1), @flags WD_LL_PLAN_*. Returns 0, or -errno
 * with a message in @why: -EPERM when rung 3 cannot express the policy (a denied file with other
 * hard links; too many rules or entries), naming the rule (file:line:column) and why. Free with
 * wd_landlock_plan_free. */
int wd_landlock_plan(const struct wd_compiled *c, int abi, unsigned flags,
		     const struct wd_ll_fs *fs, struct wd_ll_plan *out, char *why, size_t size);
void wd_landlock_plan_free(struct wd_ll_plan *p);
/* The rule on exactly @path, or NULL. */
const struct wd_ll_rule *wd_landlock_plan_rule(const struct wd_ll_plan *p, const char *path);

/* Makes the ruleset of @p (opening each path O_PATH|O_NOFOLLOW; paths gone since planning are
 * skipped). Returns its fd (O_CLOEXEC) or -errno with a message in @why. */
int wd_landlock_ruleset(const struct wd_ll_plan *p, char *why, size_t size);
/* The guard on exactly @path, or NULL. */
const struct wd_ll_guard *wd_landlock_plan_guard(const struct wd_ll_plan *p, const char *path);

/* In the child: no_new_privs, then the domain. Returns 0 or -errno. The child's own
 * /proc/self/coredump_filter is granted WRITE_FILE first (every JVM writes it at start; a rule
 * on this process's proc inode reaches no other process's). */
int wd_landlock_restrict(int ruleset_fd);

#endif
