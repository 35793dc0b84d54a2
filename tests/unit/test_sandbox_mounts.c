// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: rung 3's mount plan (user/sandbox/mounts.c) from a mount table: each mount takes the
 * rules at its mount point (writable and executable in the workdir, read-only where the host made
 * it so or it holds device nodes), guards become read-only binds and masks, the job's own
 * coredump_filter is bound writable; and mounts that show a denied directory's contents under
 * another name are found (a bind of a directory inside it, a volume mounted inside it). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "policy_compile.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"

#define WRITE_TREE                                                                                 \
	(WD_LL_WRITE_FILE | WD_LL_MAKE_REG | WD_LL_MAKE_DIR | WD_LL_REMOVE_FILE | WD_LL_TRUNCATE)

static const char *const table = "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
				 "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw\n"
				 "26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600\n"
				 "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
				 "40 27 0:40 / /tmp/job/cache rw,nodev - tmpfs tmpfs rw\n"
				 "41 27 0:41 / /tmp/job/ro ro,relatime - tmpfs tmpfs ro\n"
				 "42 27 0:42 / /mnt/x rw - tmpfs tmpfs rw\n"
				 "43 27 0:43 / /tmp/job/wdir/sub rw - tmpfs tmpfs rw\n";

static const struct wd_mount_op *op_at(const struct wd_mount_plan *p, enum wd_mount_kind kind,
				       const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].kind == kind && strcmp(p->ops[i].path, path) == 0)
			return &p->ops[i];
	fail_msg("no op %d on %s", kind, path);
	return NULL;
}

#define ASSERT_FLAGS(op, set, clear)                                                               \
	do {                                                                                       \
		assert_int_equal((op)->flags &(set), (set));                                       \
		assert_int_equal((op)->flags &(clear), 0);                                         \
	} while (0)

static void test_plan(void **state)
{
	struct wd_ll_rule rules[] = {
		{.path = "/", .access = WD_LL_READ_FILE | WD_LL_READ_DIR, .dir = true},
		{.path = "/dev/pts", .access = WRITE_TREE | WD_LL_IOCTL_DEV, .dir = true},
		{.path = "/tmp/job", .access = WRITE_TREE | WD_LL_EXECUTE, .dir = true},
	};
	struct wd_ll_guard guards[] = {
		{.path = "/tmp/job/absent", .kind = WD_LL_GUARD_ABSENT},
		{.path = "/tmp/job/rdir", .kind = WD_LL_GUARD_MASK | WD_LL_GUARD_PIN, .dir = true},
		{.path = "/tmp/job/secret", .kind = WD_LL_GUARD_MASK},
		{.path = "/tmp/job/wdir", .kind = WD_LL_GUARD_RO | WD_LL_GUARD_PIN, .dir = true},
	};
	struct wd_ll_plan ll = {.rules = rules, .n_rules = 3, .guards = guards, .n_guards = 4};
	struct wd_mount_plan p;
	char why[256] = "";
	FILE *f = fmemopen((void *)table, strlen(table), "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(wd_mounts_plan(f, &ll, &p, why, sizeof(why)), 0);
	fclose(f);
	/* Mounts by the rules at their mount point. */
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/"), MS_RDONLY | MS_NOEXEC | MS_NOSUID, 0);
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/proc"), MS_RDONLY | MS_NOEXEC, 0);
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/tmp/job/cache"), MS_NOSUID | MS_NODEV,
		     MS_RDONLY | MS_NOEXEC);
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/tmp/job/ro"), MS_RDONLY, MS_NOEXEC);
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/mnt/x"), MS_RDONLY | MS_NOEXEC, 0);
	/* Device nodes: never a writable mount, whatever the rules (chmod of /dev/pts/ptmx). */
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/dev/pts"), MS_RDONLY, 0);
	ASSERT_FLAGS(op_at(&p, WD_MNT_BIND, "/dev/pts"), MS_RDONLY, 0);
	/* A mount inside a write-denied tree stays read-only. */
	ASSERT_FLAGS(op_at(&p, WD_MNT_REMOUNT, "/tmp/job/wdir/sub"), MS_RDONLY | MS_NODEV, 0);
	/* Binds: the workdir writable and executable, the write-denied tree read-only, nodev. */
	ASSERT_FLAGS(op_at(&p, WD_MNT_BIND, "/tmp/job"), MS_NOSUID, MS_RDONLY | MS_NOEXEC);
	ASSERT_FLAGS(op_at(&p, WD_MNT_BIND, "/tmp/job/wdir"), MS_RDONLY | MS_NODEV, 0);
	/* Masks for the read-denied ones; nothing for the absent one. */
	op_at(&p, WD_MNT_MASK, "/tmp/job/rdir");
	op_at(&p, WD_MNT_MASK_FILE, "/tmp/job/secret");
	for (size_t i = 0; i < p.n; i++)
		assert_string_not_equal(p.ops[i].path, "/tmp/job/absent");
	/* Parents first, masks after every bind. */
	for (size_t i = 1; i < p.n; i++)
		if (p.ops[i - 1].kind == WD_MNT_MASK || p.ops[i - 1].kind == WD_MNT_MASK_FILE)
			assert_true(p.ops[i].kind != WD_MNT_BIND ||
				    strcmp(p.ops[i].path, "/proc/self/coredump_filter") == 0);
	/* The job's own coredump_filter, writable. */
	ASSERT_FLAGS(op_at(&p, WD_MNT_BIND, "/proc/self/coredump_filter"), MS_NOSUID, MS_RDONLY);
	wd_mounts_free(&p);
}

