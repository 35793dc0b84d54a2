/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding mounts by filesystem type in /proc/self/mountinfo: the cgroup2 and bpffs mounts are
 * never assumed to be at their usual places. */
#ifndef WD_MOUNTINFO_H
#define WD_MOUNTINFO_H

#include <stddef.h>
#include <stdio.h>

/* Writes the mount point of the first mount of @fstype listed in @mountinfo to @path.
 * Returns 0, -ENOENT when there is none, -ENAMETOOLONG when @size is too small. */
int wd_mount_find(FILE *mountinfo, const char *fstype, char *path, size_t size);

/* The same, also writing the mount's root within its filesystem (field 4: "/" unless a bind
 * mount or a cgroup namespace shows only part of it) to @root when it is not NULL. */
int wd_mount_find_root(FILE *mountinfo, const char *fstype, char *path, size_t size, char *root,
		       size_t root_size);

/* Decodes mountinfo's \ooo escapes (space, tab, newline, backslash) in @s, in place. */
void wd_mountinfo_unescape(char *s);

/* The same on /proc/self/mountinfo. */
int wd_mount_find_self(const char *fstype, char *path, size_t size);
int wd_mount_find_self_root(const char *fstype, char *path, size_t size, char *root,
			    size_t root_size);

#endif
