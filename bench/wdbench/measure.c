// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wdbench measure: time workloads, one sample line per repetition: each repetition after a
 * warm-up of the same workload, once warden's process has settled, with warden's CPU time and the
 * time this process waited for its CPU. */
#include "wdbench.h"

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

int cmd_measure(int argc, char **argv)
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
			die("too many workloads");
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
		die("nothing to measure");
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
