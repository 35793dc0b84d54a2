/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The other end of the stream sink for host tests: a collector process that reads
 * length-delimited warden.v1.Events from a unix or TCP socket, stores each one's seq in a file
 * (before acknowledging it, when it acknowledges) and can stop reading part way; and what its
 * files hold afterwards. Also the clock and a free port, which the collectors' tests share. */
#ifndef WT_COLLECTOR_H
#define WT_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define WT_COLL_CORRUPT UINT64_MAX /* what the collector stores for a record it cannot decode */

struct wt_coll {
	char unix_path[108]; /* or */
	uint16_t port;	     /* 127.0.0.1:port */
	const char *host;    /* how the sink names 127.0.0.1 (NULL: numerically) */
	bool ack;
	long pause_after; /* stop reading (and acking) after storing this many; -1: never */
	char store[128];  /* stored seqs, 8 bytes each, appended */
	pid_t pid;
};

/* Forks the collector @c describes; returns 0 once it listens, or -errno. */
int wt_coll_start(struct wt_coll *c);
/* SIGKILL, then waits for it; safe when it is not running. */
void wt_coll_kill(struct wt_coll *c);

/* What collectors A and B stored together, seqs 1..n. */
struct wt_tally {
	uint64_t records, missing, dups, corrupt, first_missing;
	uint64_t b_first; /* the first seq B stored: below the kill point when the sink resent */
};

/* Counts the seqs of stores @a and @b (B second). Returns 0, or -1 if one cannot be read. */
int wt_tally(const char *a, const char *b, uint64_t n, struct wt_tally *t);
/* Whether @store holds seq @want. */
bool wt_coll_has_seq(const char *store, uint64_t want);

/* CLOCK_MONOTONIC in ns. */
uint64_t wt_now_ns(void);
/* A TCP port on 127.0.0.1 that was free a moment ago, or 0. */
uint16_t wt_free_port(void);

#endif
