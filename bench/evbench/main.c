// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench: the event-pipeline benchmark (bench/events). Producer threads call getppid(); a BPF
 * program on that syscall's tracepoint (tests/bpf/bench_events.bpf.c) turns each call into
 * struct wd_event records in its own ring buffer, as warden's hooks do. The main thread, alone on
 * its CPU with the pipeline's sink threads, drains the ring buffer as warden does (epoll and
 * warden's reader, wd_ringbuf_consume()) and hands each record to wd_pipeline_emit_record(), which
 * converts and packs it as `warden run` and the daemon do. Steps of rising producer rates, each
 * run with the ring buffer alone, conversion alone, the file sink alone and all sinks, show the
 * cost per event and where loss starts. Every event is accounted for: what each sink's reader got
 * back (the file read back, the stream collector's frames), plus what the kernel and the pipeline
 * reported lost, must equal what the producers made.
 *
 * This file holds the options and main: parse, set up, run the steps, report, tear down. The
 * producer is in producer.c, warden's side in consumer.c, a step in steps.c, the accounting in
 * accounting.c and collector.c, the CPU figures in cpu.c, the report in report.c. */
#include "evbench.h"
#include "bench_events.skel.h"

/* The defaults; parse_args sets the rest. */
struct opts o = {
	.time_ms = 2000,
	.producers = 1,
	.burst = 16,
	.rounds = 1,
	.rb_mib = 32,
	.ceiling_mib = 2048,
	.cpu = 0,
	.kind = WD_EV_FILE,
	.proc = PROC_CACHE,
};

volatile sig_atomic_t interrupted;

/* Every backend, so that the linker takes them all from libwarden.a (extern: never dropped). */
typedef int backend_fn(const struct wd_sink_cfg *c, const char *node,
		       const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size);
extern backend_fn *const evbench_backends[];
backend_fn *const evbench_backends[] = {wd_sink_file_backend, wd_sink_stream_backend,
					wd_sink_syslog_backend, wd_sink_jsonl_backend};

static int parse_rates(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	o.n_rates = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		double v;

		if (o.n_rates == MAX_RATES)
			goto bad;
		if (!strcmp(tok, "max")) {
			o.rates[o.n_rates++] = 0;
			continue;
		}
		v = strtod(tok, &end);
		if (end == tok || v <= 0)
			goto bad;
		if (*end == 'k' || *end == 'K')
			v *= 1e3, end++;
		else if (*end == 'm' || *end == 'M')
			v *= 1e6, end++;
		if (*end)
			goto bad;
		o.rates[o.n_rates++] = (uint64_t)v;
	}
	free(copy);
	return o.n_rates ? 0 : -EINVAL;
bad:
	free(copy);
	return -EINVAL;
}

static unsigned long parse_num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "evbench: %s: '%s' is not a number up to %lu\n", what, s, max);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: evbench --dir DIR [OPTIONS]\n"
		"\n"
		"Events from a BPF producer through the ring buffer to warden's sinks, at rising\n"
		"rates; see bench/README.md. Run as root, through bench/events.\n"
		"\n"
		"  --dir DIR         scratch directory (files of each step are made and removed "
		"there)\n"
		"  --modes LIST      rb,convert,file,all (default: all four). rb: the ring buffer\n"
		"                    alone; convert: + wd_event_pack() (conversion and packing), "
		"no\n"
		"                    sink\n"
		"  --rates LIST      events/s per step, k and M suffixes, max: unpaced\n"
		"                    (default 50k,100k,250k,500k,1M,1.5M,2M,3M,max)\n"
		"  --time-ms MS      producing time per step (default 2000)\n"
		"  --rounds N        run every step N times, odd rounds backwards; report each "
		"step's\n"
		"                    least disturbed round (lowest other%%) (default 1)\n"
		"  --producers N     producer threads (default 1), on the CPUs other than --cpu\n"
		"  --burst K         records the BPF program emits per getppid() (default 16)\n"
		"  --wakeup-kib N    BPF: wake the consumer only once N KiB wait (default 0: as\n"
		"                    warden, when the consumer had caught up); it polls every 10 "
		"ms\n"
		"  --cpu N           the consumer's CPU (default 0); the sink threads share it\n"
		"  --kind file|connect  what the kernel reports (default file: a denied read)\n"
		"  --proc cache|procfs|none  how /proc is read for events (default cache)\n"
		"  --rb-mib N        ring buffer size (default 32, as warden's)\n"
		"  --queue-mib N     each sink's queue (default: the pipeline's: 256 MiB file, 64 "
		"MiB others)\n"
		"  --rotate-mib N    rotate the file and JSON sinks at N MiB (default: never)\n"
		"  --ceiling-mib N   the file sink's baselines: N MiB of write()s into a new file\n"
		"                    in DIR, plain and written behind, before and after the steps\n"
		"                    (default 2048; 0: no)\n"
		"  --keep            keep each step's files\n"
		"\n"
		"EXAMPLES:\n"
		"  evbench --dir /var/tmp/x --modes rb,file --rates 1M,max --time-ms 500\n"
		"\n"
		"Exit status: 0 every event accounted for, 1 a check failed, 2 usage or setup.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The options into o. Returns -1 to go on, or the exit status (0 after --help, 2 on a usage
 * error). */
