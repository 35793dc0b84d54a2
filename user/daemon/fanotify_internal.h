/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What fanotify.c (the threads, deciding) and fanotify_mark.c (which mounts are marked) share:
 * the group's state. */
#ifndef WD_DAEMON_FANOTIFY_INTERNAL_H
#define WD_DAEMON_FANOTIFY_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "daemon/fanotify.h"
#include "policy/compile.h"

#define FAN_SB_MAX    256
#define FAN_INODE_MAX 64
#define FAN_PEND_MAX  256
#define FAN_Q_MAX     512
#define FAN_NS_MAX    1024

/* A file an exact deny names, found by (device, inode) in the sandbox's namespaces. */
struct fan_inode {
	dev_t dev;
	ino_t ino;
	struct wd_file_rule rule; /* its DENY verdicts only */
};

struct fan_sb {
	uint64_t cgid;
	const struct wd_compiled *c;
	bool audit;
	bool inodes_stale; /* @c changed: its exact denies are to be found again */
	struct fan_inode inode[FAN_INODE_MAX];
	size_t n_inode;
};

/* An event the decider read and has not answered yet. cls: 0 not known yet, 1 the node's, 2 a
 * sandbox's (cgid). */
struct fan_pend {
	bool used, answered;
	int fd, cls;
	pid_t pid;
	uint64_t t0, cgid;
	__u8 op;
};

struct wd_fan {
	int fd, wake, stop;
	bool pidfd;
	uint64_t timeout_ns, stall_ms;
	pthread_t decider, watchdog;
	bool started[2];
	char cgmnt[PATH_MAX];
	ino_t node_ns[2]; /* the daemon's and pid 1's mount namespaces: never marked */

	pthread_mutex_t mu; /* the sandboxes and the queue */
	struct fan_sb sb[FAN_SB_MAX];
	size_t n_sb;
	struct fan_ev q[FAN_Q_MAX];
	size_t qn;
	uint64_t q_dropped;

	pthread_mutex_t pmu; /* the pending events; the fanotify responses */
	struct fan_pend pend[FAN_PEND_MAX];
	_Atomic uint64_t busy_since; /* CLOCK_MONOTONIC ns the decider took its batch; 0 idle */

	/* The main thread's: namespaces marked, with a hash of their mountinfo then. */
	struct {
		ino_t ns;
		uint64_t hash;
	} ns[FAN_NS_MAX];
	size_t n_ns;
};

/* fanotify.c */
struct fan_sb *fan_sb_find(struct wd_fan *f, uint64_t cgid);

#endif
