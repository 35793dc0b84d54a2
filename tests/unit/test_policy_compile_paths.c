// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: compiling path rules into map entries (user/policy/compile_paths.c): prefix folding
 * (checked against a brute-force model of the kernel's lookups), exact, /proc and anchor
 * entries, inode candidates and the workdir rule. */
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
#include <cmocka.h>

#include "policy_compile.h"

/* The example of the ABI: "/" read allow + "/home/u/.ssh/" read deny. */
static void prefix_folding(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [/, /home/u/.ssh/pub/]\n" /* ids 1, 2 */
					"    deny: [\"${home}/.ssh/\"]\n"     /* id 3 */
					"  write:\n"
					"    allow: [/home/]\n"			 /* id 4 */
					"    deny: [/home/u/.ssh/, /home/u/]\n"; /* ids 5, 6 */
	struct wd_compiled *c = compile_ok(yaml, &ctx_home);
	const struct wd_prefix_entry *e;

	assert_int_equal(c->n_prefix, 5);
	assert_int_equal(c->n_exact, 3); /* anchors: /home/u/.ssh, /home/u, /home */
	e = prefix_of(c, "/");
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 8);
	assert_int_equal(e->key.policy_id, 7);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_NONE);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], WD_RULE_DEFAULT);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_NONE);

	e = prefix_of(c, "/home/u/.ssh/");
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 8 * 13);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 3);
	/* Two denies cover it for write: its own (the most specific) decides. */
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 5);

	/* A longer allow under a deny: deny wins, and says which rule. */
	e = prefix_of(c, "/home/u/.ssh/pub/");
	assert_non_null(e);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 3);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 5);

	e = prefix_of(c, "/home/");
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 4);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
	e = prefix_of(c, "/home/u/");
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 6);

	/* The prefixes with a deny of their own, for the loader's inode walk. */
	assert_int_equal(c->n_deny_dirs, 2);
	assert_string_equal(c->deny_dirs[0].path, "/home/u/");
	assert_string_equal(c->deny_dirs[1].path, "/home/u/.ssh/");
	assert_int_equal(c->deny_dirs[1].rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(c->deny_dirs[1].rule.verdict[WD_OP_EXEC], WD_V_NONE);
	assert_null(c->deny_dirs[1].except);
	wd_compiled_free(c);
}

/* A prefix deny's own name and every ancestor but "/" may not be moved away from the rule: they
 * are anchors in the exact map, and the protected-file candidates still name their files. */
static void anchors_of_denies(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [/]\n"			       /* 1 */
					"    deny: [\"${home}/.aws/\", /etc/shadow]\n" /* 2, 3 */
					"  write:\n"
					"    allow: [\"${home}/\"]\n"	   /* 4 */
					"    deny: [\"${home}/.ssh/\"]\n"; /* 5 */
	struct wd_compiled *c = compile_ok(yaml, &ctx_home);
	static const struct {
		const char *path;
		__u32 id;
	} want[] = {{"/home/u/.aws", 2}, {"/home/u", 2}, {"/home", 2},
		    {"/etc/shadow", 0},	 {"/etc", 3},	 {"/home/u/.ssh", 5}};
	const struct wd_exact_entry *e;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		e = exact_of(c, want[i].path);
		if (!e)
			fail_msg("no anchor for %s", want[i].path);
		assert_int_equal(e->rule.flags, WD_FR_ANCHOR);
		if (want[i].id)
			assert_int_equal(e->rule.rule_id[WD_OP_WRITE], want[i].id);
	}
	assert_null(exact_of(c, "/"));
	assert_null(exact_of(c, "/home/u/.aws/"));
	assert_int_equal(c->n_exact, 6);
	assert_int_equal(c->n_inode, 1);
	assert_string_equal(c->inode[0].path, "/etc/shadow");
	wd_compiled_free(c);
}

