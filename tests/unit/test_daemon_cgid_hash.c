// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: daemon/cgid_hash.c, the daemon's sandboxes by cgroup id: lookups, collisions, removal
 * with tombstones that probing goes past and puts reuse, and a full table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "daemon/cgid_hash.h"

static int vals[4];

/* @n distinct cgroup ids from @from on whose probing starts at the same slot as @like's. */
static void colliding(uint64_t like, uint64_t from, uint64_t *out, size_t n)
{
	size_t want = wd_cgid_hash_slot(like);

	for (uint64_t id = from; n; id++)
		if (wd_cgid_hash_slot(id) == want)
			*out++ = id, n--;
}

static void empty_finds_nothing(void **state)
{
	struct wd_cgid_hash *h = calloc(1, sizeof(*h));

	(void)state;
	assert_null(wd_cgid_hash_get(h, 1));
	assert_null(wd_cgid_hash_get(h, UINT64_MAX));
	wd_cgid_hash_del(h, 1); /* nothing to remove: no harm */
	assert_null(wd_cgid_hash_get(h, 1));
	free(h);
}

static void put_get_replace(void **state)
{
	struct wd_cgid_hash *h = calloc(1, sizeof(*h));

	(void)state;
	assert_int_equal(wd_cgid_hash_put(h, 4242, &vals[0]), 0);
	assert_int_equal(wd_cgid_hash_put(h, 17, &vals[1]), 0);
	assert_ptr_equal(wd_cgid_hash_get(h, 4242), &vals[0]);
	assert_ptr_equal(wd_cgid_hash_get(h, 17), &vals[1]);
	assert_null(wd_cgid_hash_get(h, 4243));
	assert_int_equal(wd_cgid_hash_put(h, 4242, &vals[2]), 0);
	assert_ptr_equal(wd_cgid_hash_get(h, 4242), &vals[2]);
	/* Key 0 is an empty slot's and a NULL value a tombstone's: neither can be put. */
	assert_int_equal(wd_cgid_hash_put(h, 0, &vals[0]), -EINVAL);
	assert_int_equal(wd_cgid_hash_put(h, 5, NULL), -EINVAL);
	assert_null(wd_cgid_hash_get(h, 5));
	free(h);
}

/* Ids that start at one slot: each is found past the others, and found again after one before
 * it is removed (its tombstone is probed past); a put after that takes the tombstone. */
static void collisions_and_tombstones(void **state)
{
	struct wd_cgid_hash *h = calloc(1, sizeof(*h));
	uint64_t id[3];
	size_t s;

	(void)state;
	colliding(1000, 1000, id, 3);
	s = wd_cgid_hash_slot(id[0]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wd_cgid_hash_put(h, id[i], &vals[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(wd_cgid_hash_get(h, id[i]), &vals[i]);
	assert_int_equal(h->key[s], id[0]);
	assert_int_equal(h->key[(s + 1) % WD_CGID_HASH_SLOTS], id[1]);

	wd_cgid_hash_del(h, id[0]);
	assert_null(wd_cgid_hash_get(h, id[0]));
	assert_int_equal(h->key[s], id[0]); /* the tombstone */
	assert_null(h->val[s]);
	assert_ptr_equal(wd_cgid_hash_get(h, id[2]), &vals[2]);

	/* A live key put again keeps its slot: it is not made live twice in the tombstone. */
	assert_int_equal(wd_cgid_hash_put(h, id[2], &vals[3]), 0);
	assert_null(h->val[s]);
	assert_ptr_equal(wd_cgid_hash_get(h, id[2]), &vals[3]);
	wd_cgid_hash_del(h, id[2]);
	assert_null(wd_cgid_hash_get(h, id[2]));

	/* A new id takes the first tombstone on its way. */
	colliding(1000, id[2] + 1, id, 1);
	assert_int_equal(wd_cgid_hash_put(h, id[0], &vals[0]), 0);
	assert_int_equal(h->key[s], id[0]);
	assert_ptr_equal(h->val[s], &vals[0]);
	free(h);
}

/* Every slot live: one more id has no room; after a removal it has. */
static void full_table(void **state)
{
	struct wd_cgid_hash *h = calloc(1, sizeof(*h));

	(void)state;
	for (uint64_t id = 1; id <= WD_CGID_HASH_SLOTS; id++)
		assert_int_equal(wd_cgid_hash_put(h, id, &vals[id % 4]), 0);
	for (uint64_t id = 1; id <= WD_CGID_HASH_SLOTS; id++)
		assert_ptr_equal(wd_cgid_hash_get(h, id), &vals[id % 4]);
	assert_int_equal(wd_cgid_hash_put(h, WD_CGID_HASH_SLOTS + 1, &vals[0]), -ENOSPC);
	assert_null(wd_cgid_hash_get(h, WD_CGID_HASH_SLOTS + 1)); /* probes every slot, stops */
	wd_cgid_hash_del(h, 77);
	assert_int_equal(wd_cgid_hash_put(h, WD_CGID_HASH_SLOTS + 1, &vals[1]), 0);
	assert_ptr_equal(wd_cgid_hash_get(h, WD_CGID_HASH_SLOTS + 1), &vals[1]);
	assert_null(wd_cgid_hash_get(h, 77));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_finds_nothing),
		cmocka_unit_test(put_get_replace),
		cmocka_unit_test(collisions_and_tombstones),
		cmocka_unit_test(full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
