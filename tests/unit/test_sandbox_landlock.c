// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the Landlock planner (user/sandbox/landlock.c) over a fake file system: allowed trees
 * expanded around the denies inside them, files and directories made later left without rules,
 * symlinks never granted, denied files with other hard links refusing the policy by rule (also
 * past any bound of entries); with mounts, denies inside writable trees guarded by mounts and the
 * tree left whole; device ioctls only on terminals and /dev/null-like devices (ABI 5). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "policy_compile.h"
#include "sandbox/landlock.h"

/* The fake tree: one path per line, directories end in '/', symlinks in '@', a file with "=N" N
 * links. */
static const char *const tree[] = {
	"/bin@",       "/usr/",		"/usr/bin/",	   "/usr/bin/sh",   "/etc/",
	"/etc/passwd", "/etc/shadow",	"/etc/ssh/",	   "/etc/ssh/key",  "/etc/ssh/key.pub",
	"/tmp/",       "/tmp/job/",	"/tmp/job/a.c",	   "/tmp/other/",   "/home/",
	"/home/u/",    "/home/u/.ssh/", "/home/u/.ssh/id", "/home/u/notes", "/dev/",
	"/dev/null",   "/srv/",		"/srv/linked=2",
};
#define N_TREE (sizeof(tree) / sizeof(tree[0]))

static void bare(const char *e, char *out)
{
	size_t len = strlen(e);

	if (strchr(e, '='))
		len = (size_t)(strchr(e, '=') - e);
	memcpy(out, e, len);
	out[len] = '\0';
	if (len > 1 && (out[len - 1] == '/' || out[len - 1] == '@'))
		out[len - 1] = '\0';
}

static int fake_list(void *arg, const char *dir,
		     int (*fn)(void *ctx, const char *name, unsigned char type), void *ctx)
{
	size_t dlen = strcmp(dir, "/") ? strlen(dir) : 0;
	char p[256];
	int ret;

	(void)arg;
	for (size_t i = 0; i < N_TREE; i++) {
		const char *e = tree[i];
		size_t len = strlen(e);

		bare(e, p);
		if (strncmp(p, dir, dlen) || p[dlen] != '/' || strchr(p + dlen + 1, '/'))
			continue;
		ret = fn(ctx, p + dlen + 1,
			 e[len - 1] == '/'   ? DT_DIR
			 : e[len - 1] == '@' ? DT_LNK
					     : DT_UNKNOWN);
		if (ret)
			return ret;
	}
	return 0;
}

static int fake_lstat(void *arg, const char *path, mode_t *mode, nlink_t *nlink)
{
	char p[256];

	(void)arg;
	for (size_t i = 0; i < N_TREE; i++) {
		const char *e = tree[i], *eq = strchr(e, '=');
		size_t len = strlen(e);

		bare(e, p);
		if (strcmp(p, path))
			continue;
		*mode = e[len - 1] == '/' ? S_IFDIR : e[len - 1] == '@' ? S_IFLNK : S_IFREG;
		*nlink = eq ? (nlink_t)(eq[1] - '0') : 1;
		return 0;
	}
	return -ENOENT;
}

static const struct wd_ll_fs fake = {.list = fake_list, .lstat = fake_lstat};
static const struct wd_policy_ctx ctx = {"/tmp/job", "/home/u"};

static __u64 access_of(const struct wd_ll_plan *p, const char *path)
{
	const struct wd_ll_rule *r = wd_landlock_plan_rule(p, path);

	return r ? r->access : 0;
}

static const char *policy = "version: 1\nname: t\nidentities: ['*']\n"
			    "exec:\n  allow: [/usr/, \"${workdir}/\"]\n  deny: [/tmp/]\n"
			    "files:\n  read:\n    allow: [/]\n    deny: [/etc/shadow, "
			    "\"${home}/.ssh/\", /etc/ssh/key]\n"
			    "  write:\n    allow: [\"${workdir}/\", /dev/null]\n";

