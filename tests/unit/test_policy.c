// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: parsing policies into the model (user/policy/policy.c): the top-level keys, the whole
 * policy, and every class of error with its exact line:column. The sections have tests of their
 * own (test_policy_files.c, test_policy_network.c, test_policy_sockets.c). */
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

static const char full[] = "# a full policy\n"
			   "version: 1\n"
			   "name: build-default\n"
			   "identities: [\"ci:*\", \"agent:codegen\"]\n"
			   "mode: audit\n"
			   "fileless_exec: allow\n"
			   "exec:\n"
			   "  allow: [/usr/, /bin/, \"${workdir}/\"]\n"
			   "  deny: [/tmp/, /var//tmp/, /dev/shm/]\n"
			   "files:\n"
			   "  read:\n"
			   "    allow: [/]\n"
			   "    deny: [/etc/shadow, \"${home}/.ssh/\", \"/proc/*/environ\"]\n"
			   "  write:\n"
			   "    allow: [/tmp/, \"${workdir}/\", /dev/null]\n"
			   "    deny: []\n"
			   "network:\n"
			   "  allow:\n"
			   "    - to: 127.0.0.0/8\n"
			   "      ports: [80, 443, \"8000-8100\"]\n"
			   "      protocol: tcp\n"
			   "    - to: \"::1\"\n"
			   "  deny:\n"
			   "    - to: 169.254.169.254\n"
			   "      protocol: udp\n"
			   "    - to: any\n"
			   "sockets:\n"
			   "  allow: [unix, inet, inet6, netlink, packet]\n"
			   "  raw: [inet, packet]\n";

static void full_policy(void **state)
{
	static const __u8 lo8[16] = {[10] = 0xff, [11] = 0xff, [12] = 127};
	static const __u8 one6[16] = {[15] = 1};
	static const __u8 meta[16] = {[10] = 0xff, [11] = 0xff, 169, 254, 169, 254};
	const struct wd_path_list *l;
	const struct wd_net_rule *r;
	struct wd_policy *p;
	struct wd_diags d;

	assert_int_equal(parse(full, &p, &d), 0);
	assert_int_equal(d.total, 0);
	assert_string_equal(p->source, "t.yaml");
	assert_string_equal(p->name, "build-default");
	assert_int_equal(p->n_identities, 2);
	assert_string_equal(p->identities[0], "ci:*");
	assert_string_equal(p->identities[1], "agent:codegen");
	assert_true(p->audit);
	assert_true(p->allow_fileless);

	l = &p->paths[WD_OP_EXEC][WD_ALLOW];
	assert_int_equal(l->n, 3);
	assert_string_equal(l->v[0].text, "/usr/");
	assert_int_equal(l->v[0].loc.line, 8);
	assert_int_equal(l->v[0].loc.col, 11);
	assert_int_equal(l->v[0].kind, WD_PATH_PREFIX);
	assert_true(l->v[2].workdir_root);
	assert_true(l->v[2].uses_workdir);
	assert_false(l->v[0].workdir_root);
	l = &p->paths[WD_OP_EXEC][WD_DENY];
	assert_int_equal(l->n, 3);
	assert_string_equal(l->v[1].text, "/var//tmp/"); /* normalised when compiled */
	l = &p->paths[WD_OP_READ][WD_DENY];
	assert_int_equal(l->n, 3);
	assert_int_equal(l->v[0].kind, WD_PATH_EXACT);
	assert_int_equal(l->v[1].kind, WD_PATH_PREFIX);
	assert_true(l->v[1].uses_home);
	assert_int_equal(l->v[2].kind, WD_PATH_PROC);
	assert_int_equal(l->v[2].loc.line, 13);
	assert_int_equal(l->v[2].loc.col, 42);
	assert_int_equal(p->paths[WD_OP_READ][WD_ALLOW].n, 1);
	assert_int_equal(p->paths[WD_OP_WRITE][WD_ALLOW].n, 3);
	assert_int_equal(p->paths[WD_OP_WRITE][WD_DENY].n, 0);
	assert_true(p->uses_workdir);
	assert_true(p->uses_home);

	assert_int_equal(p->net[WD_ALLOW].n, 2);
	r = &p->net[WD_ALLOW].v[0];
	assert_memory_equal(r->addr, lo8, 16);
	assert_int_equal(r->plen, 96 + 8);
	assert_int_equal(r->proto, WD_PROTO_TCP);
	assert_int_equal(r->n_ports, 3);
	assert_int_equal(r->ports[0].lo, 80);
	assert_int_equal(r->ports[0].hi, 80);
	assert_int_equal(r->ports[2].lo, 8000);
	assert_int_equal(r->ports[2].hi, 8100);
	assert_int_equal(r->loc.line, 19);
	assert_int_equal(r->loc.col, 11);
	r = &p->net[WD_ALLOW].v[1];
	assert_memory_equal(r->addr, one6, 16);
	assert_int_equal(r->plen, 128);
	assert_int_equal(r->proto, WD_PROTO_ANY);
	assert_int_equal(r->n_ports, 1); /* omitted: any port */
	assert_int_equal(r->ports[0].lo, 0);
	assert_int_equal(r->ports[0].hi, 65535);
	r = &p->net[WD_DENY].v[0];
	assert_memory_equal(r->addr, meta, 16);
	assert_int_equal(r->plen, 128);
	assert_int_equal(r->proto, WD_PROTO_UDP);
	r = &p->net[WD_DENY].v[1];
	assert_int_equal(r->plen, 0); /* any: ::/0 covers IPv4-mapped too */

	assert_int_equal(p->families, 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6 |
					      1ull << AF_NETLINK | 1ull << AF_PACKET);
	assert_int_equal(p->raw_families, 1ull << AF_INET | 1ull << AF_PACKET);
	assert_int_equal(p->n_rules, 3 + 3 + 1 + 3 + 3 + 0 + 2 + 2);
	wd_policy_free(p);
	wd_diags_free(&d);
}

