// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wdbench: the workload driver of warden's enforcement benchmark (bench/run).
 *
 *   wdbench measure [OPTIONS] WORKLOAD...   time workloads, one sample line per repetition
 *   wdbench idle                            print "ready", then wait for a signal
 *   wdbench policy [OPTIONS]                write a benchmark policy (YAML) to stdout
 *   wdbench report FILE                     medians, ratios and the table, from sample lines
 *
 * Workloads: open, open-deny (open(O_RDONLY) + close), exec, exec-deny (fork + execve + wait),
 * connect, connect-deny (TCP connect to 127.0.0.1 + accept + close), and the changes to the
 * file system, one system call per operation, in a directory of their own under --rw-dir:
 * rename (a file back and forth), mkdir-rmdir, mknod-unlink, symlink-unlink, link-unlink
 * (alternately creating a name and removing it), chmod, chown, truncate, setxattr (user.*); their
 * -deny forms do the same to fixtures in --ro-dir, where the policy allows no writes. The -deny
 * forms expect the operation to fail with EACCES/EPERM (warden refused it; the changes to the
 * file system also EROFS, a read-only mount of rung 3); the others expect success. An outcome other
 * than the expected one is counted as "bad" and makes the report say INVALID.
 *
 * Each repetition runs one workload for a fixed time (the clock is read every few operations),
 * after a warm-up of the same workload; repetitions of the workloads given together are
 * interleaved (rep 1 of every workload, then rep 2, ...), so drift hits them alike.
 *
 * This file holds main, die and wdbench idle; the workloads are in ops.c, and each other command
 * in a file of its own (measure.c, policy.c, report.c). */
#include "wdbench.h"

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wdbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* ---- idle: the command of a warden sandbox that only keeps warden's programs attached ------- */

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static __attribute__((noreturn)) void cmd_idle(void)
{
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "idle"))
		cmd_idle();
	if (argc >= 2 && !strcmp(argv[1], "policy"))
		return cmd_policy(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	fprintf(stderr, "usage: wdbench measure|idle|policy|report ... (see bench/README.md)\n");
	return 2;
}
