/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the unit tests of the policy parser share (test_policy*.c): parsing a string as "t.yaml",
 * and checking that a policy is refused with a given error at a given place. Include after
 * <cmocka.h>. */
#ifndef WD_TEST_POLICY_PARSE_H
#define WD_TEST_POLICY_PARSE_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "policy/policy.h"

static inline int parse(const char *yaml, struct wd_policy **p, struct wd_diags *d)
{
	wd_diags_init(d);
	return wd_policy_parse_string("t.yaml", yaml, strlen(yaml), p, d);
}

static inline void dump(const struct wd_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("# diag %d:%d: %s\n", d->v[i].line, d->v[i].col, d->v[i].msg);
}

/* The policy must be refused with an error at @line:@col whose message contains @needle. */
static inline void expect_error(const char *yaml, int line, int col, const char *needle)
{
	struct wd_policy *p = (struct wd_policy *)1;
	struct wd_diags d;
	size_t i;
	bool found = false;

	assert_int_equal(parse(yaml, &p, &d), -EINVAL);
	assert_null(p);
	for (i = 0; i < d.n; i++)
		if (d.v[i].line == line && d.v[i].col == col && strstr(d.v[i].msg, needle) &&
		    strcmp(d.v[i].file, "t.yaml") == 0)
			found = true;
	if (!found) {
		print_message("# wanted %d:%d: ...%s...\n", line, col, needle);
		dump(&d);
	}
	assert_true(found);
	wd_diags_free(&d);
}

/* The required keys, for tests of the sections. */
#define HEAD "version: 1\nname: t\nidentities: [\"ci:*\"]\n"

#endif