static void test_expand(void **state)
{
	struct wd_compiled *c = compile_ok(policy, &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &fake, &p, why, sizeof(why)), 0);
	/* Uniform trees: one rule each, never the symlink. */
	assert_int_equal(access_of(&p, "/usr"), WD_LL_EXECUTE | WD_LL_READ_FILE | WD_LL_READ_DIR);
	assert_null(wd_landlock_plan_rule(&p, "/bin"));
	/* The workdir inside the exec-denied /tmp: its own rule, /tmp/other none for exec. */
	assert_true(access_of(&p, "/tmp/job") & WD_LL_EXECUTE);
	assert_true(access_of(&p, "/tmp/job") & WD_LL_MAKE_REG);
	assert_true(access_of(&p, "/tmp/job") & WD_LL_TRUNCATE);
	assert_false(access_of(&p, "/tmp/other") & (WD_LL_EXECUTE | WD_LL_MAKE_REG));
	assert_true(access_of(&p, "/tmp") & WD_LL_READ_FILE); /* read of /tmp is uniform */
	/* Denies inside the readable /: siblings get rules, the denied ones none. */
	assert_int_equal(access_of(&p, "/"), WD_LL_READ_DIR);
	assert_int_equal(access_of(&p, "/etc"), WD_LL_READ_DIR);
	assert_int_equal(access_of(&p, "/etc/passwd"), WD_LL_READ_FILE);
	assert_null(wd_landlock_plan_rule(&p, "/etc/shadow"));
	assert_int_equal(access_of(&p, "/etc/ssh/key.pub"), WD_LL_READ_FILE);
	assert_null(wd_landlock_plan_rule(&p, "/etc/ssh/key"));
	assert_int_equal(access_of(&p, "/home/u/notes"), WD_LL_READ_FILE);
	assert_null(wd_landlock_plan_rule(&p, "/home/u/.ssh"));
	assert_null(wd_landlock_plan_rule(&p, "/home/u/.ssh/id"));
	/* Listing: the read-denied directory under a listable tree is a mask. */
	assert_int_equal(p.n_masks, 1);
	assert_string_equal(p.masks[0], "/home/u/.ssh");
	/* An exact write allow is a file rule with file rights only. */
	assert_int_equal(access_of(&p, "/dev/null"), WD_LL_WRITE_FILE | WD_LL_TRUNCATE);
	assert_true(access_of(&p, "/dev") & WD_LL_READ_FILE); /* read: uniform under /dev */
	/* ABI 3 handles everything up to TRUNCATE. */
	assert_int_equal(p.handled, (WD_LL_TRUNCATE << 1) - 1);
	wd_landlock_plan_free(&p);

	/* ABI 1: no REFER or TRUNCATE handled, nor granted. */
	assert_int_equal(wd_landlock_plan(c, 1, 0, &fake, &p, why, sizeof(why)), 0);
	assert_false(p.handled & (WD_LL_REFER | WD_LL_TRUNCATE));
	assert_false(access_of(&p, "/tmp/job") & (WD_LL_REFER | WD_LL_TRUNCATE));
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

/* The verdict of every path of the tree is what the plan grants: what the rules say is what
 * Landlock allows (a path is allowed when its own rule or a directory rule above it grants). */
static bool granted(const struct wd_ll_plan *p, const char *path, __u64 right)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		const struct wd_ll_rule *r = wd_landlock_plan_rule(p, buf);
		char *slash;

		if (r && (r->access & right) && (r->dir || strcmp(buf, path) == 0))
			return true;
		if (strcmp(buf, "/") == 0)
			return false;
		slash = strrchr(buf, '/');
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

