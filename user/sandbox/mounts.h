/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 3's mount plan, in a mount namespace of the sandbox's own (design §2.4): every mount takes
 * what the Landlock plan grants at its mount point (read-only but where the job may write, noexec
 * but where it may run; never more than the host gave it, and never writable for a file system of
 * device nodes); the trees the plan lets the job write or run from that start below a mount point
 * bound onto themselves so; the plan's guards (denies inside writable trees): write-denied trees
 * bound read-only, read-denied ones covered (an empty read-only tmpfs, /dev/null on a nodev
 * mount for a file), the names on the way pinned as mount points (EBUSY for rename and unlink);
 * read-denied directories under a listable tree covered by an empty read-only tmpfs; and the
 * job's own /proc/self/coredump_filter writable. Landlock already refuses what this refuses by
 * path; the mounts add what Landlock does not see: chmod, chown and xattrs outside the write
 * rules (EROFS), and executable mappings of files the job wrote (ld.so /tmp/x, LD_PRELOAD).
 * Planned in the parent (no allocation in the child, which may be forked from a threaded
 * process); applied in the child before Landlock, which forbids mounting. */
#ifndef WD_SANDBOX_MOUNTS_H
#define WD_SANDBOX_MOUNTS_H

#include <stddef.h>
#include <stdio.h>

struct wd_ll_plan;
struct wd_compiled;

enum wd_mount_kind {
	WD_MNT_REMOUNT,	  /* an existing mount: remount with @flags */
	WD_MNT_BIND,	  /* bind @path onto itself, then remount the bind with @flags */
	WD_MNT_MASK,	  /* an empty read-only tmpfs over @path */
	WD_MNT_MASK_FILE, /* /dev/null over @path, nodev: every open refused */
};

struct wd_mount_op {
	enum wd_mount_kind kind;
	char *path;
	unsigned long flags; /* MS_* for the remount */
};

struct wd_mount_plan {
	struct wd_mount_op *ops; /* in the order they are applied */
	size_t n, cap;
};

/* Plans from @mountinfo (the format of /proc/self/mountinfo) and the Landlock plan @ll, whose
 * rules say what is writable (write rights) and executable (EXECUTE). Returns 0 or -errno with a
 * message in @why. */
int wd_mounts_plan(FILE *mountinfo, const struct wd_ll_plan *ll, struct wd_mount_plan *out,
		   char *why, size_t size);
/* Appends to @out a cover (WD_MNT_MASK_FILE) for each of the @n unix sockets at @paths
 * (sockets.h) and for every other name @mountinfo gives the same file (a bind of its directory
 * elsewhere): a connect through any name, symbolic link or /proc/self/root ends on /dev/null on
 * a nodev mount (refused), and a hard link to it crosses mounts (EXDEV). Last in the plan, so no
 * later bind hides a cover. Returns 0 or -errno with a message in @why. */
int wd_mounts_plan_sockets(FILE *mountinfo, char *const *paths, size_t n, struct wd_mount_plan *out,
			   char *why, size_t size);
/* In a process other than the one that ran wd_mounts_apply (the job, under a pid namespace's
 * init), the plan's binds of "/proc/self/..." again: "self" named the init there. */
int wd_mounts_apply_self(const struct wd_mount_plan *p, char *why, size_t size);
void wd_mounts_free(struct wd_mount_plan *p);

/* The system calls that change the file system but open (x86_64 numbers): where one answers
 * EROFS in a sandbox with the plan's read-only mounts, a mount refused a change outside the
 * write rules (Landlock, asked after the mount, has no record of it). Fills up to @max numbers into
 * @nrs; returns how many there are. */
size_t wd_mounts_rofs_calls(unsigned *nrs, size_t max);

/* Mounts that show a denied object of @c (read or write deny), or for a directory anything in it
 * (a bind of a subdirectory, another mount of a volume mounted inside it), under another name,
 * which Landlock would not deny: -EPERM with the rule and the mount in @why, else 0. */
int wd_mounts_check_aliases(FILE *mountinfo, const struct wd_compiled *c, char *why, size_t size);

/* In the child: a mount namespace of its own, private, then @p in order. Returns 0, or -errno
 * with the path that failed in @why (no allocation). */
int wd_mounts_apply(const struct wd_mount_plan *p, char *why, size_t size);

#endif
