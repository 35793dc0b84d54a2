/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Lost-event accounting: the kernel counts the records it could not reserve in the ring buffer,
 * per CPU and per sandbox; each new loss is reported once, as an EVENTS_LOST event of the
 * sandbox that lost it, and what no sandbox accounts for as one of the node. The same for
 * `warden run` (one sandbox) and the daemon (all of its sandboxes). */
#ifndef WD_SANDBOX_LOST_H
#define WD_SANDBOX_LOST_H

#include <stddef.h>
#include <stdint.h>

struct wd_enforcer;

struct wd_lost {
	uint64_t seen; /* losses over all CPUs already reported */
	uint64_t *cpu; /* per CPU, as last read */
	int ncpu;
};

/* Counts what the kernel lost before as reported (a daemon's pinned counters outlive it).
 * Returns 0 or -ENOMEM. */
int wd_lost_open(struct wd_lost *l, struct wd_enforcer *enf);
void wd_lost_close(struct wd_lost *l);

/* The losses since the last look (0: none, after one map read), with the per-CPU counts in
 * @detail for the events that report them; they count as reported from now on. */
uint64_t wd_lost_poll(struct wd_lost *l, struct wd_enforcer *enf, char *detail, size_t size);

/* Pure parts, for the tests. The new part of a counter that is @now and was *@seen; *@seen
 * becomes @now. A counter that went back (its map entry deleted and made again) has nothing
 * new. */
uint64_t wd_lost_since(uint64_t now, uint64_t *seen);
/* Of the @*rest new losses, those of a sandbox whose counter is @now and was *@seen: at most
 * *@rest (the two counters are read one after the other, so the sandbox's may be ahead; the
 * remainder is taken at the next look). Takes them from *@rest and advances *@seen by them. */
uint64_t wd_lost_take(uint64_t *rest, uint64_t now, uint64_t *seen);

#endif
