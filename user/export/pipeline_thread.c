// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A sink's thread in the export pipeline: takes records from its ring in batches and hands them
 * to its backend, turns LOST markers into EVENTS_LOST events, retries what the backend cannot
 * take yet, and ticks the backend about ten times a second. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "event/event.h"
#include "export/pipeline_internal.h"
#include "warden/version.h"

/* ---- The sink thread ------------------------------------------------------------------------ */

/* The EVENTS_LOST event for a marker, packed into @buf. */
static size_t lost_event(struct sink *s, const struct lost_marker *m, uint8_t *buf,
			 Warden__V1__Event *ev, Warden__V1__Header *hdr, Warden__V1__Lifecycle *lc,
			 char *detail, size_t detail_size)
{
	warden__v1__event__init(ev);
	warden__v1__header__init(hdr);
	warden__v1__lifecycle__init(lc);
	hdr->seq = 0; /* not a node event: it stands for events other sinks did receive */
	hdr->boot_ns = wd_clock_ns(CLOCK_BOOTTIME);
	hdr->wall_ns = wd_clock_ns(CLOCK_REALTIME);
	hdr->node = s->p->node;
	hdr->warden_version = (char *)WARDEN_VERSION;
	snprintf(detail, detail_size,
		 "sink %s could not keep up: its queue (%" PRIu64 " bytes) was full", s->name,
		 (uint64_t)s->cap);
	lc->kind = WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST;
	lc->detail = detail;
	lc->lost_count = m->count;
	lc->lost_first_seq = m->first_seq;
	lc->lost_last_seq = m->last_seq;
	lc->sink = s->name;
	ev->header = hdr;
	ev->action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	ev->lifecycle = lc;
	ev->decision = WARDEN__V1__DECISION__DECISION_ALLOWED;
	return warden__v1__event__pack(ev, buf);
}

/* Waits up to @ns for a signal (stop or data). Caller holds s->mu. */
static void sink_wait(struct sink *s, uint64_t ns)
{
	struct timespec ts;
	uint64_t t = wd_clock_ns(CLOCK_MONOTONIC) + ns;

	ts.tv_sec = (time_t)(t / 1000000000ull);
	ts.tv_nsec = (long)(t % 1000000000ull);
	s->waiting = true;
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	s->waiting = false;
}

static void sink_tick(struct sink *s, uint64_t *next_tick)
{
	uint64_t now = wd_clock_ns(CLOCK_MONOTONIC);
	int err;

	if (now < *next_tick)
		return;
	*next_tick = now + TICK_NS;
	err = s->ops->tick ? s->ops->tick(s->impl, wd_clock_ns(CLOCK_REALTIME)) : 0;
	if (err == -EAGAIN)
		err = 0;
	/* Said once per change, not at every retry. */
	if (err != s->last_err) {
		char state[160] = "";

		if (s->ops->describe)
			s->ops->describe(s->impl, state, sizeof(state));
		if (err)
			wd_sink_logf(&s->log, NULL, "%s%s%s", strerror(-err), state[0] ? "; " : "",
				     state);
		else
			wd_sink_logf(&s->log, NULL, "working again%s%s", state[0] ? ": " : "",
				     state);
		s->last_err = err;
	}
	pthread_mutex_lock(&s->mu);
	if (s->ops->describe)
		s->ops->describe(s->impl, s->state, sizeof(s->state));
	pthread_mutex_unlock(&s->mu);
}

/* One record taken from the ring for delivery, and where the ring's tail goes once it is done. */
struct batch_rec {
	const struct rec_hdr *h;
	size_t end;  /* the tail after this record */
	size_t used; /* bytes up to that tail from the batch's start, wrap waste included */
};

/* Up to @max records from tail, without consuming them: the producer writes only into free
 * space, so they stay put until batch_pop(). Caller holds s->mu. */
static size_t batch_take(struct sink *s, struct batch_rec *b, size_t max)
{
	size_t pos = s->tail, left = s->used, taken = 0, n = 0;

	while (n < max && left) {
		const struct rec_hdr *h;
		size_t sz;

		if (s->cap - pos < sizeof(struct rec_hdr) ||
		    ((const struct rec_hdr *)(s->ring + pos))->len == REC_WRAP) {
			taken += s->cap - pos;
			left -= s->cap - pos;
			pos = 0;
			continue;
		}
		h = (const struct rec_hdr *)(s->ring + pos);
		sz = rec_size(h->len);
		pos += sz;
		if (pos == s->cap)
			pos = 0;
		taken += sz;
		left -= sz;
		b[n++] = (struct batch_rec){h, pos, taken};
	}
	return n;
}

/* Consumes the first @n records of @b. Caller holds s->mu. */
static void batch_pop(struct sink *s, const struct batch_rec *b, size_t n)
{
	if (!n)
		return;
	s->tail = b[n - 1].end;
	s->used -= b[n - 1].used;
	if (!s->used)
		s->head = s->tail = 0;
}

