// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the scan for the node's unix sockets at a rung 3 start (user/sandbox/sockets.c) on a tree
 * of real sockets: found to the depth bound and counted beyond it, symbolic links not followed,
 * nested roots read once, the entries bound reached and said, network mounts counted, bound
 * paths of /proc/net/unix found at any depth, allowed ones left; and their covers in the mount
 * plan (mounts.c), with every other name the mount table gives the same socket. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <cmocka.h>

#include "sandbox/mounts.h"
#include "sandbox/sockets.h"

static char dir[PATH_MAX];

static void path_of(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, rel);
}

static void make_sock(const char *rel)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, rel);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
}

static void make_dir(const char *rel)
{
	char p[PATH_MAX];

	path_of(p, rel);
	assert_int_equal(mkdir(p, 0700), 0);
}

/* dir/a.sock, dir/file, dir/link -> a.sock, dir/sub/b.sock, dir/sub/deep/c.sock */
static int setup(void **state)
{
	char p[PATH_MAX], q[PATH_MAX];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/wd-socks.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	make_sock("a.sock");
	path_of(p, "file");
	f = fopen(p, "w");
	if (!f)
		return -1;
	fclose(f);
	path_of(p, "a.sock");
	path_of(q, "link");
	if (symlink(p, q))
		return -1;
	make_dir("sub");
	make_sock("sub/b.sock");
	make_dir("sub/deep");
	make_sock("sub/deep/c.sock");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static bool has(const struct wd_sock_scan *s, const char *rel)
{
	char p[PATH_MAX];

	path_of(p, rel);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->paths[i], p) == 0)
			return true;
	return false;
}

