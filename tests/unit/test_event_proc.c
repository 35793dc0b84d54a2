// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: /proc for events (user/event/proc.c). The reader parses a fake tree (a comm with spaces
 * and parentheses) and this process's own entry. The pid cache in front of it: a hit hands out
 * the cache's own entry, copying nothing; a failed read of another pid does not evict it;
 * forget() does; a miss reads /proc (this process's own entry, so no root is needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "event/proc.h"

#define SB "sb-0123456789abcdef"

static void procfs_reader(void **state)
{
	char dir[] = "/tmp/wd-proc-XXXXXX", path[256];
	struct wd_proc_info pi;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/42", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/42/stat", dir);
	fp = fopen(path, "w");
	/* comm with a space and a parenthesis, as the kernel allows. */
	fprintf(fp, "42 (a b) c) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 "
		    "1000 100 18446744073709551615\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/42/status", dir);
	fp = fopen(path, "w");
	fprintf(fp, "Name:\tx\nUid:\t0\t0\t0\t0\nGid:\t33\t33\t33\t33\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/42/cgroup", dir);
	fp = fopen(path, "w");
	fprintf(fp, "0::/warden/" SB "\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/42/exe", dir);
	assert_int_equal(symlink("/usr/bin/true", path), 0);

	assert_int_equal(wd_proc_lookup_procfs(dir, 42, &pi), 0);
	assert_int_equal(pi.ppid, 7);
	assert_int_equal(pi.start_ticks, 123456);
	assert_int_equal(pi.gid, 33);
	assert_string_equal(pi.comm, "a b) c");
	assert_string_equal(pi.exe, "/usr/bin/true");
	assert_string_equal(pi.cgroup, "/warden/" SB);
	assert_int_equal(wd_proc_lookup_procfs(dir, 43, &pi), -ENOENT);

	/* The real /proc: ourselves. */
	assert_int_equal(wd_proc_lookup_procfs(NULL, (uint32_t)getpid(), &pi), 0);
	assert_int_equal(pi.ppid, (uint32_t)getppid());
	assert_true(pi.start_ticks > 0);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void hit_points_into_the_cache(void **state)
{
	struct wd_proc_cache *c = wd_proc_cache_new(60000);
	const struct wd_proc_info *a = NULL, *b = NULL, *x = NULL;
	uint32_t pid = (uint32_t)getpid();
	/* Maps to the same slot (the slot count is a power of two below 2^30) and is above
	 * any pid_max, so it cannot exist. */
	uint32_t ghost = pid + (1u << 30);
	struct wd_proc_info buf;
	char comm[WD_COMM_LEN];

	(void)state;
	assert_non_null(c);
	assert_int_equal(wd_proc_cache_lookup(c, pid, &buf, &a), 0);
	assert_non_null(a);
	assert_ptr_not_equal(a, &buf);
	assert_int_equal(a->ppid, (uint32_t)getppid());
	assert_true(a->exe[0] == '/');
	memcpy(comm, a->comm, sizeof(comm));

	/* The entry handed out is the cache's: what is in it is what the next hit returns. */
	strcpy(((struct wd_proc_info *)a)->comm, "marked");
	assert_int_equal(wd_proc_cache_lookup(c, pid, &buf, &b), 0);
	assert_ptr_equal(a, b);
	assert_string_equal(b->comm, "marked");

	assert_int_equal(wd_proc_cache_lookup(c, ghost, &buf, &x), -ENOENT);
	assert_int_equal(wd_proc_cache_lookup(c, pid, &buf, &b), 0);
	assert_string_equal(b->comm, "marked");

	/* forget() (an exec) drops it: /proc is read again. */
	wd_proc_cache_forget(c, pid);
	assert_int_equal(wd_proc_cache_lookup(c, pid, &buf, &b), 0);
	assert_string_equal(b->comm, comm);
	wd_proc_cache_free(c);
}

static void expired_entry_is_read_again(void **state)
{
	struct wd_proc_cache *c = wd_proc_cache_new(0);
	const struct wd_proc_info *a = NULL;
	uint32_t pid = (uint32_t)getpid();
	struct wd_proc_info buf;

	(void)state;
	assert_non_null(c);
	assert_int_equal(wd_proc_cache_lookup(c, pid, &buf, &a), 0);
	strcpy(((struct wd_proc_info *)a)->comm, "marked");
	/* A TTL of 0: every lookup is a miss. */
	assert_int_equal(wd_proc_cache_lookup(c, pid, &buf, &a), 0);
	assert_string_not_equal(a->comm, "marked");
	wd_proc_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procfs_reader),
		cmocka_unit_test(hit_points_into_the_cache),
		cmocka_unit_test(expired_entry_is_read_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
