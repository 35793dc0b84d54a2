// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: self-protection (user/sandbox/guard.c): which of warden's objects a config and a run
 * protect, the deny rules every policy gets for the private ones, and the refusal (with its
 * message naming the rule) of a policy that lets the sandbox write the record. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "policy/compile.h"
#include "policy/policy.h"
#include "sandbox/guard.h"

static const char cfg_yaml[] = "version: 1\n"
			       "events:\n"
			       "  sinks:\n"
			       "    - name: main\n"
			       "      type: file\n"
			       "      dir: /nonexistent/wdg/out\n"
			       "    - name: coll\n"
			       "      type: stream\n"
			       "      address: unix:/run/collector.sock\n"
			       "    - name: o\n"
			       "      type: jsonl\n"
			       "      path: /nonexistent/wdg/ocsf.json\n"
			       "daemon:\n"
			       "  state_dir: /nonexistent/wdg/state\n"
			       "  run_dir: /nonexistent/wdg/run\n";

static struct wd_config *config(const char *yaml)
{
	struct wd_config *c = NULL;
	struct wd_diags d = {0};

	assert_int_equal(wd_config_parse_string("c.yaml", yaml, strlen(yaml), &c, &d), 0);
	wd_diags_free(&d);
	return c;
}

static struct wd_policy *policy(const char *yaml)
{
	struct wd_policy *p = NULL;
	struct wd_diags d = {0};

	assert_int_equal(wd_policy_parse_string("t.yaml", yaml, strlen(yaml), &p, &d), 0);
	wd_diags_free(&d);
	return p;
}

/* @yaml protected by @g, compiled for slot 1 from rule id 1. */
static struct wd_compiled *compile(const struct wd_guard *g, const char *yaml)
{
	struct wd_policy_ctx ctx = {"/nonexistent/job", "/nonexistent/home"};
	struct wd_policy *p = policy(yaml);
	struct wd_compiled *c = NULL;
	struct wd_diags d = {0};

	assert_int_equal(wd_guard_protect(g, p), 0);
	assert_int_equal(wd_policy_compile(p, &ctx, 1, 1, &c, &d), 0);
	wd_diags_free(&d);
	wd_policy_free(p);
	return c;
}

static void test_objects(void **state)
{
	struct wd_config *c = config(cfg_yaml);
	struct wd_guard g;

	(void)state;
	/* The counter inside run_dir is covered by it: not listed again. */
	assert_int_equal(wd_guard_init(&g, c, "/nonexistent/wdg/run/seq", "/tmp/ev.log"), 0);
	assert_int_equal(g.n, 6);
	assert_int_equal(g.v[0].kind, WD_GUARD_DIR);
	assert_string_equal(g.v[0].path, "/nonexistent/wdg/state");
	assert_string_equal(g.v[1].path, "/nonexistent/wdg/run");
	assert_int_equal(g.v[2].kind, WD_GUARD_DIR);
	assert_string_equal(g.v[2].path, "/sys/fs/bpf/warden"); /* the default */
	assert_int_equal(g.v[3].kind, WD_GUARD_EVENTS);
	assert_string_equal(g.v[3].path, "/tmp/ev.log");
	assert_int_equal(g.v[4].kind, WD_GUARD_SINK);
	assert_string_equal(g.v[4].path, "/nonexistent/wdg/out/main.pb");
	assert_int_equal(g.v[5].kind, WD_GUARD_SINK);
	assert_string_equal(g.v[5].path, "/nonexistent/wdg/ocsf.json");
	wd_guard_free(&g);
	assert_int_equal(g.n, 0);

	/* `warden run`'s counter is /run/warden/seq whatever the config's run_dir says. */
	assert_int_equal(wd_guard_init(&g, c, "/run/warden/seq", NULL), 0);
	assert_int_equal(g.n, 6);
	assert_int_equal(g.v[3].kind, WD_GUARD_FILE);
	assert_string_equal(g.v[3].path, "/run/warden/seq");
	assert_int_equal(g.v[4].kind, WD_GUARD_SINK);
	wd_guard_free(&g);
	wd_config_free(c);

	/* No config: the daemon's default directories, which hold the counter. */
	c = wd_config_empty();
	assert_int_equal(wd_guard_init(&g, c, "/run/warden/seq", NULL), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.v[0].path, "/var/lib/warden");
	assert_string_equal(g.v[1].path, "/run/warden");
	wd_guard_free(&g);
	/* A directory's name as a prefix of another's is not "inside". */
	assert_int_equal(wd_guard_init(&g, c, "/run/wardenx/seq", NULL), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.v[3].path, "/run/wardenx/seq");
	wd_guard_free(&g);
	wd_config_free(c);
}

