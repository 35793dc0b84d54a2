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
 * forms expect the operation to fail with EACCES/EPERM (warden refused it); the others expect
 * success. An outcome other than the expected one is counted as "bad" and makes the report say
 * INVALID.
 *
 * Each repetition runs one workload for a fixed time (the clock is read every few operations),
 * after a warm-up of the same workload; repetitions of the workloads given together are
 * interleaved (rep 1 of every workload, then rep 2, ...), so drift hits them alike. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
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

static struct {
	const char *file, *deny_file, *exec_bin, *deny_bin;
	int port_lo, port_hi, deny_port;
	int listen_fd, port;
	struct sockaddr_in allow_sa, deny_sa;
} cfg = {
	.exec_bin = "/usr/bin/true",
	.listen_fd = -1,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "wdbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

/* ---- the operations: each returns 1 when the outcome is not the expected one --------------- */

static int op_open(void)
{
	int fd = open(cfg.file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int op_open_deny(void)
{
	int fd = open(cfg.deny_file, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno != EACCES && errno != EPERM;
}

static char *const exec_env[] = {"PATH=/usr/bin:/bin", NULL};

/* The child exits 0 if the binary ran (true), 126 if execve was refused, 127 otherwise. */
static int spawn_wait(const char *bin)
{
	char *const argv[] = {(char *)bin, NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(bin, argv, exec_env);
		_exit(errno == EACCES || errno == EPERM ? 126 : 127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int op_exec(void)
{
	return spawn_wait(cfg.exec_bin) != 0;
}

static int op_exec_deny(void)
{
	return spawn_wait(cfg.deny_bin) != 126;
}

/* connect() to a loopback listener completes the handshake inside the call; the connection
 * is accepted in the same thread and both ends closed. SO_LINGER 0 on the client makes its close
 * an RST, so no TIME_WAIT is left behind to exhaust the ephemeral ports. */
static int op_connect(void)
{
	static const struct linger lin = {.l_onoff = 1, .l_linger = 0};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), a, bad = 0;

	if (s < 0)
		return 1;
	if (connect(s, (struct sockaddr *)&cfg.allow_sa, sizeof(cfg.allow_sa))) {
		close(s);
		return 1;
	}
	a = accept4(cfg.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		bad = 1;
	else
		close(a);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(s);
	return bad;
}

static int op_connect_deny(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

	if (s < 0)
		return 1;
	r = connect(s, (struct sockaddr *)&cfg.deny_sa, sizeof(cfg.deny_sa));
	e = errno;
	close(s);
	return r == 0 || (e != EPERM && e != EACCES);
}

/* ---- changes to the file system ---------------------------------------------------------------
 * Allowed forms work in DIR/<pid> under --rw-dir (made here, removed at the end): a file "f", a
 * file "a" renamed to "b" and back, and a name "n" alternately created and removed, so that an
 * even number of operations (every batch is even) leaves the directory as it was. The -deny
 * forms act on what bench/run made in --ro-dir beforehand (a file "f", a directory "d", a free
 * name "n"): creating "n", removing or changing "f" and "d"; nothing there ever changes when
 * warden refuses. */
static struct {
	const char *rw_dir, *ro_dir;
	char dir[PATH_MAX], f[PATH_MAX], a[PATH_MAX], b[PATH_MAX], n[PATH_MAX];
	char ro_f[PATH_MAX], ro_d[PATH_MAX], ro_n[PATH_MAX];
	bool made;
} fs;

static int want_ok(int r)
{
	return r != 0;
}

static int want_denied(int r)
{
	return r == 0 || (errno != EACCES && errno != EPERM);
}

static int op_rename(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? rename(fs.a, fs.b) : rename(fs.b, fs.a));
}

static int op_rename_deny(void)
{
	return want_denied(rename(fs.ro_f, fs.ro_n));
}

static int op_mkdir_rmdir(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? mkdir(fs.n, 0755) : rmdir(fs.n));
}

static int op_mkdir_rmdir_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? mkdir(fs.ro_n, 0755) : rmdir(fs.ro_d));
}

static int op_mknod_unlink(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? mknod(fs.n, S_IFREG | 0644, 0) : unlink(fs.n));
}

static int op_mknod_unlink_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? mknod(fs.ro_n, S_IFREG | 0644, 0) : unlink(fs.ro_f));
}

