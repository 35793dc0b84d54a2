// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The export pipeline. One producer (the ring buffer consumer) packs each event once and copies
 * it into every sink's queue, a byte ring bounded by the sink's queue_bytes; each sink's thread
 * takes records from its ring and hands them to the backend. The producer never waits for a
 * sink: when a ring is full the record is counted as lost for that sink, and a LOST marker goes
 * into the ring ahead of the next record that fits (or as soon as the ring has room, when no
 * record follows), so the sink receives an EVENTS_LOST event exactly where its gap is.
 *
 * This file starts and stops the sinks' threads and reads their counts; the rings and the
 * producer are pipeline_queue.c's, the sink threads pipeline_thread.c's. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/clock.h"
#include "export/pipeline_internal.h"

/* ---- Setup and teardown --------------------------------------------------------------------- */

/* A queue's memory is touched only as far as the queue ever got: an idle pipeline costs little.
 * But a queue that grows (a sink falling behind) took a page fault every 4 KiB on the
 * producer's thread, on a VM a few microseconds each: the consumer thread's cost per event
 * grew several times over exactly when the sinks could not keep up. Huge pages, where the
 * kernel gives them, take one fault per 2 MiB. */
static uint8_t *ring_alloc(size_t cap)
{
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, cap, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
	return p;
}

static void ring_free(uint8_t *ring, size_t cap)
{
	if (ring)
		munmap(ring, cap);
}

static int backend_open(const struct wd_sink_cfg *c, const char *node,
			const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size)
{
	const struct wd_sink_type *t;

	if (c->ops) {
		*ops = c->ops;
		*impl = c->impl;
		return 0;
	}
	t = wd_sink_type_of(c->kind);
	if (t)
		return t->backend(c, node, ops, impl, err, err_size);
	snprintf(err, err_size, "unknown sink kind %d", (int)c->kind);
	return -EINVAL;
}

/* Stops the sink's thread: nothing moves in its ring after that. */
static void sink_join(struct sink *s)
{
	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->started = false;
}

static void sink_stop(struct sink *s)
{
	sink_join(s);
	if (s->ops && s->impl)
		s->lost += s->ops->close(s->impl);
	s->impl = NULL;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->idle);
	ring_free(s->ring, s->cap);
	s->ring = NULL;
}

int wd_pipeline_open(struct wd_pipeline **out, const struct wd_sink_cfg *sinks, size_t n,
		     const char *node, char *err, size_t err_size)
{
	const struct wd_pipeline_cfg cfg = {.sinks = sinks, .n = n, .node = node};

	return wd_pipeline_start(out, &cfg, err, err_size);
}

