/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Events for tests: one sandbox's event context (identity, labels, sandbox, node, a /proc tree
 * and rule texts of its own), kernel records to convert in it, and a generator of synthetic
 * events of every kind (strings that need escaping, bytes that are not UTF-8) that the host
 * tests write through the real encoder and sinks (tests/helpers/events_writer.c). */
#ifndef WT_EVENTS_FIXTURE_H
#define WT_EVENTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

#define WT_EV_SANDBOX "sb-5e1f7e5700000001"
#define WT_EV_BOOT_ID "5e1f7e57-0000-4000-8000-000000000001"

/* The context: identity "ci:selftest/api#1" with two labels (repo=acme/api, and one with a tab,
 * quotes and a backslash), sandbox WT_EV_SANDBOX (cgroup 4242), policy "selftest", node
 * "selftest-node", boot id WT_EV_BOOT_ID, a fixed wall clock, wt_ev_rule() and wt_ev_proc();
 * numbered on from *@node_seq and *@sandbox_seq (either may be NULL). */
void wt_ev_ctx(struct wd_event_ctx *ctx, uint64_t *node_seq, uint64_t *sandbox_seq);

/* The context's /proc (a wd_proc_lookup_fn):
 *   12 sh (start 50, gid 27) under 10 make, under 9 outside the sandbox; 77 started later
 *   than any event (a reused pid); other pids below 900 are gone;
 *   1000 and above sh (/usr/bin/dash) under 900 make, under 800 warden outside the sandbox. */
int wt_ev_proc(void *arg, uint32_t pid, struct wd_proc_info *buf, const struct wd_proc_info **res);
/* The context's rule texts: "selftest.yaml:ID:7 rule \"ID\"", none for rule 0. */
const char *wt_ev_rule(void *arg, uint32_t id);

/* For unit tests: the context with its counters, an event to convert into and a buffer.
 * wt_ev_setup()/wt_ev_teardown() have cmocka's signature (*state is the fixture). */
struct wt_ev_fixture {
	uint64_t node_seq, sb_seq;
	struct wd_event_ctx ctx;
	struct wd_pb_event *pe;
	uint8_t buf[WD_PB_VARINT_MAX + WD_PB_RECORD_MAX];
};

int wt_ev_setup(void **state);
int wt_ev_teardown(void **state);

/* A kernel record of sh (pid 12, tid 13, uid 1000, comm "sh") at 5 s after boot in cgroup
 * 4343 (not the context's), rule 7. */
struct wd_event wt_ev_record(unsigned type, unsigned decision, unsigned hook);

/* Converts @e in @f's context, packs it and unpacks it again: what a consumer would see (free
 * it with warden__v1__event__free_unpacked()). NULL when the conversion fails. */
Warden__V1__Event *wt_ev_through_wire(struct wt_ev_fixture *f, const struct wd_event *e);

/* The synthetic events: 17 kinds of record, 11 of confinement, and the end of the sandbox. */
#define WT_EV_VARIANTS 29

/* Variant @i of them: a Lifecycle kind for an event warden makes, 0 for a kernel record in @e. */
int wt_ev_variant(unsigned i, struct wd_event *e);

/* Takes each event: decoded in @ev, packed in @rec (@len bytes, no length prefix). */
typedef int (*wt_ev_put_fn)(void *arg, const Warden__V1__Event *ev, const uint8_t *rec, size_t len);

/* Makes @n synthetic events in the context, numbered on from *@node_seq, and hands each to
 * @put. Returns 0, or the first error of the conversion or of @put. */
int wt_ev_generate(unsigned long n, uint64_t *node_seq, wt_ev_put_fn put, void *arg);

#endif