static int op_symlink_unlink(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? symlink("f", fs.n) : unlink(fs.n));
}

static int op_symlink_unlink_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? symlink("f", fs.ro_n) : unlink(fs.ro_f));
}

static int op_link_unlink(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? link(fs.f, fs.n) : unlink(fs.n));
}

static int op_link_unlink_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? link(fs.ro_f, fs.ro_n) : unlink(fs.ro_f));
}

static int op_chmod(void)
{
	static unsigned i;

	return want_ok(chmod(fs.f, ++i & 1 ? 0600 : 0644));
}

static int op_chmod_deny(void)
{
	return want_denied(chmod(fs.ro_f, 0600));
}

static int op_chown(void)
{
	return want_ok(chown(fs.f, geteuid(), getegid()));
}

static int op_chown_deny(void)
{
	return want_denied(chown(fs.ro_f, geteuid(), getegid()));
}

static int op_truncate(void)
{
	static unsigned i;

	return want_ok(truncate(fs.f, ++i & 1 ? 4096 : 0));
}

static int op_truncate_deny(void)
{
	return want_denied(truncate(fs.ro_f, 0));
}

/* A file system without user.* attributes (tmpfs before Linux 6.6, the test bed's /tmp) refuses
 * with EOPNOTSUPP only after the LSM hook ran: that still measures the hook. */
static int op_setxattr(void)
{
	static unsigned i;
	int r = setxattr(fs.f, "user.wdbench", ++i & 1 ? "1" : "0", 1, 0);

	return r != 0 && errno != EOPNOTSUPP;
}

static int op_setxattr_deny(void)
{
	return want_denied(setxattr(fs.ro_f, "user.wdbench", "1", 1, 0));
}

static void fs_path(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		die("path too long under %s", dir);
}

static void fs_cleanup(void)
{
	if (!fs.made)
		return;
	unlink(fs.n);
	rmdir(fs.n);
	unlink(fs.a);
	unlink(fs.b);
	unlink(fs.f);
	rmdir(fs.dir);
	fs.made = false;
}

