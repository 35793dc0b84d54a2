// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: JSON string escaping is always valid JSON, whatever bytes a path or comm holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"

static char *escape(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	wd_json_str(f, s);
	fclose(f);
	return buf;
}

static void check(const char *in, const char *want)
{
	char *got = escape(in);

	assert_string_equal(got, want);
	free(got);
}

static void plain(void **state)
{
	check("", "\"\"");
	check("/usr/bin/cc", "\"/usr/bin/cc\"");
}

static void specials(void **state)
{
	check("a\"b\\c", "\"a\\\"b\\\\c\"");
	check("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"");
	check("\x01\x1f", "\"\\u0001\\u001f\"");
}

static void utf8_kept(void **state)
{
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
	      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
}

/* Invalid UTF-8 (a lone continuation byte, an overlong '/', a surrogate, a truncated sequence)
 * is escaped byte by byte so the output stays valid JSON. */
static void invalid_utf8_escaped(void **state)
{
	check("\x80", "\"\\u0080\"");
	check("\xc0\xaf", "\"\\u00c0\\u00af\"");
	check("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	check("\xe2\x82", "\"\\u00e2\\u0082\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain),
		cmocka_unit_test(specials),
		cmocka_unit_test(utf8_kept),
		cmocka_unit_test(invalid_utf8_escaped),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
