// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the network: section (user/policy/network.c): addresses, ports and protocols, "to:
 * sandbox", unix: and abstract: items, and every class of error with its exact line:column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/compile.h"
#include "policy_parse.h"

static void bad_cidr(void **state)
{
	expect_error(HEAD "network:\n  allow:\n    - to: 10.0.0.300/8\n", 6, 11,
		     "\"10.0.0.300\" is not an IPv4 or IPv6 address");
	expect_error(HEAD "network:\n  deny:\n    - to: 10.0.0.0/33\n", 6, 11,
		     "bad prefix length \"/33\"; expected /0 to /32");
	expect_error(HEAD "network:\n  deny:\n    - to: \"fd00::/129\"\n", 6, 11, "/0 to /128");
	expect_error(HEAD "network:\n  deny:\n    - to: 10.0.0.0/\n", 6, 11, "bad prefix length");
	expect_error(HEAD "network:\n  deny:\n    - to: example.com\n", 6, 11,
		     "not an IPv4 or IPv6 address");
	expect_error(HEAD "network:\n  deny:\n    - ports: [80]\n", 6, 7, "missing key \"to\"");
	expect_error(HEAD "network:\n  deny:\n    - to:\n", 6, 10, "to must not be empty");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      protocol: icmp\n", 7, 17,
		     "bad protocol \"icmp\"; expected tcp, udp or any");
}

/* to: sandbox, unix: and abstract: items, parsed and compiled. */
static void node_services(void **state)
{
	static const char yaml[] = HEAD "network:\n"
					"  allow:\n"
					"    - to: sandbox\n"
					"    - unix: /run/postgresql/\n"
					"    - unix: \"${workdir}/app.sock\"\n"
					"    - abstract: my-agent\n"
					"    - abstract: \"buildkit-*\"\n"
					"    - to: 127.0.0.1\n"
					"      ports: [8200]\n"
					"  deny:\n"
					"    - unix: /run/postgresql/admin.sock\n"
					"    - abstract: evil\n";
	const struct wd_policy_ctx ctx = {"/w", "/h"};
	struct wd_compiled *c;
	struct wd_policy *p;
	struct wd_diags d;
	const char *t;

	assert_int_equal(parse(yaml, &p, &d), 0);
	assert_true(p->to_sandbox);
	assert_int_equal(p->sandbox_loc.line, 6);
	assert_int_equal(p->paths[WD_OP_UNIX][WD_ALLOW].n, 2);
	assert_int_equal(p->paths[WD_OP_UNIX][WD_DENY].n, 1);
	assert_int_equal(p->paths[WD_OP_UNIX][WD_ALLOW].v[0].kind, WD_PATH_PREFIX);
	assert_int_equal(p->abstract[WD_ALLOW].n, 2);
	assert_int_equal(p->abstract[WD_DENY].n, 1);
	assert_int_equal(p->abstract[WD_ALLOW].v[1].len, strlen("buildkit-"));
	assert_true(p->abstract[WD_ALLOW].v[1].prefix);
	assert_false(p->abstract[WD_ALLOW].v[0].prefix);
	assert_int_equal(p->net[WD_ALLOW].n, 1);
	/* unix 3, address 1, sandbox 1, abstract 3 */
	assert_int_equal(p->n_rules, 8);
	assert_int_equal(wd_policy_compile(p, &ctx, 3, 100, &c, &d), 0);
	assert_true(c->cfg.sandbox_rule != 0);
	t = wd_compiled_rule_text(c, c->cfg.sandbox_rule);
	assert_non_null(t);
	assert_non_null(strstr(t, "t.yaml:6:11 network allow sandbox"));
	assert_int_equal(c->n_abstract, 3);
	assert_memory_equal(c->abstract[0].name, "my-agent", 8);
	assert_int_equal(c->abstract[0].verdict, WD_V_ALLOW);
	assert_int_equal(c->abstract[2].verdict, WD_V_DENY);
	assert_non_null(strstr(wd_compiled_rule_text(c, c->abstract[2].rule_id),
			       "network deny abstract evil"));
	/* The unix paths compile as path entries of their own op, the variable expanded. */
	for (size_t i = 0; i < c->n_exact; i++)
		if (strcmp(c->exact[i].key.path, "/w/app.sock") == 0) {
			assert_int_equal(c->exact[i].rule.verdict[WD_OP_UNIX], WD_V_ALLOW);
			assert_int_equal(c->exact[i].rule.verdict[WD_OP_READ], WD_V_NONE);
			assert_non_null(strstr(
				wd_compiled_rule_text(c, c->exact[i].rule.rule_id[WD_OP_UNIX]),
				"network allow unix ${workdir}/app.sock (/w/app.sock)"));
			t = NULL;
		}
	assert_null(t);
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&d);
}