static void setup_fs(bool rw, bool ro)
{
	int fd;

	if (ro) {
		fs_path(fs.ro_f, fs.ro_dir, "f");
		fs_path(fs.ro_d, fs.ro_dir, "d");
		fs_path(fs.ro_n, fs.ro_dir, "n");
	}
	if (!rw)
		return;
	if (snprintf(fs.dir, sizeof(fs.dir), "%s/%d", fs.rw_dir, (int)getpid()) >=
	    (int)sizeof(fs.dir))
		die("path too long under %s", fs.rw_dir);
	fs_path(fs.f, fs.dir, "f");
	fs_path(fs.a, fs.dir, "a");
	fs_path(fs.b, fs.dir, "b");
	fs_path(fs.n, fs.dir, "n");
	if (mkdir(fs.dir, 0755) && errno != EEXIST)
		die("cannot make the workload's directory: %s", strerror(errno));
	fs.made = true;
	atexit(fs_cleanup);
	unlink(fs.n);
	rmdir(fs.n);
	unlink(fs.b);
	for (int i = 0; i < 2; i++) {
		fd = open(i ? fs.a : fs.f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			die("cannot make the workload's files: %s", strerror(errno));
		close(fd);
	}
}

/* What a workload needs besides itself. */
enum need { N_NONE, N_FILE, N_DENY_FILE, N_DENY_EXEC, N_LISTEN, N_DENY_PORT, N_RW, N_RO };

static const struct workload {
	const char *name;
	int (*op)(void);
	int batch;  /* operations between two readings of the clock */
	bool paced; /* one operation every --pace-us, each timed on its own */
	enum need need;
} workloads[] = {
	{"open", op_open, 32, false, N_FILE},
	{"open-deny", op_open_deny, 32, false, N_DENY_FILE},
	{"exec", op_exec, 1, false, N_NONE},
	{"exec-deny", op_exec_deny, 1, false, N_DENY_EXEC},
	{"connect", op_connect, 4, false, N_LISTEN},
	{"connect-deny", op_connect_deny, 16, false, N_DENY_PORT},
	{"paced-connect", op_connect, 1, true, N_LISTEN},
	{"paced-connect-deny", op_connect_deny, 1, true, N_DENY_PORT},
	{"rename", op_rename, 16, false, N_RW},
	{"rename-deny", op_rename_deny, 16, false, N_RO},
	{"mkdir-rmdir", op_mkdir_rmdir, 16, false, N_RW},
	{"mkdir-rmdir-deny", op_mkdir_rmdir_deny, 16, false, N_RO},
	{"mknod-unlink", op_mknod_unlink, 16, false, N_RW},
	{"mknod-unlink-deny", op_mknod_unlink_deny, 16, false, N_RO},
	{"symlink-unlink", op_symlink_unlink, 16, false, N_RW},
	{"symlink-unlink-deny", op_symlink_unlink_deny, 16, false, N_RO},
	{"link-unlink", op_link_unlink, 16, false, N_RW},
	{"link-unlink-deny", op_link_unlink_deny, 16, false, N_RO},
	{"chmod", op_chmod, 16, false, N_RW},
	{"chmod-deny", op_chmod_deny, 16, false, N_RO},
	{"chown", op_chown, 16, false, N_RW},
	{"chown-deny", op_chown_deny, 16, false, N_RO},
	{"truncate", op_truncate, 16, false, N_RW},
	{"truncate-deny", op_truncate_deny, 16, false, N_RO},
	{"setxattr", op_setxattr, 16, false, N_RW},
	{"setxattr-deny", op_setxattr_deny, 16, false, N_RO},
};

static const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

/* The listener: the first free port of the allowed range (the policy allows the range). */
static void setup_net(bool need_listener)
{
	cfg.allow_sa.sin_family = AF_INET;
	cfg.allow_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.deny_sa = cfg.allow_sa;
	cfg.deny_sa.sin_port = htons(cfg.deny_port);
	if (!need_listener)
		return;
	for (int p = cfg.port_lo; p && p <= cfg.port_hi; p++) {
		int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		cfg.allow_sa.sin_port = htons(p);
		if (bind(fd, (struct sockaddr *)&cfg.allow_sa, sizeof(cfg.allow_sa)) == 0 &&
		    listen(fd, 4096) == 0) {
			cfg.listen_fd = fd;
			cfg.port = p;
			return;
		}
		close(fd);
	}
	die("no free port to listen on in the range given by --ports (%s)", "");
}

/* CPU time of another process (warden), in ns: schedstat has ns, stat only clock ticks. */
static long long cpu_ns_of(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long run, ut, st;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%llu", &run) == 1)
				return (long long)run;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)((ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

struct sample {
	uint64_t ops, ns, bad;
	long long watch_ns, wait_ns;
};

static uint64_t pace_ns = 200000;

/* Time this process spent runnable but waiting for a CPU (the second field of schedstat): how
 * much something else took of the CPU the workload runs on. */
static long long self_wait_ns(void)
{
	char buf[128];
	unsigned long long run, wait;
	ssize_t n;
	int fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? (long long)wait : -1;
}

/* Unpaced: operations back to back, the clock read every w->batch operations. Paced: one
 * operation every pace_ns, each timed alone, the wait between them spent spinning (the CPU stays
 * busy and warm) and not counted: the rate stays low enough for warden's event reader to keep
 * up, which is the regime of a real job. */
static struct sample run_for(const struct workload *w, uint64_t ms, int watch_pid)
{
	struct sample s = {0};
	long long c0 = cpu_ns_of(watch_pid), c1, q0 = self_wait_ns(), q1;
	uint64_t t0 = now_ns(), deadline = t0 + ms * 1000000ull, t;

	if (w->paced) {
		do {
			uint64_t a = now_ns(), b;

			s.bad += w->op();
			b = now_ns();
			s.ns += b - a;
			s.ops++;
			while ((t = now_ns()) < a + pace_ns)
				;
		} while (t < deadline);
	} else {
		do {
			for (int i = 0; i < w->batch; i++)
				s.bad += w->op();
			s.ops += w->batch;
			t = now_ns();
		} while (t < deadline);
		s.ns = t - t0;
	}
	c1 = cpu_ns_of(watch_pid);
	q1 = self_wait_ns();
	s.watch_ns = c0 >= 0 && c1 >= 0 ? c1 - c0 : -1;
	/* As a share of the timed part (all of it unpaced, the operations alone paced). */
	s.wait_ns = q0 >= 0 && q1 >= 0
			    ? (long long)((double)(q1 - q0) * (double)s.ns / (double)(t - t0))
			    : -1;
	return s;
}

/* Waits until the watched process (warden) has been idle for 50 ms, at most 10 s: events of the
 * warm-up or of an earlier workload are read before the next measurement starts. */
static void settle(int watch_pid)
{
	long long prev = cpu_ns_of(watch_pid), cur;
	uint64_t give_up = now_ns() + 10000000000ull;

	if (prev < 0)
		return;
	while (now_ns() < give_up) {
		usleep(50000);
		cur = cpu_ns_of(watch_pid);
		if (cur < 0 || cur - prev < 1000000)
			return;
		prev = cur;
	}
}

static int cmd_measure(int argc, char **argv)
{
	static const struct option opts[] = {
		{"time-ms", required_argument, NULL, 't'},
		{"warmup-ms", required_argument, NULL, 'w'},
		{"reps", required_argument, NULL, 'r'},
		{"cpu", required_argument, NULL, 'c'},
		{"watch-pid", required_argument, NULL, 'W'},
		{"file", required_argument, NULL, 'f'},
		{"deny-file", required_argument, NULL, 'F'},
		{"exec", required_argument, NULL, 'x'},
		{"deny-exec", required_argument, NULL, 'X'},
		{"ports", required_argument, NULL, 'p'},
		{"deny-port", required_argument, NULL, 'P'},
		{"tag", required_argument, NULL, 'T'},
		{"pace-us", required_argument, NULL, 'u'},
		{"round", required_argument, NULL, 'R'},
		{"rw-dir", required_argument, NULL, 'D'},
		{"ro-dir", required_argument, NULL, 'O'},
		{},
	};
	const struct workload *work[MAX_WORK];
	const char *tag = "-";
	int n_work = 0, c, reps = 5, cpu = -1, watch_pid = 0, round = 0;
	uint64_t time_ms = 500, warmup_ms = 100;
	bool need_listener = false, need_rw = false, need_ro = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			time_ms = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			warmup_ms = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'W':
			watch_pid = !strcmp(optarg, "parent") ? getppid() : atoi(optarg);
			break;
		case 'f':
			cfg.file = optarg;
			break;
		case 'F':
			cfg.deny_file = optarg;
			break;
		case 'x':
			cfg.exec_bin = optarg;
			break;
		case 'X':
			cfg.deny_bin = optarg;
			break;
		case 'p':
			if (sscanf(optarg, "%d-%d", &cfg.port_lo, &cfg.port_hi) != 2)
				die("--ports wants LO-HI, not '%s'", optarg);
			break;
		case 'P':
			cfg.deny_port = atoi(optarg);
			break;
		case 'T':
			tag = optarg;
			break;
		case 'u':
			pace_ns = strtoull(optarg, NULL, 10) * 1000ull;
			break;
		case 'R':
			round = atoi(optarg);
			break;
		case 'D':
			fs.rw_dir = optarg;
			break;
		case 'O':
			fs.ro_dir = optarg;
			break;
		default:
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		const struct workload *w = find_workload(argv[optind]);

		if (!w)
			die("unknown workload '%s'", argv[optind]);
		if (n_work == MAX_WORK)
			die("too many workloads%s", "");
		if ((w->need == N_FILE && !cfg.file) ||
		    (w->need == N_DENY_FILE && !cfg.deny_file) ||
		    (w->need == N_DENY_EXEC && !cfg.deny_bin) ||
		    (w->need == N_LISTEN && !cfg.port_lo) ||
		    (w->need == N_DENY_PORT && !cfg.deny_port) || (w->need == N_RW && !fs.rw_dir) ||
		    (w->need == N_RO && !fs.ro_dir))
			die("workload '%s' needs its option (--file, --deny-file, --deny-exec, "
			    "--ports, --deny-port, --rw-dir, --ro-dir)",
			    w->name);
		need_listener |= w->need == N_LISTEN;
		need_rw |= w->need == N_RW;
		need_ro |= w->need == N_RO;
		work[n_work++] = w;
	}
	if (!n_work || reps < 1 || !time_ms)
		die("nothing to measure%s", "");
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cannot pin to the CPU: %s", strerror(errno));
	}
	setup_net(need_listener);
	setup_fs(need_rw, need_ro);
	signal(SIGPIPE, SIG_IGN);

	printf("# wdbench: tag %s, pid %d, cpu %d, watch %d, %d reps of %llu ms after %llu ms "
	       "warm-up, pace %llu us%s%d\n",
	       tag, getpid(), cpu, watch_pid, reps, (unsigned long long)time_ms,
	       (unsigned long long)warmup_ms, (unsigned long long)(pace_ns / 1000),
	       cfg.port ? ", listening on 127.0.0.1:" : "", cfg.port);
	fflush(stdout);
	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < n_work; i++) {
			struct sample s;

			if (warmup_ms)
				run_for(work[i], warmup_ms, 0);
			settle(watch_pid);
			s = run_for(work[i], time_ms, watch_pid);
			/* S tag workload rep ops ns bad watch_ns wait_ns round */
			printf("S\t%s\t%s\t%d\t%llu\t%llu\t%llu\t%lld\t%lld\t%d\n", tag,
			       work[i]->name, r, (unsigned long long)s.ops,
			       (unsigned long long)s.ns, (unsigned long long)s.bad, s.watch_ns,
			       s.wait_ns, round);
			fflush(stdout);
		}
	}
	return 0;
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

