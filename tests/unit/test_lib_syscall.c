// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: x86_64 system call names by number, and error names, for seccomp refusal events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "lib/syscall.h"

static void names(void **state)
{
	(void)state;
	/* The kernel's x86_64 numbers, written out: a table shifted by one fails here. */
	assert_string_equal(wd_syscall_name(16), "ioctl");
	assert_string_equal(wd_syscall_name(41), "socket");
	assert_string_equal(wd_syscall_name(165), "mount");
	assert_string_equal(wd_syscall_name(250), "keyctl");
	assert_string_equal(wd_syscall_name(272), "unshare");
	assert_string_equal(wd_syscall_name(321), "bpf");
	assert_string_equal(wd_syscall_name(435), "clone3");
	assert_string_equal(wd_syscall_name(437), "openat2");
	assert_string_equal(wd_syscall_name(452), "fchmodat2");
	assert_string_equal(wd_syscall_name(467), "open_tree_attr");
	assert_string_equal(wd_syscall_name(SYS_keyctl), "keyctl");
	/* Calls it does not name, and numbers past the table. */
	assert_null(wd_syscall_name(SYS_read));
	assert_null(wd_syscall_name(468));
	assert_null(wd_syscall_name(100000));
	assert_null(wd_syscall_name(~0u));
}

static void errors(void **state)
{
	(void)state;
	assert_string_equal(wd_errno_name(EPERM), "EPERM");
	assert_string_equal(wd_errno_name(ENOSYS), "ENOSYS");
	assert_null(wd_errno_name(0));
	assert_null(wd_errno_name(9999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