static void minimal_defaults(void **state)
{
	struct wd_policy *p;
	struct wd_diags d;

	assert_int_equal(parse(HEAD "exec:\n  deny:\nnetwork:\n", &p, &d), 0);
	assert_false(p->audit);
	assert_false(p->allow_fileless);
	assert_int_equal(p->families, 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6);
	assert_int_equal(p->raw_families, 0);
	assert_int_equal(p->n_rules, 0);
	assert_false(p->uses_workdir);
	wd_policy_free(p);
	wd_diags_free(&d);

	/* An explicit empty list allows no family at all. */
	assert_int_equal(parse(HEAD "sockets:\n  allow: []\n", &p, &d), 0);
	assert_int_equal(p->families, 0);
	wd_policy_free(p);
	wd_diags_free(&d);
}

static void unknown_key(void **state)
{
	expect_error(
		HEAD "exec:\n  alow: [/usr/]\n", 5, 3,
		"unknown key \"alow\" in exec; expected allow or deny (did you mean \"allow\"?)");
	expect_error(HEAD "fileles_exec: deny\n", 4, 1, "did you mean \"fileless_exec\"?");
	expect_error(HEAD "network:\n  allow:\n    - to: any\n      port: [80]\n", 7, 7,
		     "unknown key \"port\" in network.allow");
	/* Far from every key: no suggestion. */
	expect_error(HEAD "zzzzzzzz: 1\n", 4, 1,
		     "unknown key \"zzzzzzzz\" in the policy; expected version, name, identities, "
		     "mode, fileless_exec, jit, exec, files, network or sockets");
}

