// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: --ttl durations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/duration.h"

static uint64_t ok(const char *s)
{
	uint64_t ms = 0;

	assert_int_equal(wd_duration_parse(s, &ms), 0);
	return ms;
}

static void bad(const char *s)
{
	uint64_t ms = 77;

	assert_int_equal(wd_duration_parse(s, &ms), -EINVAL);
	assert_int_equal(ms, 77); /* untouched on error */
}

static void valid(void **state)
{
	assert_int_equal(ok("90"), 90000);
	assert_int_equal(ok("90s"), 90000);
	assert_int_equal(ok("15m"), 900000);
	assert_int_equal(ok("2h"), 7200000);
	assert_int_equal(ok("1h30m"), 5400000);
	assert_int_equal(ok("1d2h3m4s"), 93784000);
	assert_int_equal(ok("366d"), 366ULL * 86400000);
}

static void invalid(void **state)
{
	bad(NULL);
	bad("");
	bad("0");
	bad("0s");
	bad("s");
	bad("-5s");
	bad("1.5h");
	bad("10x");
	bad("30m1h");
	bad("1h1h");
	bad("1h30");
	bad("367d");
	bad("99999999999999999999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid),
		cmocka_unit_test(invalid),
	};

	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