static const char allow_all[] = "version: 1\n"
				"name: t\n"
				"identities: [\"ci:*\"]\n"
				"files:\n"
				"  read:\n"
				"    allow: [/]\n"
				"  write:\n"
				"    allow: [/]\n"
				"network:\n"
				"  allow:\n"
				"    - to: 10.0.0.0/8\n";

static void test_protect(void **state)
{
	struct wd_config *c = wd_config_empty();
	struct wd_guard g;
	struct wd_policy *p = policy(allow_all);
	size_t n_rules = p->n_rules;
	struct wd_compiled *cp;

	(void)state;
	assert_int_equal(wd_guard_init(&g, c, "/elsewhere/seq", NULL), 0);
	assert_int_equal(wd_guard_protect(&g, p), 0);
	/* Three directories and the counter, for reading and for writing. */
	assert_int_equal(p->n_rules, n_rules + 8);
	for (int op = WD_OP_READ; op <= WD_OP_WRITE; op++) {
		const struct wd_path_list *l = &p->paths[op][WD_DENY];

		assert_int_equal(l->n, 4);
		assert_string_equal(l->v[0].text, "/var/lib/warden/");
		assert_int_equal(l->v[0].kind, WD_PATH_PREFIX);
		assert_string_equal(l->v[1].text, "/run/warden/");
		assert_string_equal(l->v[2].text, "/sys/fs/bpf/warden/");
		assert_string_equal(l->v[3].text, "/elsewhere/seq");
		assert_int_equal(l->v[3].kind, WD_PATH_EXACT);
	}
	wd_policy_free(p);

	/* Compiled, they deny what the policy allowed, and have rule ids and texts. */
	cp = compile(&g, allow_all);
	assert_false(wd_guard_may_write(cp, "/run/warden/control.sock", NULL));
	assert_false(wd_guard_may_write(cp, "/sys/fs/bpf/warden/maps/x", NULL));
	assert_false(wd_guard_may_write(cp, "/elsewhere/seq", NULL));
	assert_true(wd_guard_may_write(cp, "/elsewhere/other", NULL));
	/* read allow /, read deny x4, write allow /, write deny x4, network: ids 1..11. */
	assert_int_equal(cp->n_rules, 11);
	assert_string_equal(wd_compiled_rule_text(cp, 2),
			    "t.yaml:0:0 files.read deny /var/lib/warden/");
	assert_string_equal(wd_compiled_rule_text(cp, 10),
			    "t.yaml:0:0 files.write deny /elsewhere/seq");
	wd_compiled_free(cp);
	wd_guard_free(&g);
	wd_config_free(c);
}

