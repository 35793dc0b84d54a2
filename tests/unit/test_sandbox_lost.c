// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: lost-event accounting (user/sandbox/lost.c): new losses since the last look, and their
 * split between the sandboxes that lost them and the node, counters read out of step included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sandbox/lost.h"

static void test_since(void **state)
{
	uint64_t seen = 10;

	(void)state;
	assert_int_equal(wd_lost_since(10, &seen), 0);
	assert_int_equal(seen, 10);
	assert_int_equal(wd_lost_since(17, &seen), 7);
	assert_int_equal(seen, 17);
	/* Counters made again (maps reset): nothing new, counted from there. */
	assert_int_equal(wd_lost_since(3, &seen), 0);
	assert_int_equal(seen, 3);
	assert_int_equal(wd_lost_since(5, &seen), 2);
}

/* The daemon's case: 10 new losses, 4 of sandbox A, 5 of B, 1 nobody's (a sandbox that ended). */
static void test_split(void **state)
{
	uint64_t rest = 10, a_seen = 100, b_seen = 0, c_seen = 7;

	(void)state;
	assert_int_equal(wd_lost_take(&rest, 104, &a_seen), 4);
	assert_int_equal(a_seen, 104);
	assert_int_equal(wd_lost_take(&rest, 5, &b_seen), 5);
	assert_int_equal(b_seen, 5);
	assert_int_equal(wd_lost_take(&rest, 7, &c_seen), 0); /* C lost nothing */
	assert_int_equal(rest, 1);			      /* the node's */
	/* Nothing new: nothing taken, nothing moved. */
	assert_int_equal(wd_lost_take(&rest, 104, &a_seen), 0);
	assert_int_equal(rest, 1);
}

/* The sandbox's counter read after the total grew again: at most what the total says now, the
 * rest at the next look, nothing counted twice or lost from the sum. */
static void test_ahead(void **state)
{
	uint64_t rest = 3, seen = 0, total_seen = 0;

	(void)state;
	assert_int_equal(wd_lost_take(&rest, 5, &seen), 3);
	assert_int_equal(rest, 0);
	assert_int_equal(seen, 3);
	/* Next look: the total caught up by 2. */
	rest = wd_lost_since(5, &total_seen) - 3;
	assert_int_equal(rest, 2);
	assert_int_equal(wd_lost_take(&rest, 5, &seen), 2);
	assert_int_equal(rest, 0);
	assert_int_equal(seen, 5);
}

/* A sandbox's counter that went back (deleted, made again) takes nothing. */
static void test_reset(void **state)
{
	uint64_t rest = 4, seen = 9;

	(void)state;
	assert_int_equal(wd_lost_take(&rest, 0, &seen), 0);
	assert_int_equal(rest, 4);
	assert_int_equal(seen, 0);
	assert_int_equal(wd_lost_take(&rest, 1, &seen), 1);
	assert_int_equal(rest, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_ahead),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
