// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The export pipeline. One producer (the ring buffer consumer) packs each event once and copies
 * it into every sink's queue, a byte ring bounded by the sink's queue_bytes; each sink's thread
 * takes records from its ring and hands them to the backend. The producer never waits for a
 * sink: when a ring is full the record is counted as lost for that sink, and a LOST marker goes
 * into the ring ahead of the next record that fits (or as soon as the ring has room, when no
 * record follows), so the sink receives an EVENTS_LOST event exactly where its gap is. */
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
#include "event/event.h"
#include "export/pipeline.h"
#include "warden/version.h"

#define NS_PER_MS     1000000ull
#define TICK_NS	      (100 * NS_PER_MS)
#define KICK_NS	      (5 * NS_PER_MS)
#define RETRY_NS      (50 * NS_PER_MS)
#define QUEUE_DEFAULT (64ull << 20)
/* A file sink's disk can hold its writes for a tenth of a second and more (ext4 allocating
 * blocks behind a gigabyte a second of writeback): 90 MB at 2M events/s. Only what a backlog
 * fills is ever touched: the ring starts over whenever it empties. */
#define QUEUE_DEFAULT_FILE (256ull << 20)
#define QUEUE_MIN	   (2 * (WD_PB_RECORD_MAX + sizeof(struct rec_hdr)))
#define REC_WRAP	   0xffffffffu /* the rest of the ring is unused; go on at offset 0 */
#define REC_F_LOST	   1u	       /* a LOST marker: the payload is struct lost_marker */
#define ALIGN8(x)	   (((x) + 7) & ~(size_t)7)

/* A sleeping sink thread is woken once this much waits (or a quarter of a smaller queue):
 * records then go from producer to sink while still in the CPU's cache. Waiting for the 5 ms
 * kick at a million events per second lets megabytes pile up, each record written and read
 * back from memory. */
#define WAKE_BYTES (2ull << 20)

/* Kernel records (wd_pipeline_emit_record) are packed into the stage, and go into the sinks'
 * queues about STAGE_BATCH bytes at a time: one lock round trip per sink per batch instead of
 * one per record. A locked instruction waits for the stores before it, and those of a record's
 * copy into a queue that holds a backlog miss the cache: the per-record lock, unlock and
 * wake-up check were 16% of the consumer thread's CPU at 2M events/s. A batch stays well
 * under a quarter of the smallest queue (QUEUE_MIN), where its sink thread is woken, so that
 * the thread can take records out between batches; the stage stays in the CPU's cache. */
#define STAGE_BATCH    (24u << 10)
#define STAGE_BYTES    (STAGE_BATCH + sizeof(struct stage_rec) + WD_PB_RECORD_MAX)
#define STAGE_UNPACKED 1u /* took a seq number but could not be packed: lost on every sink */

struct rec_hdr {
	uint32_t len; /* payload bytes, or REC_WRAP */
	uint32_t flags;
	uint64_t seq;
};

struct lost_marker {
	uint64_t count, first_seq, last_seq;
};

/* A staged record; its packed bytes follow. */
struct stage_rec {
	uint32_t len;
	uint32_t flags;
	uint64_t seq;
	uint64_t carry_first, carry_n; /* the EVENTS_LOST range it reports (node lost events) */
};
_Static_assert(STAGE_BATCH * 4 < QUEUE_MIN, "a batch is less than a quarter of any queue");

struct sink {
	struct wd_pipeline *p;
	char name[72];
	const struct wd_sink_ops *ops;
	void *impl;
	pthread_t thread;
	bool started;

	pthread_mutex_t mu;
	pthread_cond_t cv;   /* the consumer waits on it: data, or stop */
	pthread_cond_t idle; /* drain waits on it */
	uint8_t *ring;
	size_t cap, head, tail, used; /* used counts bytes from tail to head, wrap waste included */
	size_t wake;		      /* wake the thread at once past this much used */
	bool waiting, stop, flushed;
	/* Records lost since the last marker: not yet in the ring. */
	uint64_t pend_count, pend_first, pend_last;
	uint64_t queued, written, lost, lost_reported, lost_carried;
	int last_err; /* of tick(), to report changes only */
	char state[160];
	struct wd_sink_log log;
};

struct wd_pipeline {
	struct sink *s;
	size_t n;
	char node[256];
	uint8_t *pack;	/* the producer's packing buffer */
	uint8_t *stage; /* STAGE_BYTES: packed records not yet in the queues */
	size_t stage_used;
	uint64_t last_kick; /* CLOCK_MONOTONIC of the last wd_pipeline_kick() that woke sinks */
};

/* ---- The ring (caller holds s->mu) ---------------------------------------------------------- */

