// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: daemon/identity.c, the identity an adoption rule's template gives a cgroup: {base},
 * {0} and {N} from its path, placeholders that match nothing, and a template longer than the
 * room for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/identity.h"

static void is(const char *tpl, const char *rel, const char *want)
{
	char out[512];

	memset(out, 'X', sizeof(out));
	wd_identity_from_template(tpl, rel, out, sizeof(out));
	assert_string_equal(out, want);
}

static void placeholders(void **state)
{
	(void)state;
	is("pod:{base}", "/kubepods/pod12/c3", "pod:c3");
	is("k8s:{2}/{3}", "/kubepods/pod12/c3", "k8s:pod12/c3");
	is("ci:{1}", "/ci.slice/job-8812", "ci:ci.slice");
	is("raw:{0}", "/a/b", "raw:/a/b");
	is("ci:{1}-{1}#{base}", "/runner/job-1", "ci:runner-runner#job-1");
	is("ci:fixed", "/a/b", "ci:fixed");
	/* Repeated and trailing slashes make no empty components. */
	is("x:{1}.{2}.{base}", "//a///b/", "x:a.b.b");
}

/* What is not a placeholder, or names a component the path does not have, stays as written. */
static void no_match(void **state)
{
	(void)state;
	is("x:{4}", "/a/b/c", "x:{4}");
	is("x:{0x}", "/a", "x:{0x}");
	is("x:{}", "/a", "x:{}");
	is("x:{name}", "/a", "x:{name}");
	is("x:{1", "/a", "x:{1");
	is("x:{base", "/a", "x:{base");
	is("x:{1}", "", "x:{1}");
	is("x:[{base}]", "", "x:[]"); /* no components: an empty base */
	is("", "/a/b", "");
}

/* Only the first 64 components are seen; each is cut to 255 bytes. */
static void many_and_long_components(void **state)
{
	char rel[70 * 4 + 1] = "", comp[300 + 2], want[300];

	(void)state;
	for (int i = 1; i <= 70; i++)
		snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "/c%d", i);
	is("{64}|{65}|{base}", rel, "c64|{65}|c64");
	comp[0] = '/';
	memset(comp + 1, 'a', 300);
	comp[301] = '\0';
	memset(want, 'a', 255);
	want[255] = '\0';
	is("{1}", comp, want);
}

/* The output is cut to its size, always terminated, never written past. */
static void overflow(void **state)
{
	char out[8], big[16];

	(void)state;
	memset(big, '#', sizeof(big));
	wd_identity_from_template("pod:{base}", "/abcdefgh", big, 8);
	assert_string_equal(big, "pod:abc");
	assert_int_equal(big[8], '#');
	wd_identity_from_template("abcdefghijk", "/a", out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	wd_identity_from_template("{0}{0}", "/abc", out, sizeof(out));
	assert_string_equal(out, "/abc/ab");
	memset(big, '#', sizeof(big));
	wd_identity_from_template("x", "/a", big, 1);
	assert_int_equal(big[0], '\0');
	assert_int_equal(big[1], '#');
	wd_identity_from_template("x", "/a", big, 0); /* no room at all: nothing written */
	assert_int_equal(big[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(placeholders),
		cmocka_unit_test(no_match),
		cmocka_unit_test(many_and_long_components),
		cmocka_unit_test(overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
