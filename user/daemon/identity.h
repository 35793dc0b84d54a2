/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The identity an adoption rule gives a cgroup it matches: its `identity:` template filled in
 * from the cgroup's path (docs/daemon.md, "Adoption by pattern"). Pure: no syscalls, no
 * printing. */
#ifndef WD_DAEMON_IDENTITY_H
#define WD_DAEMON_IDENTITY_H

#include <stddef.h>

/* Writes @tpl into @out (@size bytes, terminated when @size > 0, cut if too long) with {base}
 * replaced by the last component of @rel (the cgroup's path below the cgroup2 mount, e.g.
 * "/kubepods/pod12/c3"), {0} by @rel itself and {N} by its N-th component (1-based). Only the
 * first 64 components count (each cut to 255 bytes). Anything else, a {N} past the last
 * component included, is copied as it is. */
void wd_identity_from_template(const char *tpl, const char *rel, char *out, size_t size);

#endif
