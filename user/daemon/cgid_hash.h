/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's sandboxes by cgroup id: an open-addressing hash table, so that each kernel
 * record finds its sandbox in a lookup or two. Pure: no syscalls, no printing. */
#ifndef WD_DAEMON_CGID_HASH_H
#define WD_DAEMON_CGID_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A power of two (wd_cgid_hash_slot takes the top 13 bits of the product). The daemon holds at
 * most WD_POLICIES_MAX sandboxes, so the table stays less than an eighth full. */
#define WD_CGID_HASH_SLOTS 8192

/* Key 0 is an empty slot (no cgroup has id 0). A removed entry keeps its key with a NULL value
 * (a tombstone) so that probing goes on past it; a later put reuses it. Zero-initialised is
 * empty. */
struct wd_cgid_hash {
	uint64_t key[WD_CGID_HASH_SLOTS];
	void *val[WD_CGID_HASH_SLOTS];
};

/* Where probing for @cgid starts (Fibonacci hashing). */
size_t wd_cgid_hash_slot(uint64_t cgid);
/* The value of @cgid, or NULL. */
void *wd_cgid_hash_get(const struct wd_cgid_hash *h, uint64_t cgid);
/* Sets @cgid's value to @v (replacing the one it had); -ENOSPC when every slot holds another
 * live key, -EINVAL for cgid 0 or a NULL @v. */
int wd_cgid_hash_put(struct wd_cgid_hash *h, uint64_t cgid, void *v);
/* Removes @cgid, if present. */
void wd_cgid_hash_del(struct wd_cgid_hash *h, uint64_t cgid);

#endif