static size_t rec_size(size_t len)
{
	return ALIGN8(sizeof(struct rec_hdr) + len);
}

/* Room for a record of @len payload bytes at head, wrapping if needed; returns its offset or
 * SIZE_MAX when the ring is too full. */
static size_t ring_reserve(struct sink *s, size_t len)
{
	size_t need = rec_size(len), free_ = s->cap - s->used;

	if (s->head >= s->tail || s->used == 0) {
		/* Free space: [head, cap) and [0, tail). */
		if (s->cap - s->head >= need && free_ >= need)
			return s->head;
		if (s->used == 0) {
			s->head = s->tail = 0;
			return need <= s->cap ? 0 : SIZE_MAX;
		}
		if (s->tail >= need && free_ >= need + (s->cap - s->head)) {
			if (s->cap - s->head >= sizeof(struct rec_hdr)) {
				struct rec_hdr *w = (struct rec_hdr *)(s->ring + s->head);

				w->len = REC_WRAP;
			}
			s->used += s->cap - s->head;
			s->head = 0;
			return 0;
		}
		return SIZE_MAX;
	}
	/* head < tail: free space is [head, tail). */
	return s->tail - s->head >= need ? s->head : SIZE_MAX;
}

static void ring_put(struct sink *s, size_t at, uint32_t flags, uint64_t seq, const void *a,
		     size_t alen, const void *b, size_t blen)
{
	struct rec_hdr *h = (struct rec_hdr *)(s->ring + at);

	h->len = (uint32_t)(alen + blen);
	h->flags = flags;
	h->seq = seq;
	memcpy(h + 1, a, alen);
	if (blen)
		memcpy((uint8_t *)(h + 1) + alen, b, blen);
	s->head = at + rec_size(alen + blen);
	if (s->head == s->cap)
		s->head = 0;
	s->used += rec_size(alen + blen);
}

/* The record at tail, skipping a wrap; NULL when empty. */
static struct rec_hdr *ring_peek(struct sink *s)
{
	struct rec_hdr *h;

	if (!s->used)
		return NULL;
	if (s->cap - s->tail < sizeof(struct rec_hdr) ||
	    ((struct rec_hdr *)(s->ring + s->tail))->len == REC_WRAP) {
		s->used -= s->cap - s->tail;
		s->tail = 0;
		if (!s->used) {
			s->head = 0;
			return NULL;
		}
	}
	h = (struct rec_hdr *)(s->ring + s->tail);
	return h;
}

static void ring_pop(struct sink *s, const struct rec_hdr *h)
{
	size_t n = rec_size(h->len);

	s->tail += n;
	s->used -= n;
	if (s->tail == s->cap)
		s->tail = 0;
	if (!s->used)
		s->head = s->tail = 0;
}

/* Puts the pending LOST marker into the ring if it fits. */
static bool ring_put_marker(struct sink *s)
{
	struct lost_marker m = {s->pend_count, s->pend_first, s->pend_last};
	size_t at;

	if (!s->pend_count)
		return true;
	at = ring_reserve(s, sizeof(m));
	if (at == SIZE_MAX)
		return false;
	ring_put(s, at, REC_F_LOST, 0, &m, sizeof(m), NULL, 0);
	s->pend_count = 0;
	return true;
}

/* Counts record @seq lost. A record that reported @n lost events ([@first, @first + n)) takes
 * them along: the sink's next marker reports them, else they would vanish with it. */
static void count_lost(struct sink *s, uint64_t seq, uint64_t first, uint64_t n)
{
	uint64_t lo = n && first < seq ? first : seq,
		 hi = n && first + n - 1 > seq ? first + n - 1 : seq;

	s->lost += 1 + n;
	s->lost_carried += n;
	if (!s->pend_count || lo < s->pend_first)
		s->pend_first = lo;
	if (!s->pend_count || hi > s->pend_last)
		s->pend_last = hi;
	s->pend_count += 1 + n;
}

/* ---- The producer side ---------------------------------------------------------------------- */

/* Puts a record into the sink's ring, or counts it lost. Caller holds s->mu. A record longer
 * than WD_PB_RECORD_MAX (@msg NULL: one that could not be packed) is lost. */
