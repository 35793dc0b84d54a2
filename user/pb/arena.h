/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An allocator for decoding one warden.v1.Event after another without a malloc() per string. */
#ifndef WD_PB_ARENA_H
#define WD_PB_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "warden/v1/event.pb-c.h"

/* Decoding records again and again, as the sinks that want the message do: protobuf-c's
 * default allocator makes a malloc() and a free() for every string and message of every event,
 * which cost more than the decoding itself. The arena hands out memory from one block, reused
 * for each event; what does not fit comes from malloc() and is given back by wd_pb_arena_put().
 * One arena serves one thread, one event at a time. Zero is an empty arena. */
struct wd_pb_arena {
	ProtobufCAllocator alloc;
	uint8_t *p;
	size_t used, cap;
	size_t spilled; /* allocations of the current event that came from malloc() */
};

/* @rec (@len bytes) decoded into @a; NULL if it is not a valid Event (or, at the first use,
 * without memory). Valid until wd_pb_arena_put(). */
Warden__V1__Event *wd_pb_arena_unpack(struct wd_pb_arena *a, const uint8_t *rec, size_t len);
void wd_pb_arena_put(struct wd_pb_arena *a, Warden__V1__Event *ev);
void wd_pb_arena_free(struct wd_pb_arena *a);

#endif
