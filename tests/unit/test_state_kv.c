// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: state/kv.c, the daemon's facts, on a temporary directory. They round-trip, and what is
 * not set, too long or not a number is refused. */
#include "state_fixture.h"

/* ---- Facts ---------------------------------------------------------------------------------- */

static void daemon_facts(void **state)
{
	struct fx *fx = *state;
	struct wd_state *st;
	char buf[8];
	uint64_t v = 1;

	st = open_ok(fx->path, 0);
	expect_err(st, wd_state_kv_get(st, "boot_id", buf, sizeof(buf)), -ENOENT,
		   "\"boot_id\" is not set");
	expect_err(st, wd_state_kv_get_u64(st, "node.seq", &v), -ENOENT, "not set");
	assert_int_equal(v, 1);
	call_ok(st, wd_state_kv_set(st, "boot_id", "abc"));
	call_ok(st, wd_state_kv_set(st, "boot_id", "defg"));
	call_ok(st, wd_state_kv_get(st, "boot_id", buf, sizeof(buf)));
	assert_string_equal(buf, "defg");
	expect_err(st, wd_state_kv_get(st, "boot_id", buf, 4), -ENOBUFS, "takes 5 bytes");
	expect_err(st, wd_state_kv_get_u64(st, "boot_id", &v), -EINVAL, "not a number");
	call_ok(st, wd_state_kv_set(st, "empty", ""));
	call_ok(st, wd_state_kv_get(st, "empty", buf, sizeof(buf)));
	assert_string_equal(buf, "");
	expect_err(st, wd_state_kv_get_u64(st, "empty", &v), -EINVAL, "not a number");
	call_ok(st, wd_state_kv_set(st, "neg", "-1"));
	expect_err(st, wd_state_kv_get_u64(st, "neg", &v), -EINVAL, "not a number");
	call_ok(st, wd_state_kv_set(st, "big", "18446744073709551616"));
	expect_err(st, wd_state_kv_get_u64(st, "big", &v), -EINVAL, "not a number");
	call_ok(st, wd_state_kv_set_u64(st, "node.seq", UINT64_MAX));
	call_ok(st, wd_state_kv_get_u64(st, "node.seq", &v));
	assert_true(v == UINT64_MAX);
	expect_err(st, wd_state_kv_set(st, "", "x"), -EINVAL, "key is missing");
	wd_state_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(daemon_facts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
