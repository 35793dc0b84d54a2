// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the export pipeline (user/export/pipeline*.c) with backends of the test's own. Records
 * arrive in order; a sink that stops taking records blocks neither the producer nor the other
 * sinks; what its full queue could not hold is counted and reported to it as EVENTS_LOST exactly
 * where the gap is, so delivered plus reported lost equals produced; a record the backend refuses
 * is lost and reported too; at close, what is still queued is counted. Longer than 600 lines:
 * every case drives the test backend and the stream check defined before in_order(). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "event/event.h"
#include "export/pipeline.h"
#include "warden/abi.h"

#define MAXREC 20000

/* A backend that records what it gets: seq, or for EVENTS_LOST its range. */
struct tb {
	pthread_mutex_t mu;
	bool blocked;	     /* write says -EAGAIN */
	uint64_t refuse;     /* write refuses this seq (-EINVAL) */
	uint64_t block_from; /* write says -EAGAIN from this seq on (0: never) */
	uint64_t again_seq;  /* write says -EAGAIN for this seq ... */
	int again_left;	     /* ... this many times */
	unsigned delay_us;   /* each write takes this long (a slow backend) */
	bool wants;	     /* wants_event */
	size_t n;
	struct got {
		uint64_t seq, lost, first, last;
		bool is_lost;
	} got[MAXREC];
	int flushes, closed;
};

static int tb_write(void *impl, const uint8_t *msg, size_t len, const Warden__V1__Event *ev)
{
	struct tb *t = impl;
	Warden__V1__Event *m = ev ? NULL : warden__v1__event__unpack(NULL, len, msg);
	const Warden__V1__Event *e = ev ? ev : m;
	int ret = 0;

	if (!e)
		return -EBADMSG;
	if (t->delay_us) {
		struct timespec d = {0, (long)t->delay_us * 1000};

		nanosleep(&d, NULL);
	}
	pthread_mutex_lock(&t->mu);
	if (t->blocked || (t->block_from && e->header->seq >= t->block_from)) {
		ret = -EAGAIN;
	} else if (t->again_left && e->header->seq == t->again_seq) {
		t->again_left--;
		ret = -EAGAIN;
	} else if (t->refuse && e->header->seq == t->refuse) {
		ret = -EINVAL;
	} else if (t->n < MAXREC) {
		struct got *g = &t->got[t->n++];

		g->seq = e->header->seq;
		if (e->action_case == WARDEN__V1__EVENT__ACTION_LIFECYCLE &&
		    e->lifecycle->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
			g->is_lost = true;
			g->lost = e->lifecycle->lost_count;
			g->first = e->lifecycle->lost_first_seq;
			g->last = e->lifecycle->lost_last_seq;
		}
	}
	pthread_mutex_unlock(&t->mu);
	if (m)
		warden__v1__event__free_unpacked(m, NULL);
	return ret;
}

