// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's producer: the BPF program on getppid()'s tracepoint (tests/bpf/bench_events.bpf.c)
 * that turns each call into struct wd_event records in its own ring buffer, as warden's hooks do,
 * and the threads that call getppid() at a step's rate. */
#include "evbench.h"
#include "bench_events.skel.h"

void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct bench *b = p->b;
	unsigned gen = 0;

	p->tid = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_TIMERSLACK, 1UL);
	prctl(PR_SET_NAME, "evb-producer");
	for (;;) {
		uint64_t rate, n = 0, t0, batch, cap;

		pthread_mutex_lock(&b->mu);
		while (b->gen == gen && !b->quit)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->quit) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		gen = b->gen;
		rate = b->rate / o.producers / o.burst;
		if (b->rate && !rate)
			rate = 1;
		pthread_mutex_unlock(&b->mu);

		/* Paced: the calls due by now, in batches of about 20 us, sleeping in between. */
		batch = rate / 50000 ? rate / 50000 : 1;
		cap = 256 / o.burst ? 256 / o.burst : 1;
		t0 = now_ns();
		while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
			uint64_t due, k;

			if (!rate) {
				for (k = 0; k < 64; k++)
					syscall(SYS_getppid);
				n += 64;
				continue;
			}
			due = (uint64_t)((double)(now_ns() - t0) * (double)rate / 1e9);
			if (n < due) {
				/* Catching up in bursts of 256 records at most. */
				k = due - n < cap ? due - n : cap;
				for (uint64_t i = 0; i < k; i++)
					syscall(SYS_getppid);
				n += k;
			} else {
				uint64_t wake =
					t0 + (uint64_t)((double)(n + batch) * 1e9 / (double)rate);
				struct timespec ts = {.tv_sec = (time_t)(wake / 1000000000ull),
						      .tv_nsec = (long)(wake % 1000000000ull)};

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
		p->done = n * o.burst;
		atomic_fetch_add(&b->finished, 1);
	}
}

uint64_t percpu_sum(struct bench *b, struct bpf_map *map)
{
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (bpf_map__lookup_elem(map, &zero, sizeof(zero), b->percpu,
				 (size_t)b->ncpu * sizeof(uint64_t), 0))
		return 0;
	for (int i = 0; i < b->ncpu; i++)
		sum += b->percpu[i];
	return sum;
}

int load_bpf(struct bench *b)
{
	struct bench_events_bpf *s = bench_events_bpf__open();
	const char *exe = "/usr/bin/python3.11", *path = "/home/runner/.aws/credentials";
	int err;

	if (!s)
		return -errno;
	b->skel = s;
	s->rodata->bench_tgid = (uint32_t)getpid();
	s->rodata->bench_type = o.kind;
	s->rodata->bench_decision = o.kind == WD_EV_CONNECT ? WD_DEC_ALLOW : WD_DEC_DENY;
	s->rodata->bench_rule_id = o.kind == WD_EV_CONNECT ? 9 : 7;
	s->rodata->bench_burst = o.burst;
	s->rodata->bench_wakeup_bytes = o.wakeup_kib << 10;
	snprintf(s->rodata->bench_exe, sizeof(s->rodata->bench_exe), "%s", exe);
	snprintf(s->rodata->bench_path, sizeof(s->rodata->bench_path), "%s", path);
	err = bpf_map__set_max_entries(s->maps.wd_bench_ev, o.rb_mib << 20);
	if (err)
		return err;
	err = bench_events_bpf__load(s);
	if (err) {
		fprintf(stderr, "evbench: cannot load the BPF producer: %s\n", strerror(-err));
		return err;
	}
	err = bench_events_bpf__attach(s);
	if (err) {
		fprintf(stderr,
			"evbench: cannot attach to tracepoint syscalls/sys_enter_getppid: %s%s\n",
			strerror(-err),
			err == -ENOENT ? " (is tracefs mounted? mount -t tracefs tracefs "
					 "/sys/kernel/tracing)"
				       : "");
		return err;
	}
	b->rb = wd_ringbuf_new(bpf_map__fd(s->maps.wd_bench_ev), on_record, b);
	if (!b->rb)
		return -errno;
	b->ncpu = libbpf_num_possible_cpus();
	if (b->ncpu <= 0)
		return -EINVAL;
	b->percpu = calloc((size_t)b->ncpu, sizeof(uint64_t));
	return b->percpu ? 0 : -ENOMEM;
}
