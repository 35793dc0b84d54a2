// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The export pipeline's queues: each sink's ring of records, and the producer that packs each
 * event once and copies it into every ring without waiting for any sink. A record a full ring
 * cannot take is counted lost for that sink, and a LOST marker goes into the ring ahead of the
 * next record that fits, so the sink receives an EVENTS_LOST event exactly where its gap is. */
#include <pthread.h>
#include <string.h>

#include "event/event.h"
#include "export/pipeline_internal.h"

/* ---- The ring (caller holds s->mu) ---------------------------------------------------------- */

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
struct rec_hdr *wd_pl_ring_peek(struct sink *s)
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

void wd_pl_ring_pop(struct sink *s, const struct rec_hdr *h)
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
bool wd_pl_ring_put_marker(struct sink *s)
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

		if (s->cap - s->used < need + rec_size(0) || !wd_pl_ring_put_marker(s))
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
void wd_pl_stage_flush(struct wd_pipeline *p)
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
	wd_pl_stage_flush(p);
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
		wd_pl_stage_flush(p);
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