/* Hands one record (or, with REC_F_LOST, the EVENTS_LOST event for marker @m) to the backend.
 * Returns write()'s verdict. Called without s->mu. */
static int deliver(struct sink *s, uint32_t flags, const struct lost_marker *m, const uint8_t *msg,
		   size_t len, uint8_t *copy, struct wd_pb_arena *arena)
{
	Warden__V1__Event lev, *ev = NULL;
	Warden__V1__Header lhdr;
	Warden__V1__Lifecycle llc;
	char detail[160];
	int err;

	if (flags & REC_F_LOST) {
		len = lost_event(s, m, copy, &lev, &lhdr, &llc, detail, sizeof(detail));
		msg = copy;
		if (s->ops->wants_event)
			ev = &lev;
	} else if (s->ops->wants_event) {
		ev = wd_pb_arena_unpack(arena, msg, len);
	}
	if (s->ops->wants_event && !ev)
		err = -EBADMSG;
	else
		err = s->ops->write(s->impl, msg, len, ev);
	if (ev && ev != &lev)
		wd_pb_arena_put(arena, ev);
	return err;
}

/* Records taken from the ring per lock round trip: two lock round trips and a clock read per
 * record cost more than the file sink's write of one. */
#define BATCH_MAX 256

void *wd_pl_sink_main(void *arg)
{
	struct sink *s = arg;
	uint8_t *copy = malloc(WD_PB_RECORD_MAX + 64);
	struct batch_rec *b = malloc(BATCH_MAX * sizeof(*b));
	struct lost_marker direct = {0}; /* a record the backend refused, to report next */
	struct wd_pb_arena arena = {0};	 /* decoded messages, for backends that want them */
	uint64_t next_tick = 0;

	if (!copy || !b)
		abort();
	pthread_mutex_lock(&s->mu);
	for (;;) {
		uint64_t written = 0, reported = 0, refused = 0;
		bool again = false;
		size_t n, done;
		int err;

		/* A pending marker with nothing behind it: put it in as soon as it fits. */
		if (s->pend_count && !s->used)
			wd_pl_ring_put_marker(s);
		if (direct.count) {
			struct lost_marker m = direct;

			pthread_mutex_unlock(&s->mu);
			err = deliver(s, REC_F_LOST, &m, NULL, 0, copy, &arena);
			pthread_mutex_lock(&s->mu);
			again = err == -EAGAIN;
			if (!again) {
				direct.count = 0;
				if (!err)
					s->lost_reported += m.count;
			}
			goto retry;
		}
		n = batch_take(s, b, BATCH_MAX);
		if (!n) {
			/* Only wrap waste was left: batch_take() does not consume it. */
			if (s->used)
				s->head = s->tail = s->used = 0;
			if (!s->flushed) {
				pthread_mutex_unlock(&s->mu);
				if (s->ops->flush)
					s->ops->flush(s->impl);
				pthread_mutex_lock(&s->mu);
				s->flushed = !s->used && !s->pend_count;
				pthread_cond_broadcast(&s->idle);
				continue;
			}
			if (s->stop)
				break;
			sink_wait(s, TICK_NS);
			pthread_mutex_unlock(&s->mu);
			sink_tick(s, &next_tick);
			pthread_mutex_lock(&s->mu);
			continue;
		}
		pthread_mutex_unlock(&s->mu);

		for (done = 0; done < n; done++) {
			const struct rec_hdr *h = b[done].h;
			struct lost_marker m = {0};

			if (h->flags & REC_F_LOST)
				memcpy(&m, h + 1, sizeof(m));
			err = deliver(s, h->flags, &m, (const uint8_t *)(h + 1), h->len, copy,
				      &arena);
			if (err == -EAGAIN) {
				again = true;
				break;
			}
			if (h->flags & REC_F_LOST) {
				if (!err)
					reported += m.count;
			} else if (!err) {
				written++;
			} else {
				/* Refused for good: lost, and said so right away, where it
				 * belongs, before the rest of the run. */
				refused++;
				direct = (struct lost_marker){1, h->seq, h->seq};
				done++;
				break;
			}
		}

		/* What the backend took leaves the ring now, even when it stalls on the next
		 * record: its room is the producer's again, and the counts are current. */
		pthread_mutex_lock(&s->mu);
		batch_pop(s, b, done);
		s->written += written;
		s->lost_reported += reported;
		s->lost += refused;
	retry:
		if (again) {
			/* Not now: keep the record, retry after a pause (a tick first), unless
			 * stopping. */
			if (s->stop)
				break;
			sink_wait(s, RETRY_NS);
			next_tick = 0;
		}
		if (wd_clock_ns(CLOCK_MONOTONIC) >= next_tick) {
			pthread_mutex_unlock(&s->mu);
			sink_tick(s, &next_tick);
			pthread_mutex_lock(&s->mu);
		}
	}
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->mu);
	wd_pb_arena_free(&arena);
	free(b);
	free(copy);
	return NULL;
}