int wd_pipeline_start(struct wd_pipeline **out, const struct wd_pipeline_cfg *cfg, char *err,
		      size_t err_size)
{
	const char *node = cfg->node;
	size_t n = cfg->n;
	struct wd_pipeline *p;
	char why[256];
	size_t i;
	int ret;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->s = calloc(n ? n : 1, sizeof(*p->s))) ||
	    !(p->pack = malloc(WD_PB_RECORD_MAX)) || !(p->stage = malloc(STAGE_BYTES))) {
		if (p) {
			free(p->s);
			free(p->pack);
		}
		free(p);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	snprintf(p->node, sizeof(p->node), "%s", node ? node : "");
	for (i = 0; i < n; i++) {
		struct sink *s = &p->s[i];
		struct wd_sink_cfg bc = cfg->sinks[i], *c = &bc;

		/* The backend's messages go where the pipeline's do, unless it has its own. */
		if (!bc.log) {
			bc.log = cfg->log;
			bc.log_arg = cfg->log_arg;
		}
		s->p = p;
		snprintf(s->name, sizeof(s->name), "%s", c->name ? c->name : "?");
		wd_sink_log_init(&s->log, c);
		pthread_mutex_init(&s->mu, NULL);
		{
			/* sink_wait() counts on CLOCK_MONOTONIC; a condition variable's default
			 * clock is CLOCK_REALTIME, against which every deadline would be long past
			 * and the thread would spin instead of sleeping. */
			pthread_condattr_t ca;

			pthread_condattr_init(&ca);
			pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
			pthread_cond_init(&s->cv, &ca);
			pthread_condattr_destroy(&ca);
		}
		pthread_cond_init(&s->idle, NULL);
		s->flushed = true;
		s->cap = c->queue_bytes		   ? c->queue_bytes
			 : c->kind == WD_SINK_FILE ? QUEUE_DEFAULT_FILE
						   : QUEUE_DEFAULT;
		if (s->cap < QUEUE_MIN)
			s->cap = QUEUE_MIN;
		s->cap = ALIGN8(s->cap);
		s->wake = s->cap / 4 < WAKE_BYTES ? s->cap / 4 : WAKE_BYTES;
		p->n = i + 1;
		s->ring = ring_alloc(s->cap);
		if (!s->ring) {
			ret = -ENOMEM;
			snprintf(err, err_size, "sink %s: cannot allocate its %zu-byte queue",
				 s->name, s->cap);
			goto fail;
		}
		why[0] = '\0';
		ret = backend_open(c, p->node, &s->ops, &s->impl, why, sizeof(why));
		if (ret) {
			s->ops = NULL;
			s->impl = NULL;
			snprintf(err, err_size, "sink %s (%s:%d:%d): %s", s->name, "config",
				 c->line, c->col, why[0] ? why : strerror(-ret));
			goto fail;
		}
		if (s->ops->describe)
			s->ops->describe(s->impl, s->state, sizeof(s->state));
		/* Sink threads take no signals: the process handles them (signalfd) in one
		 * place, and a thread with a signal unblocked would get its default action. */
		{
			sigset_t all, old;

			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			ret = -pthread_create(&s->thread, NULL, wd_pl_sink_main, s);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
		if (ret) {
			snprintf(err, err_size, "sink %s: cannot start its thread: %s", s->name,
				 strerror(-ret));
			goto fail;
		}
		s->started = true;
	}
	*out = p;
	return 0;
fail:
	for (i = 0; i < p->n; i++)
		sink_stop(&p->s[i]);
	free(p->s);
	free(p->pack);
	free(p->stage);
	free(p);
	return ret;
}

void wd_pipeline_kick(struct wd_pipeline *p)
{
	uint64_t now;

	if (!p)
		return;
	wd_pl_stage_flush(p);
	/* At most one wake-up per sink every KICK_NS: a trickle of events would otherwise cost
	 * a sleep and a wake-up each (tens of microseconds on a VM). */
	now = wd_clock_ns(CLOCK_MONOTONIC);
	if (now - p->last_kick < KICK_NS)
		return;
	p->last_kick = now;
	for (size_t i = 0; i < p->n; i++) {
		struct sink *s = &p->s[i];

		pthread_mutex_lock(&s->mu);
		if (s->waiting && (s->used || s->pend_count))
			pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

size_t wd_pipeline_sinks(const struct wd_pipeline *p)
{
	return p ? p->n : 0;
}

void wd_pipeline_stats(struct wd_pipeline *p, size_t i, struct wd_sink_stats *o)
{
	struct sink *s = &p->s[i];

	pthread_mutex_lock(&s->mu);
	o->name = s->name;
	o->kind = s->ops ? s->ops->kind : "?";
	o->queued = s->queued;
	o->written = s->written;
	o->lost = s->lost;
	o->lost_reported = s->lost_reported;
	o->lost_carried = s->lost_carried;
	o->queue_used = s->used;
	o->queue_bytes = s->cap;
	snprintf(o->state, sizeof(o->state), "%s", s->state);
	pthread_mutex_unlock(&s->mu);
}

bool wd_pipeline_drain(struct wd_pipeline *p, unsigned timeout_ms)
{
	uint64_t end = wd_clock_ns(CLOCK_MONOTONIC) + timeout_ms * NS_PER_MS;
	bool all = true;
	size_t i;

	wd_pl_stage_flush(p);
	for (i = 0; i < p->n; i++) {
		struct sink *s = &p->s[i];

		pthread_mutex_lock(&s->mu);
		while (s->started && (s->used || s->pend_count || !s->flushed)) {
			struct timespec ts;
			uint64_t now = wd_clock_ns(CLOCK_REALTIME), left;

			if (wd_clock_ns(CLOCK_MONOTONIC) >= end)
				break;
			left = end - wd_clock_ns(CLOCK_MONOTONIC);
			now += left < TICK_NS ? left : TICK_NS;
			ts.tv_sec = (time_t)(now / 1000000000ull);
			ts.tv_nsec = (long)(now % 1000000000ull);
			if (s->waiting)
				pthread_cond_signal(&s->cv);
			pthread_cond_timedwait(&s->idle, &s->mu, &ts);
		}
		if (s->used || s->pend_count || !s->flushed)
			all = false;
		pthread_mutex_unlock(&s->mu);
	}
	return all;
}

uint64_t wd_pipeline_close(struct wd_pipeline *p, unsigned timeout_ms)
{
	uint64_t total = 0;
	size_t i;

	if (!p)
		return 0;
	wd_pipeline_drain(p, timeout_ms);
	for (i = 0; i < p->n; i++) {
		struct sink *s = &p->s[i];
		uint64_t left, held;

		sink_join(s);
		left = 0;
		while (wd_pl_ring_peek(s)) {
			struct rec_hdr *h = wd_pl_ring_peek(s);

			if (!(h->flags & REC_F_LOST))
				left++;
			wd_pl_ring_pop(s, h);
		}
		s->lost += left;
		/* What the backend took but could not deliver (unacknowledged records). */
		held = s->ops && s->impl ? s->ops->close(s->impl) : 0;
		s->impl = NULL;
		s->lost += held;
		if (s->lost > s->lost_reported)
			wd_sink_logf(&s->log, NULL,
				     "%" PRIu64 " events were not delivered and not reported to it "
				     "(%" PRIu64 " still queued at exit, %" PRIu64
				     " taken but not acknowledged)",
				     s->lost - s->lost_reported, left, held);
		total += s->lost;
		sink_stop(s);
	}
	free(p->s);
	free(p->pack);
	free(p->stage);
	free(p);
	return total;
}