static int tb_flush(void *impl)
{
	struct tb *t = impl;

	pthread_mutex_lock(&t->mu);
	t->flushes++;
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static uint64_t tb_close(void *impl)
{
	((struct tb *)impl)->closed++;
	return 0;
}

static const struct wd_sink_ops tb_ops = {
	.kind = "test", .write = tb_write, .flush = tb_flush, .close = tb_close};
static const struct wd_sink_ops tb_ops_ev = {.kind = "test",
					     .wants_event = true,
					     .write = tb_write,
					     .flush = tb_flush,
					     .close = tb_close};

static struct tb *tb_new(void)
{
	struct tb *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

static void set_blocked(struct tb *t, bool b)
{
	pthread_mutex_lock(&t->mu);
	t->blocked = b;
	pthread_mutex_unlock(&t->mu);
}

/* An event with seq @seq and a payload of about @pad bytes (in the lifecycle detail). */
static void emit(struct wd_pipeline *p, uint64_t seq, size_t pad)
{
	static char detail[4096];
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	Warden__V1__Header hdr = WARDEN__V1__HEADER__INIT;
	Warden__V1__Lifecycle lc = WARDEN__V1__LIFECYCLE__INIT;

	memset(detail, 'x', pad);
	detail[pad] = '\0';
	hdr.seq = seq;
	lc.kind = WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED;
	lc.detail = detail;
	ev.header = &hdr;
	ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	ev.lifecycle = &lc;
	wd_pipeline_emit(p, &ev);
}

static struct wd_sink_cfg cfg(const char *name, struct tb *t, uint64_t queue, bool wants)
{
	return (struct wd_sink_cfg){.name = (char *)name,
				    .queue_bytes = queue,
				    .ops = wants ? &tb_ops_ev : &tb_ops,
				    .impl = t};
}

/* Checks what @t got: every seq 1..n once, in order, except ranges an EVENTS_LOST names
 * exactly where they are missing. Returns the number of events reported lost. */
static uint64_t check_stream(const struct tb *t, uint64_t n)
{
	uint64_t next = 1, lost = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct got *g = &t->got[i];

		if (g->is_lost) {
			/* A sink's own report (seq 0), or the node's, numbered right after the
			 * events it reports. */
			assert_true(g->seq == 0 || g->seq == g->last + 1);
			assert_int_equal(g->first, next);
			assert_int_equal(g->last - g->first + 1, g->lost);
			next = g->seq ? g->seq + 1 : g->last + 1;
			lost += g->lost;
			continue;
		}
		assert_int_equal(g->seq, next);
		next++;
	}
	assert_int_equal(next, n + 1);
	return lost;
}

static void in_order(void **state)
{
	struct tb *a = tb_new(), *b = tb_new();
	struct wd_sink_cfg c[2] = {cfg("a", a, 0, false), cfg("b", b, 0, true)};
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	char err[256];

	(void)state;
	c[0].kind = WD_SINK_FILE; /* the backend is still the test's */
	assert_int_equal(wd_pipeline_open(&p, c, 2, "node", err, sizeof(err)), 0);
	/* Default bounds: a file sink's disk stalls longer than a socket's reader. */
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.queue_bytes, 256ull << 20);
	wd_pipeline_stats(p, 1, &st);
	assert_int_equal(st.queue_bytes, 64ull << 20);
	for (uint64_t s = 1; s <= 5000; s++)
		emit(p, s, s % 300);
	assert_true(wd_pipeline_drain(p, 10000));
	assert_int_equal(check_stream(a, 5000), 0);
	assert_int_equal(check_stream(b, 5000), 0);
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.queued, 5000);
	assert_int_equal(st.written, 5000);
	assert_int_equal(st.lost, 0);
	assert_true(a->flushes > 0);
	assert_int_equal(wd_pipeline_close(p, 1000), 0);
	assert_int_equal(a->closed, 1);
	assert_int_equal(b->closed, 1);
	free(a);
	free(b);
}

