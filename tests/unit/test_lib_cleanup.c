// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: lib/cleanup.h closes and frees at the end of the scope, and TAKE_* hand out. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/cleanup.h"

static int open_null(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int scoped(bool keep)
{
	_cleanup_fd_ int fd = open_null();

	assert_true(fd >= 0);
	return keep ? TAKE_FD(fd) : fd; /* the number, closed on return unless taken */
}

static void fd_closed_at_scope_end(void **state)
{
	int fd = scoped(false);

	assert_false(fd_open(fd));
	assert_int_equal(errno, EBADF);
}

static void take_fd_keeps_it_open(void **state)
{
	int fd = scoped(true);

	assert_true(fd_open(fd));
	close(fd);
}

static int freed;
static void count_free(int **p)
{
	if (*p) {
		freed++;
		free(*p);
	}
}

static int *alloc_scoped(bool keep)
{
	_cleanup_with_(count_free) int *p = malloc(sizeof(*p));

	assert_non_null(p);
	return keep ? TAKE_PTR(p) : NULL;
}

static void ptr_freed_unless_taken(void **state)
{
	int *kept;

	freed = 0;
	assert_null(alloc_scoped(false));
	assert_int_equal(freed, 1);
	kept = alloc_scoped(true);
	assert_non_null(kept);
	assert_int_equal(freed, 1);
	free(kept);
}

static void free_and_file_accept_empty(void **state)
{
	_cleanup_free_ char *s = NULL;
	_cleanup_file_ FILE *f = NULL;
	_cleanup_fd_ int fd = -1;

	(void)s;
	(void)f;
	(void)fd;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fd_closed_at_scope_end),
		cmocka_unit_test(take_fd_keeps_it_open),
		cmocka_unit_test(ptr_freed_unless_taken),
		cmocka_unit_test(free_and_file_accept_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
