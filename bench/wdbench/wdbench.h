/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of wdbench share (bench/wdbench/): the workloads, what they act on, and the
 * functions each file gives the others. See main.c for what the driver does. */
#ifndef WDBENCH_H
#define WDBENCH_H

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORK 32

/* What the operations act on (ops.c), set by wdbench measure's options. */
struct bench_cfg {
	const char *file, *deny_file, *exec_bin, *deny_bin;
	int port_lo, port_hi, deny_port;
	int listen_fd, port;
	struct sockaddr_in allow_sa, deny_sa;
};
extern struct bench_cfg cfg;

/* The paths of the file-system workloads (ops.c, "changes to the file system"). */
struct fs_state {
	const char *rw_dir, *ro_dir;
	char dir[PATH_MAX], f[PATH_MAX], a[PATH_MAX], b[PATH_MAX], n[PATH_MAX];
	char ro_f[PATH_MAX], ro_d[PATH_MAX], ro_n[PATH_MAX];
	bool made;
};
extern struct fs_state fs;

/* What a workload needs besides itself. */
enum need { N_NONE, N_FILE, N_DENY_FILE, N_DENY_EXEC, N_LISTEN, N_DENY_PORT, N_RW, N_RO };

struct workload {
	const char *name;
	int (*op)(void);
	int batch;  /* operations between two readings of the clock */
	bool paced; /* one operation every --pace-us, each timed on its own */
	enum need need;
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* main.c: the message (@fmt with one %s) on stderr, then exit status 2. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* ops.c */
const struct workload *find_workload(const char *name);
void setup_net(bool need_listener);
void setup_fs(bool rw, bool ro);

/* The commands (measure.c, policy.c, report.c). */
int cmd_measure(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
