// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: socket family names (user/policy/sockets.c). */
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

static void families(void **state)
{
	assert_int_equal(wd_family_by_name("unix"), AF_UNIX);
	assert_int_equal(wd_family_by_name("inet6"), AF_INET6);
	assert_int_equal(wd_family_by_name("netlink"), AF_NETLINK);
	assert_int_equal(wd_family_by_name("packet"), AF_PACKET);
	assert_int_equal(wd_family_by_name("vsock"), AF_VSOCK);
	assert_int_equal(wd_family_by_name("alg"), AF_ALG);
	assert_int_equal(wd_family_by_name("xdp"), 44);
	assert_int_equal(wd_family_by_name("bluetooth"), AF_BLUETOOTH);
	assert_int_equal(wd_family_by_name("can"), AF_CAN);
	assert_int_equal(wd_family_by_name("key"), AF_KEY);
	assert_int_equal(wd_family_by_name("INET"), -ENOENT);
	assert_string_equal(wd_family_name(AF_INET6), "inet6");
	assert_null(wd_family_name(63));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(families),
	};

	return cmocka_run_group_tests_name("policy_sockets", tests, NULL, NULL);
}