static void wrong_type(void **state)
{
	expect_error(HEAD "exec:\n  allow: /usr/\n", 5, 10,
		     "exec.allow must be a list, not a string");
	expect_error(HEAD "files:\n  - read\n", 5, 3, "files must be a mapping");
	expect_error(HEAD "exec:\n  deny: [[/tmp/]]\n", 5, 10,
		     "a path must be a string, not a list");
	expect_error("version: 1\nname: [a]\nidentities: [x]\n", 2, 7,
		     "name must be a string, not a list");
	expect_error("version: 1\nname: t\nidentities: \"ci:*\"\n", 3, 13,
		     "identities must be a list");
	expect_error(HEAD "network:\n  allow:\n    - 10.0.0.0/8\n", 6, 7,
		     "items of network.allow must be mappings");
	expect_error(HEAD "mode: [audit]\n", 4, 7, "mode must be a string");
	expect_error(HEAD "mode: strict\n", 4, 7, "bad mode \"strict\"; expected enforce or audit");
	expect_error(HEAD "fileless_exec: maybe\n", 4, 16, "expected deny or allow");
}

static void missing_required(void **state)
{
	expect_error("name: t\nidentities: [x]\n", 1, 1, "missing required key \"version\"");
	expect_error("# comment\nversion: 1\nidentities: [x]\n", 2, 1,
		     "missing required key \"name\"");
	expect_error("version: 1\nname: t\n", 1, 1, "missing required key \"identities\"");
	expect_error("version: 1\nname: t\nidentities: []\n", 3, 13,
		     "identities must not be empty");
	expect_error("version: 1\nname:\nidentities: [x]\n", 2, 6, "name must not be empty");
	expect_error("version: 3\nname: t\nidentities: [x]\n", 1, 10, "unsupported version 3");
	expect_error("version: one\nname: t\nidentities: [x]\n", 1, 10,
		     "version must be the number 1");
	expect_error("version: 1\nname: \"a b\"\nidentities: [x]\n", 2, 7, "bad name \"a b\"");
	expect_error("version: 1\nname: t\nidentities: [\"ci: x\"]\n", 3, 14,
		     "bad identity glob \"ci: x\"");
	expect_error("- a\n- b\n", 1, 1, "the policy must be a mapping");
}

static void empty_document(void **state)
{
	struct wd_policy *p = (struct wd_policy *)1;
	struct wd_diags d;

	assert_int_equal(parse("# nothing\n", &p, &d), -EINVAL);
	assert_null(p);
	assert_int_equal(d.total, 1);
	assert_non_null(strstr(d.v[0].msg, "empty"));
	wd_diags_free(&d);
}

static void duplicate_key(void **state)
{
	expect_error(HEAD "exec:\n  allow: [/usr/]\n  allow: [/bin/]\n", 6, 3,
		     "duplicate key \"allow\" in exec (first at line 5)");
	expect_error("version: 1\nname: t\nname: u\nidentities: [x]\n", 3, 1,
		     "duplicate key \"name\" in the policy (first at line 2)");
}

static void yaml_syntax(void **state)
{
	expect_error(HEAD "exec:\n  allow: [/usr/\n  deny: [/tmp/]\n", 6, 7, "YAML syntax error");
	expect_error("version: 1\n\tname: t\n", 2, 1, "YAML syntax error");
	expect_error(HEAD "---\nversion: 1\n", 4, 1, "a second YAML document");
}

/* All errors come back together, in line order, each with its place. */
static void multiple_errors(void **state)
{
	static const char yaml[] = "version: 1\n"
				   "name: t\n"
				   "identities: [x]\n"
				   "exec:\n"
				   "  alow: [/usr/]\n"
				   "  deny: [tmp/]\n"
				   "network:\n"
				   "  allow:\n"
				   "    - to: 10.0.0.1/8\n"
				   "      ports: [0]\n"
				   "sockets:\n"
				   "  allow: [unix, ipx4]\n"
				   "  raw: [packet]\n";
	static const int want[][2] = {{5, 3}, {6, 10}, {9, 11}, {10, 15}, {12, 17}, {13, 9}};
	struct wd_policy *p = (struct wd_policy *)1;
	struct wd_diags d;
	size_t i;

	assert_int_equal(parse(yaml, &p, &d), -EINVAL);
	assert_null(p);
	if (d.n != 6)
		dump(&d);
	assert_int_equal(d.total, 6);
	assert_int_equal(d.n, 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(d.v[i].line, want[i][0]);
		assert_int_equal(d.v[i].col, want[i][1]);
	}
	assert_non_null(
		strstr(d.v[5].msg, "\"packet\" is in sockets.raw but not in sockets.allow"));
	assert_non_null(strstr(d.v[4].msg, "unknown socket family \"ipx4\""));
	wd_diags_free(&d);
}