static void stalled_sink_counts_and_reports(void **state)
{
	struct tb *slow = tb_new(), *fast = tb_new();
	/* The smallest queue: about two records of the largest size. */
	struct wd_sink_cfg c[2] = {cfg("slow", slow, 1, false), cfg("fast", fast, 0, false)};
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	uint64_t n = 0, reported;
	struct timespec t0, t1;
	char err[256];

	(void)state;
	set_blocked(slow, true);
	assert_int_equal(wd_pipeline_open(&p, c, 2, "node", err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Three bursts with the backend stalled, each released afterwards: several gaps. */
	for (int burst = 0; burst < 3; burst++) {
		set_blocked(slow, true);
		for (int i = 0; i < 4000; i++)
			emit(p, ++n, 1000);
		set_blocked(slow, false);
		assert_true(wd_pipeline_drain(p, 10000));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The producer never waited for the stalled sink (generous bound: 12,000 copies). */
	assert_true(t1.tv_sec - t0.tv_sec < 20);
	assert_int_equal(check_stream(fast, n), 0);
	reported = check_stream(slow, n);
	wd_pipeline_stats(p, 0, &st);
	assert_true(st.lost > 0);
	assert_int_equal(st.lost, reported);
	assert_int_equal(st.lost_reported, reported);
	assert_int_equal(st.written + st.lost, n);
	assert_int_equal(wd_pipeline_close(p, 1000), reported);
	free(slow);
	free(fast);
}

/* The node's EVENTS_LOST for @n events it numbered @first.. (the kernel ring buffer overflowed),
 * itself event @seq. */
static void emit_node_lost(struct wd_pipeline *p, uint64_t seq, uint64_t first, uint64_t n)
{
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	Warden__V1__Header hdr = WARDEN__V1__HEADER__INIT;
	Warden__V1__Lifecycle lc = WARDEN__V1__LIFECYCLE__INIT;

	hdr.seq = seq;
	lc.kind = WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST;
	lc.lost_count = n;
	lc.lost_first_seq = first;
	lc.lost_last_seq = first + n - 1;
	ev.header = &hdr;
	ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	ev.lifecycle = &lc;
	wd_pipeline_emit(p, &ev);
}

/* A sink whose full queue drops the node's own EVENTS_LOST drops the report of those events,
 * not only one record: its marker reports them too, so its gap is exactly what it says. */
static void dropped_lost_report_is_carried(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 1, false);
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	uint64_t reported;
	char err[256];

	(void)state;
	set_blocked(t, true);
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= 300; s++)
		emit(p, s, 1000);	 /* the queue fills, the rest is dropped */
	emit_node_lost(p, 311, 301, 10); /* dropped too, with the 10 it stood for */
	for (uint64_t s = 312; s <= 320; s++)
		emit(p, s, 1000);
	set_blocked(t, false);
	assert_true(wd_pipeline_drain(p, 10000));
	reported = check_stream(t, 320); /* one gap, and it names 301..311 too */
	wd_pipeline_stats(p, 0, &st);
	assert_true(reported > 10);
	assert_int_equal(st.lost, reported);
	assert_int_equal(st.lost_reported, reported);
	assert_int_equal(st.lost_carried, 10);
	assert_int_equal(st.written + st.lost - st.lost_carried, 320 - 10);
	assert_int_equal(wd_pipeline_close(p, 1000), reported);
	free(t);
}

static void refused_record_is_reported(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 0, true);
	struct wd_pipeline *p;
	char err[256];

	(void)state;
	t->refuse = 7;
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= 20; s++)
		emit(p, s, 10);
	assert_true(wd_pipeline_drain(p, 5000));
	assert_int_equal(check_stream(t, 20), 1);
	assert_int_equal(wd_pipeline_close(p, 1000), 1);
	free(t);
}

static void close_counts_what_is_left(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 0, false);
	struct wd_pipeline *p;
	char err[256];

	(void)state;
	set_blocked(t, true);
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= 100; s++)
		emit(p, s, 10);
	assert_false(wd_pipeline_drain(p, 200));
	assert_int_equal(wd_pipeline_close(p, 200), 100);
	assert_int_equal(t->n, 0);
	assert_int_equal(t->closed, 1);
	free(t);
}

/* The sink thread takes runs of records under one lock. A record refused in the middle of a run
 * is lost and reported right after its predecessor; the rest of the run follows, once each. */
static void refused_inside_a_run(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 0, false);
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	char err[256];

	(void)state;
	t->refuse = 500;
	set_blocked(t, true);
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	/* Queued while the backend is blocked: the thread finds them all in one go. */
	for (uint64_t s = 1; s <= 2000; s++)
		emit(p, s, s % 50);
	set_blocked(t, false);
	assert_true(wd_pipeline_drain(p, 10000));
	assert_int_equal(check_stream(t, 2000), 1);
	assert_int_equal(t->n, 2000); /* 1999 records and one EVENTS_LOST */
	assert_true(t->got[499].is_lost);
	assert_int_equal(t->got[499].first, 500);
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.written, 1999);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.lost_reported, 1);
	assert_int_equal(wd_pipeline_close(p, 1000), 1);
	free(t);
}

/* -EAGAIN in the middle of a run: the record is retried, neither skipped nor repeated, and the
 * records after it come once each. */
static void again_inside_a_run(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 0, true);
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	char err[256];

	(void)state;
	t->again_seq = 300;
	t->again_left = 2;
	set_blocked(t, true);
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= 1000; s++)
		emit(p, s, 20);
	set_blocked(t, false);
	assert_true(wd_pipeline_drain(p, 10000));
	assert_int_equal(t->again_left, 0);
	assert_int_equal(check_stream(t, 1000), 0);
	assert_int_equal(t->n, 1000);
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.written, 1000);
	assert_int_equal(st.lost, 0);
	assert_int_equal(wd_pipeline_close(p, 1000), 0);
	free(t);
}

/* Stopping while the backend refuses with -EAGAIN partway through a run: what it took counts
 * as written, the rest of the run as lost at close, none of it twice. */