static void exact_entries(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [/dev/null]\n"		  /* 1 */
					"    deny: [/etc/shadow, /etc//shadow]\n" /* 2, 3 */
					"  write:\n"
					"    allow: [/dev/null, /etc/shadow]\n"; /* 4, 5 */
	struct wd_compiled *c = compile_ok(yaml, NULL);
	const struct wd_exact_entry *e;
	size_t i, len;

	/* /etc/shadow, /dev/null, and /etc: the way to a denied file (an anchor). */
	assert_int_equal(c->n_exact, 3);
	for (i = 0; i < c->n_exact; i++) {
		assert_int_equal(c->exact[i].key.policy_id, 7);
		len = strlen(c->exact[i].key.path);
		/* BPF hashes the whole key: every byte after the path is zero. */
		for (; len < sizeof(c->exact[i].key.path); len++)
			assert_int_equal(c->exact[i].key.path[len], 0);
		assert_int_equal(c->exact[i].rule.flags & ~WD_FR_ANCHOR, 0);
	}
	e = exact_of(c, "/etc");
	assert_non_null(e);
	assert_int_equal(e->rule.flags, WD_FR_ANCHOR);
	for (i = 0; i < WD_OP_NR; i++)
		assert_int_equal(e->rule.verdict[i], WD_V_NONE);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 2);
	assert_int_equal(exact_of(c, "/dev/null")->rule.flags, 0);
	e = exact_of(c, "/etc/shadow");
	assert_non_null(e);
	assert_int_equal(e->rule.flags, WD_FR_ANCHOR);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 2);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 5);
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_NONE);
	e = exact_of(c, "/dev/null");
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);

	/* Only /etc/shadow denies anything, and its inode entry carries only the deny: an inode
	 * entry must not grant writes to another link of the file. */
	assert_int_equal(c->n_inode, 1);
	assert_string_equal(c->inode[0].path, "/etc/shadow");
	assert_int_equal(c->inode[0].rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(c->inode[0].rule.rule_id[WD_OP_READ], 2);
	assert_int_equal(c->inode[0].rule.verdict[WD_OP_WRITE], WD_V_NONE);
	assert_int_equal(c->inode[0].rule.rule_id[WD_OP_WRITE], 0);
	wd_compiled_free(c);
}