static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"modes", required_argument, NULL, 'm'},
		{"rates", required_argument, NULL, 'r'},
		{"time-ms", required_argument, NULL, 't'},
		{"producers", required_argument, NULL, 'p'},
		{"cpu", required_argument, NULL, 'c'},
		{"kind", required_argument, NULL, 'k'},
		{"proc", required_argument, NULL, 'P'},
		{"rb-mib", required_argument, NULL, 'R'},
		{"queue-mib", required_argument, NULL, 'Q'},
		{"rotate-mib", required_argument, NULL, 'O'},
		{"ceiling-mib", required_argument, NULL, 'C'},
		{"keep", no_argument, NULL, 'K'},
		{"rounds", required_argument, NULL, 'N'},
		{"burst", required_argument, NULL, 'B'},
		{"wakeup-kib", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	bool any_mode = false;

	if (parse_rates("50k,100k,250k,500k,1M,1.5M,2M,3M,max"))
		return 2;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o.dir = optarg;
			break;
		case 'm': {
			char *copy = strdup(optarg), *tok, *save = NULL;

			memset(o.mode, 0, sizeof(o.mode));
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (!strcmp(tok, "rb"))
					o.mode[M_RB] = true;
				else if (!strcmp(tok, "convert"))
					o.mode[M_CONV] = true;
				else if (!strcmp(tok, "file"))
					o.mode[M_FILE] = true;
				else if (!strcmp(tok, "all"))
					o.mode[M_ALL] = true;
				else {
					fprintf(stderr, "evbench: unknown mode '%s'\n", tok);
					return 2;
				}
			}
			free(copy);
			any_mode = true;
			break;
		}
		case 'r':
			if (parse_rates(optarg)) {
				fprintf(stderr, "evbench: bad --rates '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			o.time_ms = (unsigned)parse_num(optarg, "--time-ms", 3600000);
			break;
		case 'p':
			o.producers = (unsigned)parse_num(optarg, "--producers", MAX_PRODUCERS);
			break;
		case 'c':
			o.cpu = (int)parse_num(optarg, "--cpu", CPU_SETSIZE - 1);
			break;
		case 'k':
			if (!strcmp(optarg, "file"))
				o.kind = WD_EV_FILE;
			else if (!strcmp(optarg, "connect"))
				o.kind = WD_EV_CONNECT;
			else {
				fprintf(stderr, "evbench: --kind is file or connect\n");
				return 2;
			}
			break;
		case 'P':
			if (!strcmp(optarg, "cache"))
				o.proc = PROC_CACHE;
			else if (!strcmp(optarg, "procfs"))
				o.proc = PROC_PROCFS;
			else if (!strcmp(optarg, "none"))
				o.proc = PROC_NONE;
			else {
				fprintf(stderr, "evbench: --proc is cache, procfs or none\n");
				return 2;
			}
			break;
		case 'R':
			o.rb_mib = (unsigned)parse_num(optarg, "--rb-mib", 1024);
			break;
		case 'Q':
			o.queue_mib = (unsigned)parse_num(optarg, "--queue-mib", 4096);
			break;
		case 'C':
			o.ceiling_mib = (unsigned)parse_num(optarg, "--ceiling-mib", 1 << 20);
			break;
		case 'O':
			o.rotate_mib = (unsigned)parse_num(optarg, "--rotate-mib", 1 << 20);
			break;
		case 'K':
			o.keep = true;
			break;
		case 'N':
			o.rounds = (unsigned)parse_num(optarg, "--rounds", 100);
			break;
		case 'B':
			o.burst = (unsigned)parse_num(optarg, "--burst", 64);
			break;
		case 'W':
			o.wakeup_kib = (unsigned)parse_num(optarg, "--wakeup-kib", 1 << 20);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !o.dir || !o.producers || !o.time_ms || !o.rb_mib || !o.burst ||
	    !o.rounds || (o.rb_mib & (o.rb_mib - 1))) {
		if (o.rb_mib & (o.rb_mib - 1))
			fprintf(stderr, "evbench: --rb-mib must be a power of 2\n");
		usage(stderr);
		return 2;
	}
	if (!any_mode)
		o.mode[M_RB] = o.mode[M_CONV] = o.mode[M_FILE] = o.mode[M_ALL] = true;
	return -1;
}

