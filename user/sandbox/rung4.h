/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 4, for cgroups warden adopts but did not start (containers, pods, runner jobs) on kernels
 * without the LSM programs: whether fanotify permission events refuse here (a trial: a test child
 * in a throwaway cgroup and a mount namespace of its own opens and runs a file on a mount the
 * trial marked, and the trial, deciding by the child's cgroup, says no), the caller's cgroup of
 * an event, and the per-feature report for such sandboxes. The decider itself is the daemon's
 * (user/daemon/fanotify.c). */
#ifndef WD_SANDBOX_RUNG4_H
#define WD_SANDBOX_RUNG4_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox/rung3.h"

struct wd_compiled;

struct wd_rung4 {
	bool tried;
	bool fanotify; /* an open and an exec of the trial's child refused by fanotify */
	bool pidfd;    /* FAN_REPORT_PIDFD (Linux 5.15 and later) */
	char detail[256];
};

/* Runs the trial (root: a cgroup, a mount namespace, fanotify). Returns 0 (@out says what was
 * seen) or -errno (fork failed). */
int wd_rung4_probe(struct wd_rung4 *out);

/* The fanotify_init() flags and event file flags rung 4 uses; with @pidfd the events carry the
 * caller's pidfd. */
int wd_rung4_fanotify_init(bool pidfd);

/* The cgroup of process @pid as /proc/PID/cgroup names it ("/a/b", relative to the cgroup2
 * mount), in @buf. Returns 0 or -errno. */
int wd_rung4_pid_cgroup(pid_t pid, char *buf, size_t size);

/* The rows for a sandbox warden adopted or made without a command, on a kernel without the LSM
 * programs: rung 4 when @r4 saw fanotify refuse, else the cgroup hooks only. @c (may be NULL)
 * refines the rows to a policy. Required rows (sb_create refuses without degraded when one is
 * not enforced): exec, file read, unix sockets. Returns the number of rows. */
size_t wd_rung4_report(const struct wd_rung4 *r4, const struct wd_rung3 *r3,
		       const struct wd_compiled *c, struct wd_feature_row *rows, size_t max);

#endif
