// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: sandbox ids (user/sandbox/lifecycle.c): "sb-" and 16 lowercase hex digits, the same for
 * `warden run` and the daemon, and new each time. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/lifecycle.h"

static void test_new_id(void **state)
{
	char a[WD_SB_ID_MAX], b[WD_SB_ID_MAX];

	(void)state;
	assert_int_equal(wd_sb_new_id(a, sizeof(a)), 0);
	assert_int_equal(wd_sb_new_id(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), WD_SB_ID_MAX - 1);
	assert_memory_equal(a, "sb-", 3);
	for (size_t i = 3; i < strlen(a); i++)
		assert_true(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
