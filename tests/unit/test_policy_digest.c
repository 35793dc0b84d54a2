// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: policy/digest.c, the confinement digest a running rung-3 sandbox may switch policies
 * under: equal when only network addresses or rule locations change, different when an exec,
 * file, unix or abstract rule, fileless exec, or the value of a variable a rule uses changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/diag.h"
#include "policy/digest.h"

#define BASE                                                                                       \
	"version: 1\nname: t\nidentities: [\"ci:*\"]\n"                                            \
	"exec:\n  allow: [/usr/]\n"                                                                \
	"files:\n  read:\n    allow: [/]\n    deny: [/etc/shadow]\n"                               \
	"  write:\n    allow: [\"${workdir}/\", /tmp/]\n"

static void digest_of(const char *yaml, const char *workdir, unsigned char out[32])
{
	struct wd_diags dg = {0};
	struct wd_policy *p = NULL;
	struct wd_policy_ctx ctx = {.workdir = workdir, .home = "/root"};

	if (wd_policy_parse_string("t.yaml", yaml, strlen(yaml), &p, &dg)) {
		wd_diags_print(stderr, &dg);
		fail_msg("policy does not parse: %s", yaml);
	}
	assert_int_equal(wd_policy_confine_digest(p, &ctx, out), 0);
	wd_policy_free(p);
	wd_diags_free(&dg);
}

static bool same(const char *a, const char *wa, const char *b, const char *wb)
{
	unsigned char x[32], y[32];

	digest_of(a, wa, x);
	digest_of(b, wb, y);
	return memcmp(x, y, sizeof(x)) == 0;
}

static void network_addresses_do_not_count(void **state)
{
	(void)state;
	assert_true(same(BASE "network:\n  allow:\n    - to: 10.0.0.0/8\n", "/w",
			 BASE "network:\n  allow:\n    - to: 192.168.0.0/16\n      ports: [443]\n",
			 "/w"));
	/* Comments and blank lines move every rule's location. */
	assert_true(same(BASE, "/w", "# moved\n\n" BASE, "/w"));
}

static void file_and_exec_rules_count(void **state)
{
	(void)state;
	assert_false(same(BASE, "/w",
			  "version: 1\nname: t\nidentities: [\"ci:*\"]\nexec:\n  allow: [/usr/, "
			  "/opt/]\nfiles:\n  read:\n    allow: [/]\n    deny: [/etc/shadow]\n  "
			  "write:\n    allow: [\"${workdir}/\", /tmp/]\n",
			  "/w"));
	assert_false(same(BASE, "/w",
			  "version: 1\nname: t\nidentities: [\"ci:*\"]\nexec:\n  allow: "
			  "[/usr/]\nfiles:\n  read:\n    allow: [/]\n  write:\n    allow: "
			  "[\"${workdir}/\", /tmp/]\n",
			  "/w"));
	assert_false(same(BASE, "/w", BASE "fileless_exec: allow\n", "/w"));
	assert_false(same(BASE, "/w", BASE "network:\n  allow:\n    - unix: /run/x.sock\n", "/w"));
	assert_false(same(BASE, "/w", BASE "network:\n  allow:\n    - abstract: agent\n", "/w"));
}

static void variables_count_where_used(void **state)
{
	(void)state;
	/* ${workdir} is used: another workdir is another policy on the disk. */
	assert_false(same(BASE, "/w1", BASE, "/w2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(network_addresses_do_not_count),
		cmocka_unit_test(file_and_exec_rules_count),
		cmocka_unit_test(variables_count_where_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