/* CPUs, signals, the pid cache, the event context, the BPF producer and its threads, and the
 * collector. Returns 0, or the exit status (2). */
static int setup(struct bench *b)
{
	struct sigaction sa = {.sa_handler = on_signal};
	cpu_set_t me;
	int err, nconf, others = 0;

	if (tally_fields_init())
		return 2;

	/* The consumer and, inheriting its affinity, the pipeline's sink threads on one CPU; the
	 * producers and the collector on the others. */
	nconf = (int)sysconf(_SC_NPROCESSORS_ONLN);
	CPU_ZERO(&me);
	CPU_SET(o.cpu, &me);
	if (o.cpu >= nconf || sched_setaffinity(0, sizeof(me), &me)) {
		fprintf(stderr, "evbench: cannot run on CPU %d\n", o.cpu);
		return 2;
	}
	CPU_ZERO(&b->others);
	for (int c = 0; c < nconf && c < CPU_SETSIZE; c++)
		if (c != o.cpu) {
			CPU_SET(c, &b->others);
			others++;
		}
	b->have_others = others > 0;
	/* As a deployment's scheduler would, compression goes to wherever the consumer is not. */
	if (b->have_others)
		wd_bg_set_cpus(&b->others);
	if (!others)
		fprintf(stderr, "evbench: one CPU only: producers share the consumer's CPU\n");

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	libbpf_set_print(NULL);
	if (o.proc == PROC_CACHE && !(b->pc = wd_proc_cache_new(250))) {
		fprintf(stderr, "evbench: out of memory\n");
		return 2;
	}
	setup_ctx(b); /* calls getppid(): before the producer is attached */
	err = load_bpf(b);
	if (err) {
		if (err != -ENOENT)
			fprintf(stderr, "evbench: BPF setup failed: %s\n", strerror(-err));
		return 2;
	}
	b->pb = malloc(sizeof(*b->pb));
	b->pk = wd_pb_packer_new();
	if (!b->pb || !b->pk)
		return 2;

	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	for (unsigned i = 0; i < o.producers; i++) {
		struct producer *p = &b->prod[i];
		pthread_attr_t attr;
		cpu_set_t one;
		int k = 0, cpu = o.cpu;

		/* Round robin over the other CPUs. */
		for (int c = 0; c < nconf; c++)
			if (CPU_ISSET(c, &b->others) && k++ == (int)(i % (unsigned)others)) {
				cpu = c;
				break;
			}
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		p->b = b;
		err = pthread_create(&p->th, &attr, producer_main, p);
		pthread_attr_destroy(&attr);
		if (err || pthread_getcpuclockid(p->th, &p->clk)) {
			fprintf(stderr, "evbench: cannot start producer threads\n");
			return 2;
		}
	}
	if (o.mode[M_ALL]) {
		err = collector_start(&b->col, o.dir, b->have_others ? &b->others : NULL);
		if (err) {
			fprintf(stderr, "evbench: cannot start the collector: %s\n",
				strerror(-err));
			return 2;
		}
	}
	return 0;
}

/* Every step of every round, a row each as it ends, and the file sink's baselines before and
 * after. Returns 1 if a step failed or did not pass its check, else 0. */
