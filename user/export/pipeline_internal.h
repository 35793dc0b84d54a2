/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The export pipeline's insides, shared by its three files: pipeline.c (setup, teardown,
 * stats), pipeline_queue.c (the sinks' rings and the producer that fills them) and
 * pipeline_thread.c (each sink's thread, which empties its ring into its backend). */
#ifndef WD_PIPELINE_INTERNAL_H
#define WD_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/pipeline.h"

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

static inline size_t rec_size(size_t len)
{
	return ALIGN8(sizeof(struct rec_hdr) + len);
}

/* pipeline_queue.c; callers hold s->mu. Puts the pending LOST marker into the ring if it fits. */
bool wd_pl_ring_put_marker(struct sink *s);
/* The record at tail, skipping a wrap; NULL when empty. */
struct rec_hdr *wd_pl_ring_peek(struct sink *s);
void wd_pl_ring_pop(struct sink *s, const struct rec_hdr *h);
/* The staged records into every sink's queue, in order. */
void wd_pl_stage_flush(struct wd_pipeline *p);

/* pipeline_thread.c: a sink's thread (@arg is its struct sink). */
void *wd_pl_sink_main(void *arg);

#endif