/* ---- policy: the benchmark's policies --------------------------------------------------------
 *
 * 11 base rules make every workload's allowed operation allowed and its -deny operation denied
 * (by a named rule, so events name it; the file-system changes' -deny forms by the default, as
 * DIR/ro/ is not writable). --extra N adds N more rules, spread over every map the
 * kernel consults, and placed where lookups for the benchmark's own paths and addresses walk:
 *   exec deny prefixes under /nonexistent/            -> wd_file_prefix (LPM trie)
 *   read deny exact files under /nonexistent/ and as siblings of the benchmark's file
 *                                                     -> wd_file_exact (hash)
 *   read deny prefixes under /nonexistent/ and as siblings of the benchmark's file
 *                                                     -> wd_file_prefix (LPM trie)
 *   network denies of distinct CIDRs: loopback neighbours of 127.0.0.1 (/32 and /24), 10/8
 *   /24s, IPv6 /64s                                  -> wd_net (LPM trie)                   */

struct split {
	long exec_pfx, exact_far, exact_near, pfx_far, pfx_near, net_lo, net_10, net_v6;
};

static struct split split_rules(long n)
{
	struct split s;

	s.exec_pfx = n * 5 / 100;
	s.exact_far = n * 15 / 100;
	s.exact_near = n * 15 / 100;
	s.pfx_far = n * 15 / 100;
	s.pfx_near = n * 15 / 100;
	s.net_10 = n * 12 / 100;
	s.net_v6 = n * 8 / 100;
	s.net_lo = n - s.exec_pfx - s.exact_far - s.exact_near - s.pfx_far - s.pfx_near - s.net_10 -
		   s.net_v6;
	return s;
}