static void test_check(void **state)
{
	struct wd_config *c = config(cfg_yaml);
	struct wd_guard g;
	struct wd_compiled *cp;
	char err[1024] = "";

	(void)state;
	assert_int_equal(wd_guard_init(&g, c, "/nonexistent/wdg/run/seq", NULL), 0);
	/* Writes only where the record is not: accepted. */
	cp = compile(&g, "version: 1\nname: t\nidentities: [\"ci:*\"]\n"
			 "files:\n  write:\n    allow: [/nonexistent/wdg/job/]\n");
	assert_int_equal(wd_guard_check(&g, cp, err, sizeof(err)), 0);
	wd_compiled_free(cp);

	/* A prefix over the sink's directory: refused, naming the file and the rule. */
	cp = compile(&g, "version: 1\nname: t\nidentities: [\"ci:*\"]\n"
			 "files:\n  write:\n    allow: [/tmp/, /nonexistent/]\n");
	assert_int_equal(wd_guard_check(&g, cp, err, sizeof(err)), -EPERM);
	assert_string_equal(err, "the sandbox may write /nonexistent/wdg/out/main.pb (rule 5: "
				 "t.yaml:6:20 files.write allow /nonexistent/), so it could forge "
				 "or erase its own record; put the sinks where the policy does not "
				 "allow writes");
	wd_compiled_free(cp);

	/* The file sink's file allowed exactly, the jsonl one by its directory. The first found
	 * is named, with its own rule. */
	cp = compile(&g, "version: 1\nname: t\nidentities: [\"ci:*\"]\n"
			 "files:\n  write:\n    allow: [/nonexistent/wdg/out/main.pb]\n");
	assert_int_equal(wd_guard_check(&g, cp, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "may write /nonexistent/wdg/out/main.pb (rule 4: t.yaml:6:13 "
				    "files.write allow /nonexistent/wdg/out/main.pb)"));
	wd_compiled_free(cp);

	/* A deny under the allow protects the record: accepted. */
	cp = compile(&g, "version: 1\nname: t\nidentities: [\"ci:*\"]\n"
			 "files:\n  write:\n    allow: [/nonexistent/]\n"
			 "    deny: [/nonexistent/wdg/out/, /nonexistent/wdg/ocsf.json]\n");
	assert_int_equal(wd_guard_check(&g, cp, err, sizeof(err)), 0);
	wd_compiled_free(cp);
	wd_guard_free(&g);

	/* The --events file is named before the sinks, as itself. */
	assert_int_equal(wd_guard_init(&g, c, NULL, "/nonexistent/wdg/events.log"), 0);
	cp = compile(&g, "version: 1\nname: t\nidentities: [\"ci:*\"]\n"
			 "files:\n  write:\n    allow: [/nonexistent/wdg/]\n");
	assert_int_equal(wd_guard_check(&g, cp, err, sizeof(err)), -EPERM);
	assert_string_equal(err,
			    "the sandbox may write the --events file /nonexistent/wdg/events.log "
			    "(rule 4: t.yaml:6:13 files.write allow /nonexistent/wdg/), so it "
			    "could forge or erase its own record; put it where the policy does "
			    "not allow writes");
	wd_compiled_free(cp);
	wd_guard_free(&g);
	wd_config_free(c);
}

/* The check is about the record only: the private places are the deny rules' job, and a guard
 * of record files only adds no rule. */
static void test_kinds(void **state)
{
	struct wd_guard_obj v[] = {{WD_GUARD_DIR, "/nonexistent/wdg/state"},
				   {WD_GUARD_FILE, "/nonexistent/wdg/seq"},
				   {WD_GUARD_SINK, "/nonexistent/wdg/out/main.pb"}};
	struct wd_guard priv = {v, 2}, rec = {v + 2, 1}, none = {0};
	struct wd_policy *p = policy(allow_all);
	size_t n_rules = p->n_rules, n_deny = p->paths[WD_OP_WRITE][WD_DENY].n;
	struct wd_compiled *cp;
	char err[512] = "";

	(void)state;
	assert_int_equal(wd_guard_protect(&rec, p), 0);
	assert_int_equal(p->n_rules, n_rules);
	assert_int_equal(p->paths[WD_OP_WRITE][WD_DENY].n, n_deny);
	wd_policy_free(p);

	cp = compile(&none, allow_all);
	assert_true(wd_guard_may_write(cp, "/nonexistent/wdg/state/state.db", NULL));
	assert_int_equal(wd_guard_check(&priv, cp, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(wd_guard_check(&rec, cp, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "may write /nonexistent/wdg/out/main.pb (rule 2: "));
	wd_compiled_free(cp);
}

static void test_may_write(void **state)
{
	struct wd_guard none = {0};
	struct wd_compiled *cp;
	uint32_t id = 0;

	(void)state;
	cp = compile(&none, "version: 1\nname: t\nidentities: [\"ci:*\"]\n"
			    "files:\n  write:\n    allow: [/a/, /a/b/c, /a/b/]\n"
			    "    deny: [/a/x/, /a/b/d]\n");
	/* The longest prefix allows: its rule. */
	assert_true(wd_guard_may_write(cp, "/a/b/e", &id));
	assert_int_equal(id, 3);
	assert_true(wd_guard_may_write(cp, "/a/e", &id));
	assert_int_equal(id, 1);
	/* The file's own allow names its rule. */
	assert_true(wd_guard_may_write(cp, "/a/b/c", &id));
	assert_int_equal(id, 2);
	/* Deny wins: an exact deny under an allowing prefix, a denying prefix. */
	assert_false(wd_guard_may_write(cp, "/a/b/d", NULL));
	assert_false(wd_guard_may_write(cp, "/a/x/y", NULL));
	/* Nothing allows it. */
	assert_false(wd_guard_may_write(cp, "/b", NULL));
	wd_compiled_free(cp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects),	  cmocka_unit_test(test_protect),
		cmocka_unit_test(test_check),	  cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_may_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
