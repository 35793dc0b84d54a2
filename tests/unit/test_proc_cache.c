// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the pid cache in front of /proc. A hit hands out the cache's own entry, copying
 * nothing; a failed read of another pid does not evict it; forget() does; a miss reads
 * /proc (this process's own entry, so no root is needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "event/event.h"
#include "event/nodeseq.h"

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
		cmocka_unit_test(hit_points_into_the_cache),
		cmocka_unit_test(expired_entry_is_read_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