static void test_equivalent(void **state)
{
	struct wd_compiled *c = compile_ok(policy, &ctx);
	static const __u64 right[3] = {WD_LL_EXECUTE, WD_LL_READ_FILE, WD_LL_WRITE_FILE};
	struct wd_ll_plan p;
	char why[512] = "", path[256];

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &fake, &p, why, sizeof(why)), 0);
	for (size_t i = 0; i < N_TREE; i++) {
		size_t len = strlen(tree[i]);
		bool dir = tree[i][len - 1] == '/';

		if (tree[i][len - 1] == '@' || strchr(tree[i], '='))
			continue;
		bare(tree[i], path);
		for (int op = 0; op < 3; op++) {
			bool want = wd_compiled_decide(c, path, dir, op, NULL) == WD_V_ALLOW;
			__u64 r = dir && op == WD_OP_READ ? WD_LL_READ_DIR : right[op];
			bool got = granted(&p, path, r);

			/* A listing the mount plan masks is refused there. */
			for (size_t m = 0; dir && op == WD_OP_READ && m < p.n_masks; m++)
				if (strcmp(p.masks[m], path) == 0)
					got = false;
			if (want != got)
				fail_msg("%s op %d: policy %s, plan %s", path, op,
					 want ? "allows" : "denies", want ? "does not" : "does");
		}
	}
	/* Made later in an expanded directory: no rule covers it. */
	assert_false(granted(&p, "/etc/new", WD_LL_READ_FILE));
	assert_true(granted(&p, "/usr/bin/new", WD_LL_READ_FILE));
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