static int cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"dir", required_argument, NULL, 'd'},
		{"bindir", required_argument, NULL, 'b'},
		{"ports", required_argument, NULL, 'p'},
		{"deny-port", required_argument, NULL, 'P'},
		{"extra", required_argument, NULL, 'e'},
		{},
	};
	const char *name = "bench", *dir = NULL, *bindir = NULL, *ports = NULL;
	long extra = 0;
	int c, deny_port = 0;
	struct split s;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
			bindir = optarg;
			break;
		case 'p':
			ports = optarg;
			break;
		case 'P':
			deny_port = atoi(optarg);
			break;
		case 'e':
			extra = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!dir || !bindir || !ports || !deny_port || extra < 0 || extra > 10000000)
		die("policy needs --dir, --bindir, --ports and --deny-port%s", "");
	s = split_rules(extra);
	if (s.net_lo > 253 + 255 + 255 * 256 || s.net_10 > 65536)
		die("--extra is too large for the address plan%s", "");

	printf("# wdbench policy: 11 base rules + %ld generated (bench/run makes this file)\n",
	       extra);
	printf("version: 1\nname: %s\nidentities: [\"bench:*\"]\nmode: enforce\n", name);
	printf("exec:\n  allow: [/usr/, \"%s/\"]\n  deny:\n    - \"%s/denied/\"\n", bindir, dir);
	for (long i = 0; i < s.exec_pfx; i++)
		printf("    - /nonexistent/exec/%06ld/\n", i);
	printf("files:\n  read:\n    allow: [/]\n    deny:\n      - /etc/shadow\n"
	       "      - \"%s/data/secret\"\n",
	       dir);
	for (long i = 0; i < s.exact_far; i++)
		printf("      - /nonexistent/files/%06ld\n", i);
	for (long i = 0; i < s.exact_near; i++)
		printf("      - \"%s/data/f-%06ld\"\n", dir, i);
	for (long i = 0; i < s.pfx_far; i++)
		printf("      - /nonexistent/dirs/%06ld/\n", i);
	for (long i = 0; i < s.pfx_near; i++)
		printf("      - \"%s/data/d-%06ld/\"\n", dir, i);
	printf("  write:\n    allow: [/dev/null, \"%s/rw/\"]\n", dir);
	printf("network:\n  allow:\n    - to: 127.0.0.1\n      ports: [\"%s\"]\n"
	       "      protocol: tcp\n",
	       ports);
	printf("  deny:\n    - to: 127.0.0.1\n      ports: [%d]\n      protocol: tcp\n"
	       "    - to: 169.254.169.254\n",
	       deny_port);
	for (long i = 0; i < s.net_lo; i++) {
		if (i < 253)
			printf("    - to: 127.0.0.%ld\n", i + 2);
		else if (i < 253 + 255)
			printf("    - to: 127.0.%ld.0/24\n", i - 253 + 1);
		else
			printf("    - to: 127.%ld.%ld.0/24\n", 1 + (i - 508) / 256,
			       (i - 508) % 256);
	}
	for (long i = 0; i < s.net_10; i++)
		printf("    - to: 10.%ld.%ld.0/24\n", i / 256, i % 256);
	for (long i = 0; i < s.net_v6; i++)
		printf("    - to: \"2001:db8:%lx:%lx::/64\"\n", i / 65536, i % 65536);
	return 0;
}