static void diags_printing(void **state)
{
	struct wd_diags d;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	wd_diags_init(&d);
	wd_diags_add(&d, "a.yaml", 3, 7, "bad %s", "thing");
	wd_diags_add(&d, "a.yaml", 0, 0, "cannot open");
	for (i = 0; i < WD_DIAGS_KEPT + 5; i++)
		wd_diags_add(&d, "b.yaml", 1, 1, "x");
	assert_int_equal(d.n, WD_DIAGS_KEPT);
	assert_int_equal(d.total, WD_DIAGS_KEPT + 7);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	wd_diags_print(f, &d);
	fclose(f);
	assert_memory_equal(buf, "a.yaml:3:7: bad thing\na.yaml: cannot open\nb.yaml:1:1: x\n", 49);
	assert_non_null(strstr(buf, "... and 7 more errors\n"));
	free(buf);
	wd_diags_free(&d);
}

static void identities(void **state)
{
	struct wd_policy *p;
	struct wd_diags d;

	assert_int_equal(wd_identity_valid("ci:build-42"), 0);
	assert_int_equal(wd_identity_valid("agent:codegen/claude@v1"), 0);
	assert_int_equal(wd_identity_valid("k8s-sa:ns/name"), 0);
	assert_int_equal(wd_identity_valid("ci:"), -EINVAL);
	assert_int_equal(wd_identity_valid(":x"), -EINVAL);
	assert_int_equal(wd_identity_valid("CI:x"), -EINVAL);
	assert_int_equal(wd_identity_valid("1ci:x"), -EINVAL);
	assert_int_equal(wd_identity_valid("ci_x:y"), -EINVAL);
	assert_int_equal(wd_identity_valid("ci:a b"), -EINVAL);
	assert_int_equal(wd_identity_valid("noseparator"), -EINVAL);
	assert_int_equal(wd_identity_valid("abcdefghijklmnopqrstuvwxyz0123456:x"), -EINVAL);
	assert_int_equal(wd_identity_valid("abcdefghijklmnopqrstuvwxyz012345:x"), 0);

	assert_int_equal(parse("version: 1\nname: t\nidentities: [\"ci:*\", \"agent:code?en\", "
			       "\"bot:[ab]x\"]\n",
			       &p, &d),
			 0);
	assert_true(wd_policy_applies_to(p, "ci:anything/at:all"));
	assert_true(wd_policy_applies_to(p, "agent:codegen"));
	assert_true(wd_policy_applies_to(p, "agent:codeXen"));
	assert_true(wd_policy_applies_to(p, "bot:ax"));
	assert_false(wd_policy_applies_to(p, "bot:cx"));
	assert_false(wd_policy_applies_to(p, "agent:codegen2"));
	assert_false(wd_policy_applies_to(p, "cix:y"));
	assert_false(wd_policy_applies_to(p, "ci"));	 /* not an identity */
	assert_false(wd_policy_applies_to(p, "ci:a b")); /* not an identity */
	wd_policy_free(p);
	wd_diags_free(&d);
}

/* policies/default.yaml, read from the source tree: it parses, and compiles for a job whose
 * workdir is inside its home. */