static bool offer_locked(struct sink *s, const uint8_t *msg, size_t len, uint64_t seq,
			 uint64_t carry_first, uint64_t carry_n)
{
	bool ok = false;
	size_t at;

	if (!carry_first)
		carry_n = 0;
	s->flushed = false;
	if (!msg || len > WD_PB_RECORD_MAX)
		goto out;
	/* The marker goes first, and only together with the record, so markers stay in order. */
	if (s->pend_count) {
		size_t need = rec_size(sizeof(struct lost_marker)) + rec_size(len);

		if (s->cap - s->used < need + rec_size(0) || !ring_put_marker(s))
			goto out;
	}
	at = ring_reserve(s, len);
	if (at == SIZE_MAX)
		goto out;
	ring_put(s, at, 0, seq, msg, len, NULL, 0);
	s->queued++;
	ok = true;
out:
	if (!ok)
		count_lost(s, seq, carry_first, carry_n);
	return ok;
}

/* Not a wake-up per record: the producer kicks the sinks once per batch (wd_pipeline_kick),
 * and only a queue filling up wakes its thread at once. Caller holds s->mu. */
static void wake_if_full(struct sink *s)
{
	if (s->waiting && (s->used > s->wake || s->pend_count))
		pthread_cond_signal(&s->cv);
}

/* The staged records into every sink's queue, in order. */
static void stage_flush(struct wd_pipeline *p)
{
	if (!p->stage_used)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct sink *s = &p->s[i];
		size_t off = 0;

		pthread_mutex_lock(&s->mu);
		while (off < p->stage_used) {
			const struct stage_rec *r = (const struct stage_rec *)(p->stage + off);

			offer_locked(s, r->flags & STAGE_UNPACKED ? NULL : (const uint8_t *)(r + 1),
				     r->len, r->seq, r->carry_first, r->carry_n);
			off += ALIGN8(sizeof(*r) + r->len);
		}
		wake_if_full(s);
		pthread_mutex_unlock(&s->mu);
	}
	p->stage_used = 0;
}

/* @carry_n events [@carry_first ...] the record reports lost (a node EVENTS_LOST event): a
 * sink that drops the record reports them itself. */
static unsigned emit_carry(struct wd_pipeline *p, const uint8_t *msg, size_t len, uint64_t seq,
			   uint64_t carry_first, uint64_t carry_n)
{
	unsigned failed = 0;

	/* After what was staged before it. */
	stage_flush(p);
	for (size_t i = 0; i < p->n; i++) {
		struct sink *s = &p->s[i];

		pthread_mutex_lock(&s->mu);
		failed += !offer_locked(s, msg, len, seq, carry_first, carry_n);
		wake_if_full(s);
		pthread_mutex_unlock(&s->mu);
	}
	return failed;
}

unsigned wd_pipeline_emit_packed(struct wd_pipeline *p, const uint8_t *msg, size_t len,
				 uint64_t seq)
{
	return emit_carry(p, msg, len, seq, 0, 0);
}

unsigned wd_pipeline_emit(struct wd_pipeline *p, const Warden__V1__Event *ev)
{
	uint64_t seq = ev->header ? ev->header->seq : 0, first, n;
	size_t len = warden__v1__event__get_packed_size(ev);

	wd_event_lost_range(ev, &first, &n);
	if (len > WD_PB_RECORD_MAX)
		return emit_carry(p, NULL, len, seq, first, n);
	warden__v1__event__pack(ev, p->pack);
	return emit_carry(p, p->pack, len, seq, first, n);
}

int wd_pipeline_emit_record(struct wd_pipeline *p, struct wd_pb_packer *pk,
			    const struct wd_event *e, const struct wd_event_ctx *ctx)
{
	struct stage_rec *r;
	uint64_t seq = 0, first = 0, n = 0;
	size_t len = 0;
	int err;

	/* What is left after a batch holds a record of the largest size. */
	if (p->stage_used >= STAGE_BATCH)
		stage_flush(p);
	r = (struct stage_rec *)(p->stage + p->stage_used);
	err = wd_event_pack(pk, e, ctx, (uint8_t *)(r + 1), WD_PB_RECORD_MAX, &len, &seq);
	if (e->hdr.type == WD_EV_LOST)
		wd_pb_packer_lost_range(pk, &first, &n);
	if (err && !seq)
		return err; /* no seq number taken: no gap to report */
	*r = (struct stage_rec){
		.len = err ? 0 : (uint32_t)len,
		.flags = err ? STAGE_UNPACKED : 0,
		.seq = seq,
		.carry_first = first,
		.carry_n = n,
	};
	p->stage_used += ALIGN8(sizeof(*r) + r->len);
	return err;
}

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

static void *sink_main(void *arg)
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
			ring_put_marker(s);
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
			ret = -pthread_create(&s->thread, NULL, sink_main, s);
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
	stage_flush(p);
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

	stage_flush(p);
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
		while (ring_peek(s)) {
			struct rec_hdr *h = ring_peek(s);

			if (!(h->flags & REC_F_LOST))
				left++;
			ring_pop(s, h);
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
