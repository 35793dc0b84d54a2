/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The export pipeline: every event is packed once and copied into the bounded queue of each
 * sink, which its own thread drains into its backend (user/export/sink.h). wd_pipeline_emit() never
 * blocks; what a full queue cannot take is counted, and the sink later receives an EVENTS_LOST
 * event that names how many and which seq range, so its consumer can tell a gap from silence. */
#ifndef WD_PIPELINE_H
#define WD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "export/sink.h"
#include "warden/v1/event.pb-c.h"

struct wd_pipeline;

struct wd_sink_stats {
	const char *name;
	const char *kind;
	uint64_t queued;	/* records handed to the queue */
	uint64_t written;	/* records the backend took */
	uint64_t lost;		/* events lost: records dropped (queue full, or refused by the
				 * backend), and what dropped EVENTS_LOST records stood for */
	uint64_t lost_reported; /* of those, already reported to the sink in EVENTS_LOST events */
	uint64_t lost_carried;	/* of lost: events a dropped EVENTS_LOST record of the node
				 * reported, carried into the sink's own report */
	uint64_t queue_used;	/* bytes in the queue now */
	uint64_t queue_bytes;	/* its bound */
	char state[160];	/* the backend's describe() */
};

struct wd_pipeline_cfg {
	const struct wd_sink_cfg *sinks;
	size_t n;
	const char *node; /* names this node in the events the pipeline makes itself */
	/* Where the status messages of the pipeline and of sinks without a log function of their
	 * own go (user/export/sink.h); NULL: stderr, "warden: sink NAME: ...". */
	wd_sink_log_fn *log;
	void *log_arg;
};

/* Starts one thread per sink. On error nothing runs and @err says which sink failed and why.
 * Returns 0 or -errno. */
int wd_pipeline_start(struct wd_pipeline **out, const struct wd_pipeline_cfg *cfg, char *err,
		      size_t err_size);

/* The same without a log function: status messages go to stderr. */
int wd_pipeline_open(struct wd_pipeline **out, const struct wd_sink_cfg *sinks, size_t n,
		     const char *node, char *err, size_t err_size);

/* Hands @ev to every sink. Never blocks (beyond a short lock per sink). Returns the number of
 * sinks that could not take it (their losses are counted). */
unsigned wd_pipeline_emit(struct wd_pipeline *p, const Warden__V1__Event *ev);

/* The same for an event already packed (no length prefix). */
unsigned wd_pipeline_emit_packed(struct wd_pipeline *p, const uint8_t *msg, size_t len,
				 uint64_t seq);

/* Converts and packs a kernel record with @pk (user/event/event.h) for every sink. Packed records
 * gather and go into the queues together: at the next wd_pipeline_kick(), emit or drain, or
 * when a few hundred wait; the queues' counts (wd_pipeline_stats) include them from then on.
 * Returns 0, or -errno if it could not be converted; a record that took a seq number and could
 * not be packed is counted lost on every sink, so its gap is reported like any other. */
int wd_pipeline_emit_record(struct wd_pipeline *p, struct wd_pb_packer *pk,
			    const struct wd_event *e, const struct wd_event_ctx *ctx);

/* Hands the gathered records to the queues and wakes the sinks that have records waiting: call
 * it after a batch of emits (a drain of the ring buffer). It wakes them at most every 5 ms; without
 * it they still take their records within a tenth of a second, or as soon as 2 MiB wait (a quarter
 * of a smaller queue). */
void wd_pipeline_kick(struct wd_pipeline *p);

size_t wd_pipeline_sinks(const struct wd_pipeline *p);
void wd_pipeline_stats(struct wd_pipeline *p, size_t i, struct wd_sink_stats *out);

/* Waits until every queue is empty and flushed, or @timeout_ms passed. Returns true if all
 * drained. */
bool wd_pipeline_drain(struct wd_pipeline *p, unsigned timeout_ms);

/* Drains (up to @timeout_ms), stops the threads and closes the backends. Records still queued
 * then are lost and counted; the return value is the total lost over all sinks (also logged
 * per sink when some were not reported to it). @p is freed. */
uint64_t wd_pipeline_close(struct wd_pipeline *p, unsigned timeout_ms);

#endif