/* ---- report ------------------------------------------------------------------------------- */

#define MAX_CELLS   512
#define MAX_SAMPLES 256

struct cell {
	char workload[32], config[64], rules[16];
	double ns[MAX_SAMPLES], watch[MAX_SAMPLES], wait[MAX_SAMPLES];
	int round[MAX_SAMPLES], n, n_watch, n_wait;
	unsigned long long ops, bad;
};

static struct cell cells[MAX_CELLS];
static int n_cells;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between order statistics; the median for q = 0.5. */
static double quantile(double *v, int n, double q)
{
	double pos, frac;
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	pos = q * (n - 1);
	i = (int)pos;
	frac = pos - i;
	return i + 1 < n ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
}

/* "sandboxed:10" + "open-deny" is open, sandboxed-deny, 10 rules. */
static struct cell *cell_for(const char *name, const char *tag)
{
	char config[64], rules[16] = "-", workload[32];
	const char *colon = strchr(tag, ':'), *deny = strstr(name, "-deny");

	snprintf(config, sizeof(config), "%.*s", colon ? (int)(colon - tag) : (int)strlen(tag),
		 tag);
	if (colon)
		snprintf(rules, sizeof(rules), "%s", colon + 1);
	snprintf(workload, sizeof(workload), "%.*s%s",
		 deny ? (int)(deny - name) : (int)strlen(name), name, deny ? deny + 5 : "");
	if (!strcmp(config, "sandboxed"))
		snprintf(config, sizeof(config), deny ? "sandboxed-deny" : "sandboxed-allow");
	for (int i = 0; i < n_cells; i++)
		if (!strcmp(cells[i].workload, workload) && !strcmp(cells[i].config, config) &&
		    !strcmp(cells[i].rules, rules))
			return &cells[i];
	if (n_cells == MAX_CELLS)
		return NULL;
	snprintf(cells[n_cells].workload, sizeof(cells[n_cells].workload), "%s", workload);
	snprintf(cells[n_cells].config, sizeof(cells[n_cells].config), "%s", config);
	snprintf(cells[n_cells].rules, sizeof(cells[n_cells].rules), "%s", rules);
	return &cells[n_cells++];
}

