/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 4's decider: fanotify permission events (FAN_OPEN_EXEC_PERM, FAN_OPEN_PERM) on the mounts
 * of adopted sandboxes' own mount namespaces, answered by a thread of their own from the
 * sandbox's compiled policy, and a watchdog thread that answers what the decider has not within
 * the timeout. Only this file's functions touch the table the threads read; the daemon's loop
 * takes the denials they queue and hands them to its event pipeline. */
#ifndef WD_DAEMON_FANOTIFY_H
#define WD_DAEMON_FANOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "warden/abi.h"

struct wd_compiled;
struct wd_fan;

/* A denial for the pipeline; @watchdog: answered by the watchdog after the decider stalled for
 * @stalled_ms. */
struct fan_ev {
	struct wd_event e;
	bool watchdog;
	uint64_t stalled_ms;
};

/* Starts the group and both threads; @timeout_ms bounds a decision. Returns 0 or -errno with
 * @err saying why. */
int fan_open(struct wd_fan **out, bool pidfd, unsigned timeout_ms, char *err, size_t len);
/* Stops the threads and closes the group: the kernel answers what is pending ALLOW. */
void fan_close(struct wd_fan *f);
/* Readable when denials are queued. */
int fan_wake_fd(const struct wd_fan *f);
/* Takes up to @max queued denials; the number taken. *@dropped: denials the full queue lost. */
size_t fan_take(struct wd_fan *f, struct fan_ev *out, size_t max, uint64_t *dropped);

/* The sandbox of cgroup @cgid decides with @c from now on (@c stays valid until the next set or
 * del returns). Returns 0 or -ENOSPC. */
int fan_sandbox_set(struct wd_fan *f, uint64_t cgid, const struct wd_compiled *c, bool audit);
void fan_sandbox_del(struct wd_fan *f, uint64_t cgid);

/* Marks the mounts of every mount namespace the processes of the cgroup @cg_path (absolute, and
 * its descendants) run in, never the node's (the daemon's or pid 1's), and finds the files of
 * @cgid's exact denies there by (device, inode). *@node_pid: a process of the cgroup in the
 * node's mount namespace, or in one shared with processes outside the cgroup (0: none), whose
 * opens no mark sees. Returns the number of mounts
 * newly marked, or -errno with @why. */
int fan_mark_cgroup(struct wd_fan *f, uint64_t cgid, const char *cg_path, pid_t *node_pid,
		    char *why, size_t len);

#endif