static void default_policy(void **state)
{
	const struct wd_policy_ctx ctx = {"/home/ci/src/proj", "/home/ci"};
	struct wd_compiled *c;
	struct wd_policy *p;
	struct wd_diags d;
	size_t i;
	int found = 0;

	wd_diags_init(&d);
	assert_int_equal(wd_policy_parse_file("policies/default.yaml", &p, &d), 0);
	assert_string_equal(p->name, "default");
	assert_true(wd_policy_applies_to(p, "ci:anything"));
	assert_true(wd_policy_applies_to(p, "agent:x"));
	assert_false(p->audit);
	assert_false(p->allow_fileless);
	assert_int_equal(p->families,
			 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6 | 1ull << AF_NETLINK);
	assert_int_equal(p->raw_families, 0);
	assert_int_equal(wd_policy_compile(p, &ctx, 3, 100, &c, &d), 0);
	assert_int_equal(d.total, 0);
	for (i = 0; i < c->n_prefix; i++) {
		const struct wd_prefix_entry *e = &c->prefix[i];

		if (strcmp(e->key.path, "/home/ci/src/proj/") == 0) {
			/* The workdir runs and is writable although ${home}/ denies exec. */
			assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
			found++;
		} else if (strcmp(e->key.path, "/home/ci/") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
			found++;
		} else if (strcmp(e->key.path, "/home/ci/.ssh/") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
			assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
			found++;
		} else if (strcmp(e->key.path, "/tmp/") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
			found++;
		} else if (strcmp(e->key.path, "/usr/") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_NONE);
			found++;
		}
	}
	assert_int_equal(found, 5);
	/* The sandbox's own listeners only, and the metadata endpoints named. */
	assert_int_equal(c->n_net, 2);
	assert_true(c->cfg.sandbox_rule != 0);
	assert_non_null(wd_compiled_rule_text(c, c->cfg.sandbox_rule));
	assert_int_equal(c->n_proc, 2);
	assert_true(c->cfg.flags & WD_POL_VALID);
	assert_false(c->cfg.flags & (WD_POL_AUDIT | WD_POL_ALLOW_FILELESS));
	wd_compiled_free(c);

	/* Without a home, it does not compile, and says why. */
	{
		const struct wd_policy_ctx nohome = {"/w", NULL};

		c = (struct wd_compiled *)1;
		assert_int_equal(wd_policy_compile(p, &nohome, 3, 100, &c, &d), -EINVAL);
		assert_null(c);
		assert_non_null(strstr(d.v[0].msg, "${home}"));
	}
	wd_policy_free(p);
	wd_diags_free(&d);
}

static void file_errors(void **state)
{
	struct wd_policy *p = (struct wd_policy *)1;
	struct wd_diags d;

	wd_diags_init(&d);
	assert_int_equal(wd_policy_parse_file("/nonexistent/policy.yaml", &p, &d), -ENOENT);
	assert_null(p);
	assert_int_equal(d.total, 1);
	assert_string_equal(d.v[0].file, "/nonexistent/policy.yaml");
	assert_int_equal(wd_policy_parse_file("policies", &p, &d), -EISDIR);
	wd_diags_free(&d);
}

/* An alias that makes a node contain itself must not send the walk into a loop; the error
 * points at the node, where its anchor is. */
static void alias_cycle(void **state)
{
	expect_error(HEAD "exec: &a\n  allow: *a\n", 4, 7, "exec.allow must be a list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_policy),	    cmocka_unit_test(minimal_defaults),
		cmocka_unit_test(unknown_key),	    cmocka_unit_test(wrong_type),
		cmocka_unit_test(missing_required), cmocka_unit_test(empty_document),
		cmocka_unit_test(duplicate_key),    cmocka_unit_test(yaml_syntax),
		cmocka_unit_test(multiple_errors),  cmocka_unit_test(diags_printing),
		cmocka_unit_test(identities),	    cmocka_unit_test(default_policy),
		cmocka_unit_test(file_errors),	    cmocka_unit_test(alias_cycle),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