static void close_inside_a_run(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 0, false);
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	char err[256];

	(void)state;
	t->block_from = 41;
	set_blocked(t, true);
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= 100; s++)
		emit(p, s, 10);
	set_blocked(t, false);
	assert_false(wd_pipeline_drain(p, 300));
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.written, 40);
	assert_int_equal(wd_pipeline_close(p, 200), 60);
	assert_int_equal(t->n, 40);
	assert_int_equal(check_stream(t, 40), 0);
	free(t);
}

/* A slow backend behind the smallest queue, with records of many sizes: the ring wraps again
 * and again, runs span the wrap, the queue overflows. Every seq is delivered once or reported
 * lost once, in order, and the counts agree. */
static void runs_across_the_wrap(void **state)
{
	struct tb *t = tb_new();
	struct wd_sink_cfg c = cfg("t", t, 1, false);
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	uint64_t n = 15000, reported;
	char err[256];

	(void)state;
	t->delay_us = 20;
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= n; s++) {
		emit(p, s, (s * 7919) % 3000);
		if (s % 1000 == 0)
			wd_pipeline_kick(p);
	}
	assert_true(wd_pipeline_drain(p, 30000));
	reported = check_stream(t, n);
	wd_pipeline_stats(p, 0, &st);
	assert_true(st.written > 0);
	assert_int_equal(st.lost, reported);
	assert_int_equal(st.lost_reported, reported);
	assert_int_equal(st.written + st.lost, n);
	assert_int_equal(st.queue_used, 0);
	assert_int_equal(wd_pipeline_close(p, 1000), reported);
	free(t);
}

/* A kernel record for emit_record(): a connect of pid @pid. */
static struct wd_event kernel_record(uint32_t pid)
{
	struct wd_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = WD_EV_CONNECT;
	e.hdr.size = sizeof(e);
	e.hdr.ktime_ns = 5000000000ull + pid;
	e.decision = WD_DEC_ALLOW;
	e.hook = WD_HOOK_CONNECT4;
	e.family = 2; /* AF_INET */
	e.addr[12] = 10;
	e.addr[15] = 5;
	e.port = 443;
	e.pid = pid;
	e.tid = pid;
	strcpy(e.comm, "curl");
	return e;
}

/* Kernel records go to the queues in batches: in order with the events emitted directly, each
 * gathered record counted once handed over (a kick, an emit, a drain, or a full batch); a
 * record that took a seq number but could not be packed is reported lost where it belongs on
 * every sink; the kernel's own EVENTS_LOST record, dropped by a full queue, has its sink report
 * the events it stood for; a record of the largest size goes through. */