static void proc_entries(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [\"/proc/*/status\"]\n"
					"    deny: [\"/proc/*/environ\", \"/proc/*/mem\"]\n"
					"  write:\n"
					"    deny: [\"/proc/*/mem\"]\n";
	struct wd_compiled *c = compile_ok(yaml, NULL);
	size_t i, k;
	int seen = 0;

	assert_int_equal(c->n_proc, 3);
	assert_int_equal(c->n_exact + c->n_prefix, 0);
	for (i = 0; i < c->n_proc; i++) {
		const struct wd_proc_entry *e = &c->proc[i];

		assert_int_equal(e->key.policy_id, 7);
		for (k = strlen(e->key.name); k < WD_NAME_MAX; k++)
			assert_int_equal(e->key.name[k], 0);
		if (strcmp(e->key.name, "mem") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
			assert_int_equal(e->rule.rule_id[WD_OP_READ], 3);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
			assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 4);
			seen |= 1;
		} else if (strcmp(e->key.name, "environ") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_NONE);
			seen |= 2;
		} else if (strcmp(e->key.name, "status") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
			assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	assert_string_equal(wd_compiled_rule_text(c, 3), "t.yaml:7:31 files.read deny /proc/*/mem");
	wd_compiled_free(c);
}

/* The workdir rule: a deny on a directory that contains the workdir does not apply inside it
 * for the ops "${workdir}/" allows; denies inside the workdir still win. */
static void workdir_rule(void **state)
{
	static const char yaml[] =
		HEAD "exec:\n"
		     "  allow: [/usr/, \"${workdir}/\"]\n" /* 1, 2 */
		     "  deny: [\"${home}/\", /tmp/, \"${workdir}/.git/hooks/\"]\n"
		     "files:\n"
		     "  read:\n"
		     "    allow: [/]\n"		  /* 6 */
		     "    deny: [\"${home}/\"]\n" /* 7 */
		     "  write:\n"
		     "    allow: [\"${workdir}/\"]\n"	/* 8 */
		     "    deny: [\"${home}/.ssh/\"]\n"; /* 9 */
	const struct wd_policy_ctx in_tmp = {"/tmp/build.1", "/home/u"};
	const struct wd_policy_ctx is_home = {"/home/u", "/home/u"};
	const struct wd_policy_ctx elsewhere = {"/srv/job", "/home/u"};
	const struct wd_prefix_entry *e;
	struct wd_compiled *c;

	c = compile_ok(yaml, &ctx_home);
	e = prefix_of(c, "/home/u/src/job/");
	assert_non_null(e);
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], 2);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	/* No "${workdir}/" read allow: the read deny of home still covers the workdir. */
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 7);
	e = prefix_of(c, "/home/u/");
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], 3);
	e = prefix_of(c, "/home/u/src/job/.git/hooks/");
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], 5);
	/* The loader must not protect the workdir's files by inode for exec. */
	assert_string_equal(c->workdir, "/home/u/src/job/");
	assert_int_equal(c->n_deny_dirs, 4);
	for (size_t i = 0; i < c->n_deny_dirs; i++) {
		const struct wd_deny_dir *dd = &c->deny_dirs[i];

		if (strcmp(dd->path, "/home/u/") == 0) {
			assert_ptr_equal(dd->except, c->workdir);
			assert_int_equal(dd->except_ops, 1 << WD_OP_EXEC);
		} else {
			assert_null(dd->except);
		}
	}
	wd_compiled_free(c);

	/* A workdir in /tmp: exec there works, the rest of /tmp stays denied. */
	c = compile_ok(yaml, &in_tmp);
	assert_int_equal(prefix_of(c, "/tmp/build.1/")->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(prefix_of(c, "/tmp/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	wd_compiled_free(c);

	/* The workdir is the home: the deny of ${home}/ is on the workdir itself but not written
	 * with ${workdir}, so the workdir rule lifts it; the .ssh write deny inside stays. */
	c = compile_ok(yaml, &is_home);
	e = prefix_of(c, "/home/u/");
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(prefix_of(c, "/home/u/.ssh/")->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(prefix_of(c, "/home/u/.git/hooks/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	wd_compiled_free(c);

	/* Elsewhere the rule changes nothing. */
	c = compile_ok(yaml, &elsewhere);
	assert_int_equal(prefix_of(c, "/srv/job/")->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(prefix_of(c, "/home/u/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	assert_null(c->deny_dirs[0].except);
	wd_compiled_free(c);

	/* A deny written with ${workdir} on the workdir itself is never lifted. */
	c = compile_ok(HEAD "exec:\n  allow: [\"${workdir}/\"]\n  deny: [\"${workdir}//\"]\n",
		       &ctx_home);
	assert_int_equal(prefix_of(c, "/home/u/src/job/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	wd_compiled_free(c);
}

/* ---- Brute force: the kernel's lookups on the compiled maps must give what the rules say ---- */

struct frule {
	char path[64];
	int op, effect;
	__u32 id;
};

/* What the rules say about @path for @op: deny if any matching rule denies, else allow if any
 * allows, else none. */
static int naive_file(const struct frule *r, size_t n, const char *path, int op)
{
	int v = WD_V_NONE;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(r[i].path);
		bool match = r[i].path[len - 1] == '/' ? strncmp(r[i].path, path, len) == 0
						       : strcmp(r[i].path, path) == 0;

		if (!match || r[i].op != op)
			continue;
		if (r[i].effect == WD_DENY)
			v = WD_V_DENY;
		else if (v == WD_V_NONE)
			v = WD_V_ALLOW;
	}
	return v;
}

/* What the kernel computes: one exact lookup, one longest-prefix lookup, deny wins. */
static int kernel_file(const struct wd_compiled *c, const char *path, int op, __u32 *id)
{
	const struct wd_prefix_entry *best = NULL;
	const struct wd_exact_entry *ex = exact_of(c, path);
	size_t i;
	int v = WD_V_NONE;

	for (i = 0; i < c->n_prefix; i++) {
		const struct wd_prefix_entry *e = &c->prefix[i];
		size_t len = (e->key.prefixlen - 32) / 8;

		if (strncmp(e->key.path, path, len) == 0 &&
		    (!best || e->key.prefixlen > best->key.prefixlen))
			best = e;
	}
	*id = 0;
	if (ex && ex->rule.verdict[op] != WD_V_NONE) {
		v = ex->rule.verdict[op];
		*id = ex->rule.rule_id[op];
	}
	if (best && (best->rule.verdict[op] == WD_V_DENY ||
		     (v == WD_V_NONE && best->rule.verdict[op] == WD_V_ALLOW))) {
		if (v != WD_V_DENY) {
			v = best->rule.verdict[op];
			*id = best->rule.rule_id[op];
		}
	}
	return v;
}

static void random_path(char *buf, size_t size, bool prefix)
{
	static const char *const parts[] = {"a", "b", "ab", "c"};
	int depth = rand() % 4, i;
	size_t off = 0;

	for (i = 0; i < depth; i++)
		off += (size_t)snprintf(buf + off, size - off, "/%s", parts[rand() % 4]);
	snprintf(buf + off, size - off, "%s", prefix || depth == 0 ? "/" : "");
}

static void file_brute_force(void **state)
{
	static const char *const sections[WD_OP_WRITE + 1] = {"exec", "files.read", "files.write"};
	int round;

	srand(12345);
	for (round = 0; round < 200; round++) {
		struct frule rules[40];
		size_t n = (size_t)(rand() % 40) + 1, i, j, off;
		char *yaml = malloc(8192);
		struct wd_compiled *c;
		__u32 id = 1;
		int op, e;

		for (i = 0; i < n; i++) {
			random_path(rules[i].path, sizeof(rules[i].path), rand() % 3 != 0);
			rules[i].op = rand() % WD_OP_NR;
			rules[i].effect = rand() % 2;
		}
		/* Written grouped the way ids are assigned: exec, read, write, unix; allow, deny.
		 */
		off = (size_t)snprintf(yaml, 8192, HEAD);
		for (op = 0; op < WD_OP_NR; op++) {
			if (op == WD_OP_UNIX)
				off += (size_t)snprintf(yaml + off, 8192 - off, "network:\n");
			else
				off += (size_t)snprintf(
					yaml + off, 8192 - off, "%s:\n",
					op ? (op == 1 ? "files:\n  read" : "  write") : "exec");
			for (e = 0; e < 2; e++) {
				off += (size_t)snprintf(yaml + off, 8192 - off, "%s  %s:%s",
							op ? "  " : "", e ? "deny" : "allow", " [");
				for (i = 0, j = 0; i < n; i++) {
					if (rules[i].op != op || rules[i].effect != e)
						continue;
					rules[i].id = id++;
					off += (size_t)snprintf(
						yaml + off, 8192 - off,
						op == WD_OP_UNIX ? "%s{unix: \"%s\"}" : "%s\"%s\"",
						j++ ? ", " : "", rules[i].path);
				}
				off += (size_t)snprintf(yaml + off, 8192 - off, "]\n");
			}
		}
		c = compile_ok(yaml, NULL);
		(void)sections;
		/* Every path the rules mention, and their neighbours, for every op. */
		for (i = 0; i < 60; i++) {
			char path[80];

			if (i < n)
				snprintf(path, sizeof(path), "%s", rules[i].path);
			else
				random_path(path, sizeof(path), rand() % 2);
			if (i % 3 == 2 && strlen(path) < 70)
				strcat(path, path[strlen(path) - 1] == '/' ? "x" : "/x");
			for (op = 0; op < WD_OP_NR; op++) {
				__u32 rid;
				int want = naive_file(rules, n, path, op);
				int got = kernel_file(c, path, op, &rid);

				if (want != got)
					print_message(
						"# round %d path %s op %d: want %d got %d\n%s",
						round, path, op, want, got, yaml);
				assert_int_equal(want, got);
				/* The rule id names a rule that matches with that verdict. */
				if (got != WD_V_NONE) {
					for (j = 0; j < n; j++)
						if (rules[j].id == rid)
							break;
					assert_true(j < n);
					assert_int_equal(rules[j].op, op);
					assert_int_equal(rules[j].effect,
							 got == WD_V_DENY ? WD_DENY : WD_ALLOW);
				} else {
					assert_int_equal(rid, 0);
				}
			}
		}
		wd_compiled_free(c);
		free(yaml);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_folding),    cmocka_unit_test(exact_entries),
		cmocka_unit_test(anchors_of_denies), cmocka_unit_test(proc_entries),
		cmocka_unit_test(workdir_rule),	     cmocka_unit_test(file_brute_force),
	};

	return cmocka_run_group_tests_name("policy_compile_paths", tests, NULL, NULL);
}