static int config_rank(const char *c)
{
	static const char *const order[] = {"baseline", "loaded-outside", "sandboxed-allow",
					    "sandboxed-deny"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(c, order[i]))
			return i;
	return 9;
}

static int workload_rank(const char *w)
{
	static const char *const order[] = {
		"open",	       "exec",	       "connect",	 "paced-connect", "rename",
		"mkdir-rmdir", "mknod-unlink", "symlink-unlink", "link-unlink",	  "chmod",
		"chown",       "truncate",     "setxattr",
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(w, order[i]))
			return (int)i;
	return 99;
}

static int cmp_cell(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	long rx = strcmp(x->rules, "-") ? atol(x->rules) : -1;
	long ry = strcmp(y->rules, "-") ? atol(y->rules) : -1;

	if (workload_rank(x->workload) != workload_rank(y->workload))
		return workload_rank(x->workload) - workload_rank(y->workload);
	if (config_rank(x->config) != config_rank(y->config))
		return config_rank(x->config) - config_rank(y->config);
	return rx < ry ? -1 : rx > ry;
}

/* The median of a cell's samples of one round; 0 when it has none. */
static double round_median(const struct cell *c, int round)
{
	double v[MAX_SAMPLES];
	int n = 0;

	for (int i = 0; i < c->n; i++)
		if (c->round[i] == round)
			v[n++] = c->ns[i];
	return quantile(v, n, 0.5);
}

/* The paired ratio: per round, the cell's median over the baseline's median of the same round
 * (measured minutes apart at most, not across the whole run), then the median of those. A step
 * in the machine's speed during the run (other people's jobs) then spoils one round, not the
 * comparison. */
static double paired_ratio(const struct cell *c, const struct cell *base)
{
	double r[MAX_SAMPLES];
	int rounds[MAX_SAMPLES], n_rounds = 0, n = 0;

	for (int i = 0; i < c->n; i++) {
		bool seen = false;

		for (int j = 0; j < n_rounds; j++)
			seen |= rounds[j] == c->round[i];
		if (!seen)
			rounds[n_rounds++] = c->round[i];
	}
	for (int j = 0; j < n_rounds; j++) {
		double a = round_median(c, rounds[j]), b = round_median(base, rounds[j]);

		if (a > 0 && b > 0)
			r[n++] = a / b;
	}
	return n ? quantile(r, n, 0.5) : 0;
}