static void depth_bound(void **state)
{
	struct wd_sock_root r[] = {{dir, 2}};
	struct wd_sock_scan s;
	char deep[PATH_MAX];

	(void)state;
	assert_int_equal(wd_sockets_scan_roots(r, 1, NULL, NULL, NULL, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "a.sock"));
	assert_true(has(&s, "sub/b.sock"));
	assert_true(strcmp(s.paths[0], s.paths[1]) < 0);
	/* the symlink is not a socket file of its own, the deep one is counted, not seen */
	assert_int_equal(s.n_deep, 1);
	path_of(deep, "sub/deep");
	assert_string_equal(s.deep_at, deep);
	assert_false(s.full);
	assert_int_equal(s.n_entries, 6); /* a.sock file link sub, b.sock deep */
	wd_sockets_free(&s);

	r[0].depth = 3;
	assert_int_equal(wd_sockets_scan_roots(r, 1, NULL, NULL, NULL, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(has(&s, "sub/deep/c.sock"));
	assert_int_equal(s.n_deep, 0);
	wd_sockets_free(&s);
}

static void nested_roots_once(void **state)
{
	char sub[PATH_MAX];
	struct wd_sock_root r[] = {{dir, 3}, {sub, 2}, {dir, 3}};
	struct wd_sock_scan s;

	(void)state;
	path_of(sub, "sub");
	assert_int_equal(wd_sockets_scan_roots(r, 3, NULL, NULL, NULL, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.n_entries, 7); /* read once */
	wd_sockets_free(&s);

	/* the same root twice: read once, to the deeper of the two */
	r[0].depth = 1;
	r[1].path = dir;
	r[1].depth = 3;
	assert_int_equal(wd_sockets_scan_roots(r, 2, NULL, NULL, NULL, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.n_entries, 7);
	assert_int_equal(s.n_deep, 0);
	wd_sockets_free(&s);

	/* a root deeper than the earlier one reaches: scanned itself */
	r[1].path = sub;
	r[1].depth = 2;
	r[0].depth = 1;
	assert_int_equal(wd_sockets_scan_roots(r, 2, NULL, NULL, NULL, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.n_deep, 1); /* dir/sub, from the first root */
	wd_sockets_free(&s);
}

static void entries_bound(void **state)
{
	struct wd_sock_root r[] = {{dir, 3}};
	struct wd_sock_scan s;
	char desc[512];

	(void)state;
	assert_int_equal(wd_sockets_scan_roots(r, 1, NULL, NULL, NULL, 2, NULL, NULL, &s), 0);
	assert_true(s.full);
	assert_int_equal(s.n_entries, 2);
	assert_string_equal(s.full_at, dir);
	wd_sockets_describe(&s, desc, sizeof(desc));
	assert_non_null(strstr(desc, "NOT ENFORCED: the scan stopped at its bound of 2 entries"));
	wd_sockets_free(&s);
}

static bool allow_b(void *ctx, const char *path)
{
	(*(int *)ctx)++;
	return strstr(path, "/b.sock") != NULL;
}

static void allowed_left(void **state)
{
	struct wd_sock_root r[] = {{dir, 3}};
	struct wd_sock_scan s;
	char desc[512];
	int asked = 0;

	(void)state;
	assert_int_equal(wd_sockets_scan_roots(r, 1, NULL, NULL, NULL, 100, allow_b, &asked, &s),
			 0);
	assert_int_equal(asked, 3);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.n_allowed, 1);
	assert_false(has(&s, "sub/b.sock"));
	wd_sockets_describe(&s, desc, sizeof(desc));
	assert_string_equal(desc, "at this start: 2 covered, 1 allowed, 7 entries scanned");
	wd_sockets_free(&s);
}

static void remote_and_pseudo(void **state)
{
	char sub[PATH_MAX], deep[PATH_MAX];
	const char *remote[] = {sub, NULL}, *pseudo[] = {deep, NULL};
	struct wd_sock_root r[] = {{dir, 3}};
	struct wd_sock_scan s;

	(void)state;
	path_of(sub, "sub");
	assert_int_equal(wd_sockets_scan_roots(r, 1, NULL, remote, NULL, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.n_remote, 1);
	assert_string_equal(s.remote_at, sub);
	wd_sockets_free(&s);

	path_of(deep, "sub/deep");
	assert_int_equal(wd_sockets_scan_roots(r, 1, NULL, NULL, pseudo, 100, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.n_remote, 0); /* /proc, /sys: nothing to say */
	wd_sockets_free(&s);
}

static void net_unix_paths(void **state)
{
	char text[4 * PATH_MAX], c[PATH_MAX], f[PATH_MAX];
	struct wd_sock_root r[] = {{dir, 1}};
	struct wd_sock_scan s;

	(void)state;
	path_of(c, "sub/deep/c.sock");
	path_of(f, "file");
	snprintf(text, sizeof(text),
		 "Num       RefCount Protocol Flags    Type St Inode Path\n"
		 "0000000000000000: 00000002 00000000 00010000 0001 01 1001 %s\n"
		 "0000000000000000: 00000002 00000000 00010000 0001 01 1002 @abstract\n"
		 "0000000000000000: 00000002 00000000 00010000 0001 01 1003 %s\n"
		 "0000000000000000: 00000003 00000000 00000000 0001 03 1004\n"
		 "0000000000000000: 00000002 00000000 00010000 0001 01 1005 rel.sock\n",
		 c, f);
	assert_int_equal(wd_sockets_scan_roots(r, 1, text, NULL, NULL, 100, NULL, NULL, &s), 0);
	/* a.sock by the walk, c.sock by its bound path; not a file, abstract or relative one */
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "a.sock"));
	assert_true(has(&s, "sub/deep/c.sock"));
	wd_sockets_free(&s);
}

static const struct wd_mount_op *op_at(const struct wd_mount_plan *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->ops[i].path, path) == 0)
			return &p->ops[i];
	return NULL;
}

/* The covers: each socket once, and the other name a mount table gives it (a bind of its
 * directory elsewhere: here a hard link stands for it), not a name that is another file. */
static void covers_and_aliases(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], other[PATH_MAX], alias[PATH_MAX], table[8 * PATH_MAX];
	char *paths[3];
	struct wd_mount_plan p = {0};
	struct stat st;
	char why[256] = "";
	FILE *mi;

	(void)state;
	path_of(a, "a.sock");
	path_of(b, "sub/b.sock");
	path_of(other, "other");
	assert_int_equal(mkdir(other, 0700), 0);
	snprintf(alias, sizeof(alias), "%s/a.sock", other);
	assert_int_equal(link(a, alias), 0);
	assert_int_equal(stat(dir, &st), 0);
	/* the directory's file system at /, and its directory again at dir/other; dir/sub is also
	 * shown at dir/other (as b.sock is not linked there, no cover) */
	snprintf(table, sizeof(table),
		 "27 1 %u:%u / / rw - ext4 /dev/vda rw\n"
		 "50 27 %u:%u %s %s rw - ext4 /dev/vda rw\n"
		 "51 27 %u:%u %s/sub %s rw - ext4 /dev/vda rw\n",
		 major(st.st_dev), minor(st.st_dev), major(st.st_dev), minor(st.st_dev), dir, other,
		 major(st.st_dev), minor(st.st_dev), dir, other);
	paths[0] = a;
	paths[1] = b;
	paths[2] = a; /* twice: one cover */
	mi = fmemopen(table, strlen(table), "r");
	assert_non_null(mi);
	assert_int_equal(wd_mounts_plan_sockets(mi, paths, 3, &p, why, sizeof(why)), 0);
	fclose(mi);
	assert_int_equal(p.n, 3);
	assert_non_null(op_at(&p, a));
	assert_int_equal(op_at(&p, a)->kind, WD_MNT_MASK_FILE);
	assert_non_null(op_at(&p, b));
	assert_non_null(op_at(&p, alias));
	assert_int_equal(op_at(&p, alias)->kind, WD_MNT_MASK_FILE);
	wd_mounts_free(&p);
	unlink(alias);
	rmdir(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(depth_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_roots_once, setup, teardown),
		cmocka_unit_test_setup_teardown(entries_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(allowed_left, setup, teardown),
		cmocka_unit_test_setup_teardown(remote_and_pseudo, setup, teardown),
		cmocka_unit_test_setup_teardown(net_unix_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(covers_and_aliases, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