/* The mount table @k (after a root mount of the device @ma:@mi) around the denied @dir. */
static void alias_table(int k, unsigned ma, unsigned mi, const char *dir, char *out, size_t size)
{
	int n = snprintf(out, size, "1 0 %u:%u / / rw - ext4 x rw\n", ma, mi);

	out += n;
	size -= (size_t)n;
	switch (k) {
	case 1: /* a directory inside it, shown elsewhere */
		snprintf(out, size, "2 1 %u:%u %s/sub /mnt/alias rw - ext4 x rw\n", ma, mi, dir);
		break;
	case 2: /* the whole file system, again */
		snprintf(out, size, "2 1 %u:%u / /mnt/whole rw - ext4 x rw\n", ma, mi);
		break;
	case 3: /* a volume mounted inside it, and a part of it elsewhere */
		snprintf(out, size,
			 "2 1 0:77 / %s/vol rw - tmpfs t rw\n3 1 0:77 /d /mnt/vol2 rw - tmpfs t "
			 "rw\n",
			 dir);
		break;
	case 4: /* a volume inside it, nowhere else */
		snprintf(out, size, "2 1 0:77 / %s/vol rw - tmpfs t rw\n", dir);
		break;
	case 5: /* a bind from inside it to inside it */
		snprintf(out, size, "2 1 %u:%u %s/sub %s/sub2 rw - ext4 x rw\n", ma, mi, dir, dir);
		break;
	default:
		break;
	}
}

/* A denied directory on the device of "/" (a real one, for its st_dev), and the mount tables
 * that show it, or what is in it, elsewhere. */
static void test_aliases(void **state)
{
	static const struct wd_policy_ctx cx = {"/tmp/job", "/home/u"};
	static const char *const want[] = {NULL,	"/mnt/alias", "/mnt/whole",
					   "/mnt/vol2", NULL,	      NULL};
	char dir[] = "/tmp/wd-ut-mounts.XXXXXX", yaml[512], mi[2048], why[512];
	struct wd_compiled *c;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(stat(dir, &st), 0);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: t\nidentities: ['*']\n"
		 "files:\n  read:\n    allow: [/]\n    deny: [%s/]\n",
		 dir);
	c = compile_ok(yaml, &cx);
	for (int k = 0; k < 6; k++) {
		FILE *f;

		alias_table(k, major(st.st_dev), minor(st.st_dev), dir, mi, sizeof(mi));
		f = fmemopen(mi, strlen(mi), "r");
		assert_non_null(f);
		why[0] = '\0';
		if (!want[k]) {
			if (wd_mounts_check_aliases(f, c, why, sizeof(why)))
				fail_msg("table %d: %s", k, why);
		} else {
			assert_int_equal(wd_mounts_check_aliases(f, c, why, sizeof(why)), -EPERM);
			print_message("# %s\n", why);
			assert_non_null(strstr(why, want[k]));
			assert_non_null(strstr(why, "t.yaml:7:"));
		}
		fclose(f);
	}
	wd_compiled_free(c);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_aliases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
