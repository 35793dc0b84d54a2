/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 3's pid namespace: the sandbox's processes live in one of their own, so no process of the
 * node can be named from inside (kill, prlimit, setpriority, sched_set*, ioprio_set, pidfd_open,
 * /proc/PID), whatever the Landlock ABI. Its pid 1 is warden's small init, not the job: pid 1 of
 * a namespace ignores every signal it has no handler for, which would change the job's
 * behaviour (a Ctrl-C, a SIGTERM). The init forks the job, forwards signals to it, reaps
 * orphans and ends with the job's status. A /proc of the namespace is mounted over every proc
 * mount, in a mount namespace of the sandbox's own. In the child: no allocation. */
#ifndef WD_SANDBOX_PIDNS_H
#define WD_SANDBOX_PIDNS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* In pid 1 of the new namespace, before the mount plan (mounts.h), whose remounts of /proc and
 * other proc mounts then apply to these: a private mount namespace of its own, then a /proc of
 * the namespace (nosuid, nodev, noexec) over /proc and over every other proc mount. Returns 0 or
 * -errno with why in @why. */
int wd_pidns_proc(char *why, size_t size);

/* After wd_pidns_proc: whether @path is at or beneath a proc mount it covered (its name now
 * leads into the namespace's /proc, not the one the parent saw). */
bool wd_pidns_covered(const char *path);

/* Blocks the signals the init forwards (and SIGCHLD), returning the previous mask in @old for
 * the job; before the fork, so that none is lost. */
void wd_pidns_block(sigset_t *old);

/* The init, after forking @job: closes every descriptor but stdio, then forwards SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to @job, reaps every child, and exits with
 * @job's exit status, or 128 + the signal that killed it (what `warden run` reports either
 * way). Its exit kills what is left in the namespace. */
_Noreturn void wd_pidns_init(pid_t job);

/* Calls @fn for every mount of this process's mount namespace, with its mount point (unescaped,
 * may be modified) and file system type, from /proc/self/mountinfo read without allocation.
 * Stops at a non-zero return of @fn and returns it; -errno if the table cannot be read. */
int wd_pidns_each_mount(int (*fn)(void *ctx, char *point, const char *fstype), void *ctx);

#endif