static int cmd_report(int argc, char **argv)
{
	char line[1024];
	FILE *f;
	bool invalid = false;

	if (argc < 2)
		die("report needs the samples file%s", "");
	f = fopen(argv[1], "r");
	if (!f)
		die("cannot open the samples file: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char tag[64], work[32];
		unsigned long long ops, ns, bad;
		long long watch, wait;
		int rep, round = 0;
		struct cell *c;

		if (line[0] != 'S' ||
		    sscanf(line, "S\t%63s\t%31s\t%d\t%llu\t%llu\t%llu\t%lld\t%lld\t%d", tag, work,
			   &rep, &ops, &ns, &bad, &watch, &wait, &round) < 8 ||
		    !ops)
			continue;
		c = cell_for(work, tag);
		if (!c || c->n == MAX_SAMPLES)
			continue;
		c->round[c->n] = round;
		c->ns[c->n++] = (double)ns / (double)ops;
		if (watch >= 0)
			c->watch[c->n_watch++] = (double)watch / (double)ops;
		if (wait >= 0)
			c->wait[c->n_wait++] = 100.0 * (double)wait / (double)ns;
		c->ops += ops;
		c->bad += bad;
	}
	fclose(f);
	qsort(cells, n_cells, sizeof(cells[0]), cmp_cell);

	printf("%-14s %-15s %6s %9s %10s %6s %6s %6s %5s %3s %9s %5s\n", "workload", "config",
	       "rules", "ops/s", "ns/op", "ratio", "paired", "best", "iqr%", "n", "warden-ns",
	       "wait%");
	for (int i = 0; i < n_cells; i++) {
		struct cell *c = &cells[i];
		double base = 0, base_min = 0, med, p25, p75, pr = 0;
		char ratio[16], paired[16], best[16], wns[24], wait[16];

		for (int j = 0; j < n_cells; j++)
			if (!strcmp(cells[j].workload, c->workload) &&
			    !strcmp(cells[j].config, "baseline")) {
				base = quantile(cells[j].ns, cells[j].n, 0.5);
				base_min = quantile(cells[j].ns, cells[j].n, 0);
				pr = paired_ratio(c, &cells[j]);
			}
		med = quantile(c->ns, c->n, 0.5);
		p25 = quantile(c->ns, c->n, 0.25);
		p75 = quantile(c->ns, c->n, 0.75);
		if (base > 0)
			snprintf(ratio, sizeof(ratio), "%.3f", med / base);
		else
			snprintf(ratio, sizeof(ratio), "-");
		if (pr > 0)
			snprintf(paired, sizeof(paired), "%.3f", pr);
		else
			snprintf(paired, sizeof(paired), "-");
		/* Interference only ever slows a sample down: the fastest is the least disturbed.
		 */
		if (base_min > 0)
			snprintf(best, sizeof(best), "%.3f", quantile(c->ns, c->n, 0) / base_min);
		else
			snprintf(best, sizeof(best), "-");
		if (c->n_watch)
			snprintf(wns, sizeof(wns), "%.0f", quantile(c->watch, c->n_watch, 0.5));
		else
			snprintf(wns, sizeof(wns), "-");
		if (c->n_wait)
			snprintf(wait, sizeof(wait), "%.1f", quantile(c->wait, c->n_wait, 0.5));
		else
			snprintf(wait, sizeof(wait), "-");
		printf("%-14s %-15s %6s %9.0f %10.0f %6s %6s %6s %5.1f %3d %9s %5s%s\n",
		       c->workload, c->config, c->rules, 1e9 / med, med, ratio, paired, best,
		       med > 0 ? 100 * (p75 - p25) / med : 0, c->n, wns, wait,
		       c->bad ? "  INVALID" : "");
		if (c->bad) {
			invalid = true;
			fprintf(stderr,
				"wdbench: %s %s %s: %llu of %llu operations had an unexpected "
				"outcome\n",
				c->workload, c->config, c->rules, c->bad, c->ops);
		}
	}
	return invalid ? 1 : 0;
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