static void node_service_errors(void **state)
{
	expect_error(HEAD "network:\n  deny:\n    - to: sandbox\n", 6, 11, "can only be allowed");
	expect_error(HEAD "network:\n  allow:\n    - to: sandbox\n      ports: [80]\n", 7, 7,
		     "\"to: sandbox\" takes no ports");
	expect_error(HEAD "network:\n  allow:\n    - to: sandbox\n    - to: sandbox\n", 7, 11,
		     "already in network.allow");
	expect_error(HEAD "network:\n  allow:\n    - unix: run/x.sock\n", 6, 13, "relative path");
	expect_error(HEAD "network:\n  allow:\n    - unix: /run/*/x.sock\n", 6, 13, "no wildcards");
	expect_error(HEAD "network:\n  allow:\n    - unix: /run/x.sock\n      ports: [80]\n", 7, 7,
		     "does not apply to unix sockets");
	expect_error(HEAD "network:\n  allow:\n    - unix: /x\n      to: any\n", 6, 7,
		     "names one destination");
	expect_error(HEAD "network:\n  allow:\n    - abstract: \"@agent\"\n", 6, 17,
		     "starts with \"@\"");
	expect_error(HEAD "network:\n  allow:\n    - abstract: \"a b\"\n", 6, 17,
		     "bad abstract socket name");
	expect_error(HEAD "network:\n  allow:\n    - abstract: \"*\"\n", 6, 17,
		     "empty abstract socket name");
	expect_error(HEAD "network:\n  allow:\n    - abstract: \"a*b\"\n", 6, 17,
		     "\"*\" only at the end");
}

static void host_bits(void **state)
{
	expect_error(HEAD "network:\n  allow:\n    - to: 10.0.0.1/8\n", 6, 11,
		     "host bits set in \"10.0.0.1/8\" (did you mean 10.0.0.0/8?)");
	expect_error(HEAD "network:\n  allow:\n    - to: \"fd00::1/64\"\n", 6, 11,
		     "host bits set in \"fd00::1/64\" (did you mean fd00::/64?)");
}

static void bad_ports(void **state)
{
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: [\"9000-8000\"]\n", 7,
		     15, "bad port range \"9000-8000\": the low port must come first");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: [80, 0]\n", 7, 19,
		     "bad port \"0\": ports are 1 to 65535");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: [65536]\n", 7, 15,
		     "ports are 1 to 65535");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: [\"80-\"]\n", 7, 15,
		     "expected a number 1 to 65535 or a range \"lo-hi\"");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: [-5]\n", 7, 15,
		     "bad port \"-5\"");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: []\n", 7, 14,
		     "ports is empty");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      ports: 80\n", 7, 14,
		     "ports must be a list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_cidr),
		cmocka_unit_test(node_services),
		cmocka_unit_test(node_service_errors),
		cmocka_unit_test(host_bits),
		cmocka_unit_test(bad_ports),
	};

	return cmocka_run_group_tests_name("policy_network", tests, NULL, NULL);
}
