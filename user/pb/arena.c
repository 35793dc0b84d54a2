// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The decoding arena (see arena.h): one block reused for every event, malloc() only for what
 * does not fit. */
#include <stdbool.h>
#include <stdlib.h>

#include "pb/arena.h"

#define ARENA_BYTES (256 * 1024) /* a few hundred times a typical event's decoded size */

static void *arena_alloc(void *data, size_t size)
{
	struct wd_pb_arena *a = data;
	size_t at = (a->used + 15) & ~(size_t)15;

	if (at <= a->cap && size <= a->cap - at) {
		a->used = at + size;
		return a->p + at;
	}
	a->spilled++;
	return malloc(size);
}

static bool in_arena(const struct wd_pb_arena *a, const void *ptr)
{
	uintptr_t u = (uintptr_t)ptr, lo = (uintptr_t)a->p;

	return a->p && u >= lo && u < lo + a->cap;
}

static void arena_free(void *data, void *ptr)
{
	struct wd_pb_arena *a = data;

	if (!in_arena(a, ptr))
		free(ptr);
}

Warden__V1__Event *wd_pb_arena_unpack(struct wd_pb_arena *a, const uint8_t *rec, size_t len)
{
	if (!a->p) {
		a->p = malloc(ARENA_BYTES);
		a->cap = a->p ? ARENA_BYTES : 0;
		a->alloc = (ProtobufCAllocator){arena_alloc, arena_free, a};
	}
	a->used = 0;
	a->spilled = 0;
	return warden__v1__event__unpack(&a->alloc, len, rec);
}

void wd_pb_arena_put(struct wd_pb_arena *a, Warden__V1__Event *ev)
{
	/* Only what came from malloc() needs the walk over the message; the block is reused. */
	if (ev && a->spilled)
		warden__v1__event__free_unpacked(ev, &a->alloc);
	a->used = 0;
	a->spilled = 0;
}

void wd_pb_arena_free(struct wd_pb_arena *a)
{
	free(a->p);
	*a = (struct wd_pb_arena){0};
}
