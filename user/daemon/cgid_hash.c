// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cgroup id -> sandbox table of the daemon (cgid_hash.h): linear probing with tombstones. */
#include <errno.h>
#include <stddef.h>

#include "daemon/cgid_hash.h"

size_t wd_cgid_hash_slot(uint64_t cgid)
{
	return (size_t)((cgid * 0x9e3779b97f4a7c15ull) >> 51) & (WD_CGID_HASH_SLOTS - 1);
}

void *wd_cgid_hash_get(const struct wd_cgid_hash *h, uint64_t cgid)
{
	for (size_t i = wd_cgid_hash_slot(cgid), n = 0; n < WD_CGID_HASH_SLOTS;
	     i = (i + 1) & (WD_CGID_HASH_SLOTS - 1), n++) {
		if (!h->key[i])
			return NULL;
		if (h->key[i] == cgid && h->val[i])
			return h->val[i];
	}
	return NULL;
}

int wd_cgid_hash_put(struct wd_cgid_hash *h, uint64_t cgid, void *v)
{
	size_t i = wd_cgid_hash_slot(cgid), at = WD_CGID_HASH_SLOTS;

	if (!cgid || !v)
		return -EINVAL;
	/* A new key goes into the first tombstone or empty slot of its probe sequence; a live
	 * key further on gets its value replaced, so a key is never live twice. */
	for (size_t n = 0; n < WD_CGID_HASH_SLOTS; i = (i + 1) & (WD_CGID_HASH_SLOTS - 1), n++) {
		if (!h->key[i]) {
			if (at == WD_CGID_HASH_SLOTS)
				at = i;
			break;
		}
		if (h->key[i] == cgid && h->val[i]) {
			h->val[i] = v;
			return 0;
		}
		if (!h->val[i] && at == WD_CGID_HASH_SLOTS)
			at = i;
	}
	if (at == WD_CGID_HASH_SLOTS)
		return -ENOSPC;
	h->key[at] = cgid;
	h->val[at] = v;
	return 0;
}

/* Removal leaves the key (a tombstone) so probing goes on past it. */
void wd_cgid_hash_del(struct wd_cgid_hash *h, uint64_t cgid)
{
	for (size_t i = wd_cgid_hash_slot(cgid), n = 0; n < WD_CGID_HASH_SLOTS;
	     i = (i + 1) & (WD_CGID_HASH_SLOTS - 1), n++) {
		if (!h->key[i])
			return;
		if (h->key[i] == cgid && h->val[i]) {
			h->val[i] = NULL;
			return;
		}
	}
}
