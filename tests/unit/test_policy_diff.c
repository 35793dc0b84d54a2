// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: policy/diff.c, the unified diff `warden policy diff` shows between the policy in force
 * and a new one: its exact text for changes, additions, deletions, empty and unrelated texts,
 * and the size limits past which it gives up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/diff.h"

static void diff_is(const char *a, const char *b, const char *want)
{
	char *got = wd_policy_diff(a, b, "in force", "new.yaml");

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void same_text(void **state)
{
	(void)state;
	diff_is("a\nb\n", "a\nb\n", "--- in force\n+++ new.yaml\n a\n b\n \n");
}

static void one_line_changed(void **state)
{
	(void)state;
	/* The addition comes before the deletion it replaces. */
	diff_is("name: x\nnetwork:\n  connect: [10.0.0.1:443]\n",
		"name: x\nnetwork:\n  connect: [10.0.0.2:443]\n",
		"--- in force\n+++ new.yaml\n name: x\n network:\n+  connect: [10.0.0.2:443]\n"
		"-  connect: [10.0.0.1:443]\n \n");
}

static void added_and_removed(void **state)
{
	(void)state;
	diff_is("a\nb\nc", "a\nc\nd", "--- in force\n+++ new.yaml\n a\n-b\n c\n+d\n");
	diff_is("x", "x\ny", "--- in force\n+++ new.yaml\n x\n+y\n");
	diff_is("x\ny", "y", "--- in force\n+++ new.yaml\n-x\n y\n");
}

static void nothing_in_common(void **state)
{
	(void)state;
	diff_is("a\nb", "c\nd", "--- in force\n+++ new.yaml\n+c\n+d\n-a\n-b\n");
}

/* An empty text is one empty line: the diff against it shows that line as kept. */
static void empty_texts(void **state)
{
	(void)state;
	diff_is("", "", "--- in force\n+++ new.yaml\n \n");
	diff_is("", "a\n", "--- in force\n+++ new.yaml\n+a\n \n");
	diff_is("a\n", "", "--- in force\n+++ new.yaml\n-a\n \n");
}

/* The longest common subsequence, not the first match: the moved block stays, one line moves. */
static void longest_common_subsequence(void **state)
{
	(void)state;
	diff_is("x\na\nb\nc", "a\nb\nc\nx", "--- in force\n+++ new.yaml\n-x\n a\n b\n c\n+x\n");
}

static char *lines(size_t n)
{
	char *s = malloc(n * 2 + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + 2 * i, "a\n", 2);
	s[n * 2] = '\0';
	return s;
}

static void too_long(void **state)
{
	char *big = lines(20000), *mid = lines(7100), *ok;

	(void)state;
	/* 20001 lines (the last one empty): over the limit on either side. */
	assert_null(wd_policy_diff(big, "a", "x", "y"));
	assert_null(wd_policy_diff("a", big, "x", "y"));
	/* 7101 x 7101 lines: each side is short enough, the table of pairs is not. */
	assert_null(wd_policy_diff(mid, mid, "x", "y"));
	/* Just under both limits. */
	ok = wd_policy_diff(big + 2, "a\n", "x", "y");
	assert_non_null(ok);
	/* The first line is kept, the other 19998 "a" lines go, the empty last line stays. */
	assert_int_equal(strncmp(ok, "--- x\n+++ y\n a\n-a\n-a\n", 21), 0);
	assert_int_equal(strlen(ok), 12 + 3 + 19998 * 3 + 2);
	free(ok);
	free(big);
	free(mid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_text),	     cmocka_unit_test(one_line_changed),
		cmocka_unit_test(added_and_removed), cmocka_unit_test(nothing_in_common),
		cmocka_unit_test(empty_texts),	     cmocka_unit_test(longest_common_subsequence),
		cmocka_unit_test(too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