static int run(struct bench *b, struct result *res, size_t *n_res_out)
{
	size_t n_res = 0;
	int err, failed = 0;

	printf("%u producer thread(s), %u record(s) per getppid(); consumer on CPU %d; %s events "
	       "(%zu bytes each in a %u MiB ring buffer); wake-ups: %s; /proc: %s; %u ms per "
	       "step\n",
	       o.producers, o.burst, o.cpu, o.kind == WD_EV_CONNECT ? "connect" : "file",
	       o.kind == WD_EV_CONNECT ? (size_t)WD_EVENT_SHORT_SIZE : sizeof(struct wd_event),
	       o.rb_mib, o.wakeup_kib ? "batched" : "as warden",
	       o.proc == PROC_CACHE    ? "pid cache"
	       : o.proc == PROC_PROCFS ? "read each time"
				       : "not read",
	       o.time_ms);
	err = 0;
	if (o.ceiling_mib && (o.mode[M_FILE] || o.mode[M_ALL]))
		for (int i = 0; i < 2; i++)
			ceiling_before[i] = write_ceiling(o.dir, (uint64_t)o.ceiling_mib << 20, i);
	/* Odd rounds run the steps backwards, so that a drift of the machine weighs on all. */
	for (unsigned round = 0; round < o.rounds && !interrupted && !err; round++) {
		if (o.rounds > 1)
			printf("%sround %u of %u\n", round ? "\n" : "", round + 1, o.rounds);
		print_header();
		for (size_t k = 0; k < o.n_rates && !interrupted && !err; k++) {
			size_t i = round % 2 ? o.n_rates - 1 - k : k;

			for (int mm = 0; mm < M_NR && !interrupted; mm++) {
				int m = round % 2 ? M_NR - 1 - mm : mm;
				struct result *r = &res[n_res];

				if (!o.mode[m])
					continue;
				err = run_step(b, (enum mode)m, o.rates[i], (unsigned)n_res, r);
				if (err) {
					fprintf(stderr, "evbench: step failed: %s\n",
						strerror(-err));
					failed = 1;
					break;
				}
				n_res++;
				print_row(r, find_rb(res, n_res, r));
				if (!r->ok)
					failed = 1;
			}
		}
	}
	if (o.ceiling_mib && (o.mode[M_FILE] || o.mode[M_ALL]) && !interrupted)
		for (int i = 0; i < 2; i++)
			ceiling_after[i] = write_ceiling(o.dir, (uint64_t)o.ceiling_mib << 20, i);
	*n_res_out = n_res;
	return failed;
}

/* The failed steps, the least disturbed round of each step, the per-thread table, the summary
 * and the pid cache's figures. */
static void report(struct bench *b, const struct result *res, size_t n_res, struct result *best)
{
	size_t n_best = 0;

	for (size_t i = 0; i < n_res; i++)
		if (!res[i].ok) {
			char t[16];

			printf("FAIL %s at %s: %s\n", mode_name[res[i].m],
			       res[i].target ? fmt_rate(t, sizeof(t), (double)res[i].target)
					     : "max",
			       res[i].why);
		}
	if (o.rounds > 1) {
		n_best = pick_best(res, n_res, best);
		printf("\nleast disturbed of %u rounds (lowest other%%) for each step\n", o.rounds);
		print_header();
		for (size_t i = 0; i < n_best; i++)
			print_row(&best[i], find_rb(best, n_best, &best[i]));
	} else {
		memcpy(best, res, n_res * sizeof(*res));
		n_best = n_res;
	}
	print_sinks(best, n_best);
	print_summary(best, n_best);
	if (b->pc) {
		uint64_t reads, hits;

		wd_proc_cache_stats(b->pc, &reads, &hits);
		printf("pid cache: %" PRIu64 " hits, %" PRIu64
		       " /proc reads (processes are looked up "
		       "again only when their packed form no longer holds)\n",
		       hits, reads);
	}
}

static void teardown(struct bench *b)
{
	pthread_mutex_lock(&b->mu);
	b->quit = true;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	for (unsigned i = 0; i < o.producers; i++)
		pthread_join(b->prod[i].th, NULL);
	collector_stop(&b->col);
	tally_free(&b->file_tally);
	wd_ringbuf_free(b->rb);
	bench_events_bpf__destroy(b->skel);
	free(b->percpu);
	free(b->pb);
	wd_pb_packer_free(b->pk);
	wd_proc_cache_free(b->pc);
}

int main(int argc, char **argv)
{
	static struct bench bench;
	struct bench *b = &bench;
	struct result *res, *best;
	size_t n_res = 0;
	int ret, failed;

	ret = parse_args(argc, argv);
	if (ret >= 0)
		return ret;
	ret = setup(b);
	if (ret)
		return ret;
	res = calloc((size_t)M_NR * o.n_rates * o.rounds, sizeof(*res));
	best = calloc((size_t)M_NR * o.n_rates, sizeof(*best));
	if (!res || !best)
		return 2;
	failed = run(b, res, &n_res);
	report(b, res, n_res, best);
	teardown(b);
	free(res);
	free(best);
	if (interrupted)
		return 130;
	return failed;
}