static void kernel_records_in_batches(void **state)
{
	struct tb *a = tb_new(), *b = tb_new();
	struct wd_sink_cfg c[2] = {cfg("a", a, 0, false), cfg("b", b, 1, true)};
	struct wd_label many[WD_PB_LABELS_MAX + 1];
	struct wd_pb_packer *pk = wd_pb_packer_new();
	struct wd_pipeline *p;
	struct wd_sink_stats st;
	uint64_t node_seq = 0, reported, extra = 0;
	static char name[70000];
	struct wd_event_ctx ctx = {.identity = name,
				   .node = "node",
				   .node_seq = &node_seq,
				   .gen = wd_event_ctx_gen()},
			    bad = ctx, big = ctx;
	/* Records 4001..4003 stay gathered until the drain. */
	const uint64_t n = 4003, unpackable = 1500, klost = 2500, klost_n = 7, large = 3000;
	char err[256];

	(void)state;
	assert_non_null(pk);
	memset(name, 'i', sizeof(name) - 1);
	name[200] = '\0'; /* records of about 300 bytes */
	for (size_t i = 0; i < WD_PB_LABELS_MAX + 1; i++)
		many[i] = (struct wd_label){"k", "v"};
	bad.labels = many;
	bad.n_labels = WD_PB_LABELS_MAX + 1; /* takes a seq number, then fails */
	bad.gen = 0;
	big.identity = "";
	big.gen = 0;
	set_blocked(b, true); /* b's queue (two large records) fills */
	assert_int_equal(wd_pipeline_open(&p, c, 2, "node", err, sizeof(err)), 0);

	for (uint64_t i = 1; i <= 10; i++) {
		struct wd_event e = kernel_record((uint32_t)i);

		assert_int_equal(wd_pipeline_emit_record(p, pk, &e, &ctx), 0);
	}
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.queued, 0); /* gathered, not handed over yet */
	wd_pipeline_kick(p);
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.queued, 10);

	/* Directly emitted events keep their place among gathered ones; batches fill and go. */
	for (uint64_t i = 11; i <= n; i++) {
		struct wd_event e = kernel_record((uint32_t)i);
		const struct wd_event_ctx *use = &ctx;
		int want = 0;

		if (i == 2000 || i == 4000) {
			emit(p, ++node_seq, 10); /* hands over what was gathered first */
			wd_pipeline_stats(p, 0, &st);
			assert_int_equal(st.queued, i - 1);
			continue;
		}
		if (i == unpackable) {
			use = &bad;
			want = -ENOBUFS;
		} else if (i == klost) {
			e.hdr.type = WD_EV_LOST;
			e.lost = klost_n;
			extra = klost_n;
		} else if (i == large) {
			/* The largest record there is (WD_PB_RECORD_MAX bytes). */
			size_t len = 0;

			name[200] = 'i';
			big.identity = name;
			for (size_t k = sizeof(name) - 1; k > 200; k -= 16) {
				name[k] = '\0';
				if (wd_event_pack(pk, &e, &big, (uint8_t[WD_PB_RECORD_MAX]){0},
						  WD_PB_RECORD_MAX, &len, &(uint64_t){0}) == 0)
					break;
				node_seq--; /* that one was a trial */
				name[k] = 'i';
			}
			node_seq--;
			assert_true(len > WD_PB_RECORD_MAX - 16);
			use = &big;
		}
		assert_int_equal(wd_pipeline_emit_record(p, pk, &e, use), want);
		assert_int_equal(node_seq, i + extra);
		if (i == large)
			name[200] = '\0';
		if (i == 3999) {
			wd_pipeline_stats(p, 0, &st);
			assert_true(st.queued > 3000); /* full batches went without a kick */
		}
	}
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.queued, n - 1 - 3);
	set_blocked(b, false);
	assert_true(wd_pipeline_drain(p, 10000));

	/* a: the unpackable one, reported by the sink, and the kernel's 7, by the node. */
	assert_int_equal(check_stream(a, n + klost_n), 1 + klost_n);
	for (size_t i = 0, k = 0; i < a->n; i++)
		if (a->got[i].is_lost)
			assert_int_equal(a->got[i].first, k++ ? klost : unpackable);
	wd_pipeline_stats(p, 0, &st);
	assert_int_equal(st.queued, n - 1);
	assert_int_equal(st.written, n - 1);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.lost_reported, 1);
	/* b: most were lost to its full queue, the kernel's 7 with them, and said so. */
	reported = check_stream(b, n + klost_n);
	assert_true(reported > n / 2);
	wd_pipeline_stats(p, 1, &st);
	assert_int_equal(st.lost, reported);
	assert_int_equal(st.lost_carried, klost_n);
	assert_int_equal(st.written + st.lost - st.lost_carried, n);
	assert_int_equal(wd_pipeline_close(p, 1000), 1 + reported);
	wd_pb_packer_free(pk);
	free(a);
	free(b);
}

static void bad_backend_fails_open(void **state)
{
	struct wd_sink_cfg c = {.name = (char *)"f", .kind = WD_SINK_FILE}; /* no dir */
	struct wd_pipeline *p = (void *)1;
	char err[256] = "";

	(void)state;
	assert_int_equal(wd_pipeline_open(&p, &c, 1, "node", err, sizeof(err)), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(err, "sink f"));
	assert_non_null(strstr(err, "dir"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order),
		cmocka_unit_test(stalled_sink_counts_and_reports),
		cmocka_unit_test(refused_record_is_reported),
		cmocka_unit_test(close_counts_what_is_left),
		cmocka_unit_test(refused_inside_a_run),
		cmocka_unit_test(again_inside_a_run),
		cmocka_unit_test(close_inside_a_run),
		cmocka_unit_test(runs_across_the_wrap),
		cmocka_unit_test(bad_backend_fails_open),
		cmocka_unit_test(dropped_lost_report_is_carried),
		cmocka_unit_test(kernel_records_in_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
