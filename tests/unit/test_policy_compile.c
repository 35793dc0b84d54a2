// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: compiling a whole policy (user/policy/compile.c): cfg, rule ids and texts, the
 * variables, the limits and the arguments, and the time 100,000 rules take. The stages have
 * tests of their own (test_policy_compile_paths.c, test_policy_compile_net.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <cmocka.h>

#include "policy_compile.h"

static void cfg_flags(void **state)
{
	struct wd_compiled *c;

	c = compile_ok(HEAD, NULL);
	assert_int_equal(c->cfg.flags, (__u32)WD_POL_VALID);
	assert_int_equal(c->cfg.families, 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6);
	assert_int_equal(c->cfg.raw_families, 0);
	assert_int_equal(c->cfg.sandbox_rule, 0);
	assert_int_equal(c->n_rules, 0);
	assert_int_equal(c->policy_id, 7);
	wd_compiled_free(c);

	c = compile_ok(HEAD "mode: audit\nfileless_exec: allow\nsockets:\n  allow: [unix, packet, "
			    "vsock, xdp, alg, netlink]\n  raw: [packet]\n",
		       NULL);
	assert_int_equal(c->cfg.flags,
			 (__u32)(WD_POL_VALID | WD_POL_AUDIT | WD_POL_ALLOW_FILELESS));
	assert_int_equal(c->cfg.families, 1ull << AF_UNIX | 1ull << AF_PACKET | 1ull << AF_VSOCK |
						  1ull << 44 | 1ull << AF_ALG | 1ull << AF_NETLINK);
	assert_int_equal(c->cfg.raw_families, 1ull << AF_PACKET);
	wd_compiled_free(c);

	c = compile_ok(HEAD "mode: enforce\nfileless_exec: deny\n", NULL);
	assert_int_equal(c->cfg.flags, (__u32)WD_POL_VALID);
	wd_compiled_free(c);
}

static void rule_table(void **state)
{
	static const char yaml[] = HEAD "exec:\n"
					"  allow: [/usr/, \"${workdir}/\"]\n"
					"  deny: [/tmp/]\n"
					"files:\n"
					"  read:\n"
					"    deny: [/etc/shadow, \"${home}/.ssh/\"]\n"
					"  write:\n"
					"    allow: [/dev/null]\n"
					"network:\n"
					"  deny:\n"
					"    - to: 169.254.169.254\n";
	struct wd_compiled *c;
	struct wd_diags d;

	assert_int_equal(compile_ctx(yaml, &ctx_home, 1000, &c, &d), 0);
	assert_int_equal(c->first_rule_id, 1000);
	assert_int_equal(c->n_rules, 7);
	assert_null(wd_compiled_rule_text(c, 0));
	assert_null(wd_compiled_rule_text(c, 999));
	assert_null(wd_compiled_rule_text(c, 1007));
	assert_string_equal(wd_compiled_rule_text(c, 1000), "t.yaml:5:11 exec allow /usr/");
	assert_string_equal(wd_compiled_rule_text(c, 1001),
			    "t.yaml:5:18 exec allow ${workdir}/ (/home/u/src/job/)");
	assert_string_equal(wd_compiled_rule_text(c, 1002), "t.yaml:6:10 exec deny /tmp/");
	assert_string_equal(wd_compiled_rule_text(c, 1003),
			    "t.yaml:9:12 files.read deny /etc/shadow");
	assert_string_equal(wd_compiled_rule_text(c, 1004),
			    "t.yaml:9:25 files.read deny ${home}/.ssh/ (/home/u/.ssh/)");
	assert_string_equal(wd_compiled_rule_text(c, 1005),
			    "t.yaml:11:13 files.write allow /dev/null");
	assert_string_equal(wd_compiled_rule_text(c, 1006),
			    "t.yaml:14:11 network deny 169.254.169.254");
	/* The ids in the entries are the ones the table describes. */
	assert_int_equal(prefix_of(c, "/tmp/")->rule.rule_id[WD_OP_EXEC], 1002);
	assert_int_equal(exact_of(c, "/etc/shadow")->rule.rule_id[WD_OP_READ], 1003);
	assert_int_equal(net_of(c, "169.254.169.254", 128)->rules.r[0].rule_id, 1006);
	wd_compiled_free(c);
	wd_diags_free(&d);
}

static void unknown_variables(void **state)
{
	static const char yaml[] = HEAD "exec:\n"
					"  allow: [/usr/, \"${workdir}/\"]\n"
					"files:\n"
					"  read:\n"
					"    deny: [\"${home}/.ssh/\"]\n";
	const struct wd_policy_ctx only_home = {NULL, "/home/u"};
	const struct wd_policy_ctx root_home = {"/w", "/"};
	const struct wd_policy_ctx rel = {"src", "/home/u"};
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_diags d;

	assert_int_equal(compile_ctx(yaml, &only_home, 1, &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(d.total, 1);
	assert_int_equal(d.v[0].line, 5);
	assert_int_equal(d.v[0].col, 18);
	assert_non_null(strstr(d.v[0].msg, "${workdir}"));
	assert_non_null(strstr(d.v[0].msg, "workdir is not known"));
	wd_diags_free(&d);

	assert_int_equal(compile_ctx(yaml, NULL, 1, &c, &d), -EINVAL);
	assert_int_equal(d.total, 2); /* both named */
	wd_diags_free(&d);

	assert_int_equal(compile_ctx(yaml, &root_home, 1, &c, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].msg, "${home} is \"/\""));
	wd_diags_free(&d);

	assert_int_equal(compile_ctx(yaml, &rel, 1, &c, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].msg, "not a usable absolute path"));
	wd_diags_free(&d);

	/* A policy without variables needs no context. */
	c = compile_ok(HEAD "exec:\n  allow: [/usr/]\n", NULL);
	wd_compiled_free(c);
}

static void too_long(void **state)
{
	char yaml[1024], home[200];
	const struct wd_policy_ctx ctx = {"/w", home};
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_diags d;

	memset(home, 'h', sizeof(home) - 1);
	home[0] = '/';
	home[sizeof(home) - 1] = '\0';
	snprintf(yaml, sizeof(yaml),
		 HEAD "files:\n  read:\n    deny: [\"${home}/%060d/\", \"${home}/%040d\"]\n", 0, 0);
	assert_int_equal(compile_ctx(yaml, &ctx, 1, &c, &d), -EINVAL);
	assert_null(c);
	/* The prefix (199 + 62 = 261 bytes) does not fit; the exact path (240) does. */
	assert_int_equal(d.total, 1);
	assert_int_equal(d.v[0].col, 12);
	assert_non_null(strstr(d.v[0].msg, "261 bytes long after expansion"));
	wd_diags_free(&d);

	/* A workdir too deep for the prefix map: the workdir rule's path is the error. */
	{
		char wd[300];
		const struct wd_policy_ctx deep = {wd, "/home/u"};

		memset(wd, 'w', sizeof(wd) - 1);
		wd[0] = '/';
		wd[sizeof(wd) - 1] = '\0';
		assert_int_equal(
			compile_ctx(HEAD "exec:\n  allow: [\"${workdir}/\"]\n", &deep, 1, &c, &d),
			-EINVAL);
		assert_null(c);
		assert_int_equal(d.total, 1);
		assert_int_equal(d.v[0].line, 5);
		assert_non_null(strstr(d.v[0].msg, "300 bytes long after expansion"));
		wd_diags_free(&d);
	}
}

static void bad_arguments(void **state)
{
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_policy *p;
	struct wd_diags d;

	wd_diags_init(&d);
	assert_int_equal(wd_policy_parse_string("t.yaml", HEAD "exec:\n  allow: [/usr/, /bin/]\n",
						strlen(HEAD "exec:\n  allow: [/usr/, /bin/]\n"), &p,
						&d),
			 0);
	assert_int_equal(wd_policy_compile(p, NULL, 0, WD_RULE_DEFAULT, &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(wd_policy_compile(p, NULL, WD_POLICIES_MAX, 1, &c, &d), -EINVAL);
	assert_int_equal(wd_policy_compile(p, NULL, 0, WD_RULES_MAX - 1, &c, &d), -ENOSPC);
	assert_int_equal(wd_policy_compile(p, NULL, 0, WD_RULES_MAX - 2, &c, &d), 0);
	assert_int_equal(c->first_rule_id + c->n_rules, WD_RULES_MAX);
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&d);
}

/* ---- Scale ---------------------------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 100,000 rules: 50,000 exact paths, 40,000 nested prefixes over three ops, 10,000 networks.
 * Reports the time (never asserted) and checks a few folded entries. */
static void hundred_thousand_rules(void **state)
{
	struct wd_compiled *c;
	struct wd_policy *p;
	struct wd_diags d;
	char *buf = NULL;
	size_t len = 0;
	double t0, t1, t2;
	FILE *f = open_memstream(&buf, &len);
	int i;

	assert_non_null(f);
	fputs(HEAD "files:\n  read:\n    allow: [/]\n    deny:\n", f);
	for (i = 0; i < 50000; i++)
		fprintf(f, "      - /data/d%03d/f%05d\n", i % 500, i);
	for (i = 0; i < 20000; i++)
		fprintf(f, "      - /srv/s%03d/p%05d/\n", i % 1000, i);
	fputs("  write:\n    allow:\n", f);
	for (i = 0; i < 10000; i++)
		fprintf(f, "      - /srv/s%03d/\n", i % 1000);
	fputs("exec:\n  allow:\n", f);
	for (i = 0; i < 9999; i++)
		fprintf(f, "    - /opt/t%05d/\n", i);
	fputs("network:\n  allow:\n", f);
	for (i = 0; i < 10000; i++)
		fprintf(f, "    - to: 10.%d.%d.0/24\n      ports: [443]\n", i / 256, i % 256);
	fclose(f);

	wd_diags_init(&d);
	t0 = now_ms();
	assert_int_equal(wd_policy_parse_string("big.yaml", buf, len, &p, &d), 0);
	t1 = now_ms();
	assert_int_equal(p->n_rules, 100000);
	assert_int_equal(wd_policy_compile(p, &ctx_home, 1, 1, &c, &d), 0);
	t2 = now_ms();
	print_message("# 100000 rules (%zu KiB of YAML): parse %.0f ms, compile %.0f ms\n",
		      len / 1024, t1 - t0, t2 - t1);
	assert_int_equal(c->n_rules, 100000);
	/* 50000 files, and the anchors on their way and the prefix denies' own: /data, 500
	 * /data/dNNN, /srv, 1000 /srv/sNNN, 20000 /srv/sNNN/pNNNNN. */
	assert_int_equal(c->n_exact, 50000 + 1 + 500 + 1 + 1000 + 20000);
	assert_int_equal(c->n_inode, 50000);
	assert_int_equal(c->n_prefix, 1 + 20000 + 1000 + 9999);
	assert_int_equal(c->n_net, 10000);
	/* A nested prefix folds its parent's write allow and its own read deny. */
	{
		const struct wd_prefix_entry *e = prefix_of(c, "/srv/s007/p01007/");

		assert_non_null(e);
		assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
		assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
		assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_NONE);
	}
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cfg_flags),	     cmocka_unit_test(rule_table),
		cmocka_unit_test(unknown_variables), cmocka_unit_test(too_long),
		cmocka_unit_test(bad_arguments),     cmocka_unit_test(hundred_thousand_rules),
	};

	return cmocka_run_group_tests_name("policy_compile", tests, NULL, NULL);
}
