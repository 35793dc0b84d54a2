// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the text of an EVENTS_LOST event (enforce/counters.c): the CPUs that lost records and
 * how many, in CPU order, cut at the buffer's end and never past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "enforce/enforce.h"

static void names_only_cpus_that_lost(void **state)
{
	const uint64_t per_cpu[] = {0, 3, 0, 12345678901ull};
	char buf[128];

	wd_lost_detail(buf, sizeof(buf), per_cpu, 4);
	assert_string_equal(
		buf, "kernel ring buffer full; lost so far per CPU: cpu1=3 cpu3=12345678901");
}

static void nothing_lost_names_no_cpu(void **state)
{
	const uint64_t per_cpu[] = {0, 0};
	char buf[128];

	wd_lost_detail(buf, sizeof(buf), per_cpu, 2);
	assert_string_equal(buf, "kernel ring buffer full; lost so far per CPU:");
	wd_lost_detail(buf, sizeof(buf), NULL, 0);
	assert_string_equal(buf, "kernel ring buffer full; lost so far per CPU:");
}

static void cut_at_the_buffer_end(void **state)
{
	uint64_t per_cpu[64];
	char buf[80];

	for (int i = 0; i < 64; i++)
		per_cpu[i] = 1000 + i;
	memset(buf, 'Z', sizeof(buf));
	/* A short buffer: the text stops inside it, terminated, and nothing after it is written. */
	wd_lost_detail(buf, 60, per_cpu, 64);
	assert_int_equal(strlen(buf), 59);
	assert_memory_equal(buf, "kernel ring buffer full; lost so far per CPU: cpu0=1000 cpu", 59);
	for (size_t i = 60; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_only_cpus_that_lost),
		cmocka_unit_test(nothing_lost_names_no_cpu),
		cmocka_unit_test(cut_at_the_buffer_end),
	};

	return cmocka_run_group_tests_name("enforce_counters", tests, NULL, NULL);
}