static void test_hardlink_refused(void **state)
{
	struct wd_compiled *c =
		compile_ok("version: 1\nname: t\nidentities: ['*']\n"
			   "files:\n  read:\n    allow: [/]\n    deny:\n      - /srv/linked\n",
			   &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &fake, &p, why, sizeof(why)), -EPERM);
	/* The rule, where it is written, and why. */
	print_message("# %s\n", why);
	assert_non_null(strstr(why, "t.yaml:8:9 files.read deny /srv/linked"));
	assert_non_null(strstr(why, "/srv/linked has 2 hard links"));
	wd_compiled_free(c);

	/* The same file in a denied directory. */
	c = compile_ok("version: 1\nname: t\nidentities: ['*']\n"
		       "files:\n  read:\n    allow: [/]\n    deny: [/srv/]\n",
		       &ctx);
	assert_int_equal(wd_landlock_plan(c, 3, 0, &fake, &p, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/srv/linked"));
	wd_compiled_free(c);
}

/* A read deny inside a writable tree: the denied file and the directories on the way to it
 * cannot be removed or renamed (their parents get no directory-entry rights), while their
 * contents stay writable as the rules say. */
static void test_anchors(void **state)
{
	struct wd_compiled *c =
		compile_ok("version: 1\nname: t\nidentities: ['*']\n"
			   "files:\n  read:\n    allow: [/]\n    deny: [/tmp/job/a.c]\n"
			   "  write:\n    allow: [/tmp/]\n",
			   &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &fake, &p, why, sizeof(why)), 0);
	assert_false(access_of(&p, "/tmp") & (WD_LL_REMOVE_DIR | WD_LL_MAKE_DIR));
	assert_false(access_of(&p, "/tmp/job") & (WD_LL_REMOVE_FILE | WD_LL_MAKE_REG));
	assert_int_equal(access_of(&p, "/tmp/job/a.c"), WD_LL_WRITE_FILE | WD_LL_TRUNCATE);
	assert_true(access_of(&p, "/tmp/other") & WD_LL_REMOVE_FILE); /* no anchor there */
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

static const struct wd_ll_guard *guard(const struct wd_ll_plan *p, const char *path)
{
	const struct wd_ll_guard *g = wd_landlock_plan_guard(p, path);

	if (!g)
		fail_msg("no guard on %s", path);
	return g;
}

/* With mounts: a read deny of an existing file and a write deny of an existing directory inside
 * the writable /tmp leave /tmp one writable, readable tree (new names in it get every right);
 * the denies are guards (a mask, a read-only bind), the names on the way pinned where the job
 * may write their directory. Without mounts, the old expansion. */
static void test_guards(void **state)
{
	struct wd_compiled *c =
		compile_ok("version: 1\nname: t\nidentities: ['*']\n"
			   "files:\n  read:\n    allow: [/]\n    deny: [/tmp/job/a.c, /tmp/none]\n"
			   "  write:\n    allow: [/tmp/]\n    deny: [/tmp/other/]\n",
			   &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 3, WD_LL_PLAN_MOUNTS, &fake, &p, why, sizeof(why)), 0);
	/* One rule for the whole tree, every right: new names there are readable and writable. */
	assert_true(access_of(&p, "/tmp") & WD_LL_MAKE_REG);
	assert_true(access_of(&p, "/tmp") & WD_LL_REMOVE_DIR);
	assert_true(granted(&p, "/tmp/job/new", WD_LL_READ_FILE)); /* "/" reads as one tree */
	assert_true(granted(&p, "/tmp/job/new", WD_LL_WRITE_FILE));
	assert_null(wd_landlock_plan_rule(&p, "/tmp/job"));
	assert_null(wd_landlock_plan_rule(&p, "/tmp/other"));
	assert_int_equal(guard(&p, "/tmp/job/a.c")->kind, WD_LL_GUARD_MASK | WD_LL_GUARD_PIN);
	assert_false(guard(&p, "/tmp/job/a.c")->dir);
	assert_int_equal(guard(&p, "/tmp/other")->kind, WD_LL_GUARD_RO | WD_LL_GUARD_PIN);
	assert_true(guard(&p, "/tmp/other")->dir);
	assert_int_equal(guard(&p, "/tmp/job")->kind, WD_LL_GUARD_PIN);
	assert_int_equal(guard(&p, "/tmp/none")->kind, WD_LL_GUARD_ABSENT);
	assert_null(wd_landlock_plan_guard(&p, "/tmp")); /* "/" is not writable: it stays */
	wd_landlock_plan_free(&p);

	/* Without mounts: expanded, no new names in /tmp, /tmp/job, nor rights on /tmp/other. */
	assert_int_equal(wd_landlock_plan(c, 3, 0, &fake, &p, why, sizeof(why)), 0);
	assert_int_equal(p.n_guards, 0);
	assert_false(access_of(&p, "/tmp") & WD_LL_MAKE_REG);
	assert_false(access_of(&p, "/tmp/job") & WD_LL_MAKE_REG);
	assert_false(access_of(&p, "/tmp/other") & WD_LL_WRITE_FILE);
	assert_false(access_of(&p, "/tmp/job/a.c") & WD_LL_READ_FILE);
	assert_false(granted(&p, "/tmp/job/new", WD_LL_READ_FILE));
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

/* A write deny of a name absent at the start stays with Landlock: making it is refused, so its
 * directory gets no rights for new names (and only it and those above it). */
static void test_guard_absent_write(void **state)
{
	struct wd_compiled *c =
		compile_ok("version: 1\nname: t\nidentities: ['*']\n"
			   "files:\n  read:\n    allow: [/]\n"
			   "  write:\n    allow: [/tmp/]\n    deny: [/tmp/job/.profile]\n",
			   &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 3, WD_LL_PLAN_MOUNTS, &fake, &p, why, sizeof(why)), 0);
	assert_false(access_of(&p, "/tmp") & WD_LL_MAKE_REG);
	assert_false(access_of(&p, "/tmp/job") & WD_LL_MAKE_REG);
	assert_true(access_of(&p, "/tmp/other") & WD_LL_MAKE_REG);
	assert_int_equal(access_of(&p, "/tmp/job/a.c"), WD_LL_WRITE_FILE | WD_LL_TRUNCATE);
	assert_null(wd_landlock_plan_guard(&p, "/tmp/job/.profile"));
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

/* A fake directory /big of @big_n files, one of them (@big_link) with two links. */
static size_t big_n, big_link;

static int big_list(void *arg, const char *dir,
		    int (*fn)(void *ctx, const char *name, unsigned char type), void *cx)
{
	char name[32];
	int ret;

	(void)arg;
	if (strcmp(dir, "/") == 0)
		return fn(cx, "big", DT_DIR);
	if (strcmp(dir, "/big"))
		return -ENOENT;
	for (size_t i = 0; i < big_n; i++) {
		snprintf(name, sizeof(name), "%zu", i);
		ret = fn(cx, name, DT_REG);
		if (ret)
			return ret;
	}
	return 0;
}

static int big_lstat(void *arg, const char *path, mode_t *mode, nlink_t *nlink)
{
	(void)arg;
	*mode = strcmp(path, "/big") && strcmp(path, "/") ? S_IFREG : S_IFDIR;
	*nlink = strncmp(path, "/big/", 5) == 0 && (size_t)atol(path + 5) == big_link ? 2 : 1;
	return 0;
}

static void test_links_unbounded(void **state)
{
	static const struct wd_ll_fs big = {.list = big_list, .lstat = big_lstat};
	struct wd_compiled *c = compile_ok("version: 1\nname: t\nidentities: ['*']\n"
					   "files:\n  read:\n    allow: [/]\n    deny: [/big/]\n",
					   &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	/* The linked file far past the old bound of 20000 is found. */
	big_n = 30000;
	big_link = 29999;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &big, &p, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/big/29999 has 2 hard links"));
	/* Past the bound: refused, naming the rule and the directory, never a silent stop. */
	big_n = WD_LL_WALK_MAX + 1;
	big_link = WD_LL_WALK_MAX + 5;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &big, &p, why, sizeof(why)), -EPERM);
	print_message("# %s\n", why);
	assert_non_null(strstr(why, "t.yaml:7:12 files.read deny /big/"));
	assert_non_null(strstr(why, "/big/ holds more than"));
	/* Within it and no links: planned. */
	big_n = 1000;
	assert_int_equal(wd_landlock_plan(c, 3, 0, &big, &p, why, sizeof(why)), 0);
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

/* ABI 5: IOCTL_DEV handled, granted only on terminals and /dev/null-like devices. */
static void test_ioctl_dev(void **state)
{
	struct wd_compiled *c = compile_ok(policy, &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 5, 0, &fake, &p, why, sizeof(why)), 0);
	assert_true(p.handled & WD_LL_IOCTL_DEV);
	assert_int_equal(access_of(&p, "/dev/null"),
			 WD_LL_WRITE_FILE | WD_LL_TRUNCATE | WD_LL_IOCTL_DEV);
	assert_int_equal(access_of(&p, "/dev/pts"), WD_LL_IOCTL_DEV);
	assert_int_equal(access_of(&p, "/dev/tty"), WD_LL_IOCTL_DEV);
	assert_false(access_of(&p, "/dev") & WD_LL_IOCTL_DEV);
	assert_false(access_of(&p, "/usr") & WD_LL_IOCTL_DEV);
	for (size_t i = 0; i < p.n_rules; i++)
		if ((p.rules[i].access & WD_LL_IOCTL_DEV) && strncmp(p.rules[i].path, "/dev/", 5))
			fail_msg("ioctl granted on %s", p.rules[i].path);
	wd_landlock_plan_free(&p);
	assert_int_equal(wd_landlock_plan(c, 4, 0, &fake, &p, why, sizeof(why)), 0);
	assert_false(p.handled & WD_LL_IOCTL_DEV);
	assert_null(wd_landlock_plan_rule(&p, "/dev/pts"));
	wd_landlock_plan_free(&p);
	wd_compiled_free(c);
}

static void test_no_landlock(void **state)
{
	struct wd_compiled *c = compile_ok(policy, &ctx);
	struct wd_ll_plan p;
	char why[512] = "";

	(void)state;
	assert_int_equal(wd_landlock_plan(c, 0, 0, &fake, &p, why, sizeof(why)), -EOPNOTSUPP);
	wd_compiled_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),		 cmocka_unit_test(test_equivalent),
		cmocka_unit_test(test_hardlink_refused), cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_guards),		 cmocka_unit_test(test_guard_absent_write),
		cmocka_unit_test(test_links_unbounded),	 cmocka_unit_test(test_ioctl_dev),
		cmocka_unit_test(test_no_landlock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
