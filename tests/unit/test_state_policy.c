// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: state/policy.c, the policies and their history, on a temporary directory. Policies keep
 * their history in order. */
#include "state_fixture.h"

/* ---- Policies -------------------------------------------------------------------------------- */

struct gens {
	uint64_t v[16];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int collect_gen(const struct wd_state_policy *p, void *arg)
{
	struct gens *g = arg;

	assert_null(p->text); /* histories carry no texts */
	assert_int_equal(strlen(p->sha256), 64);
	g->v[g->n++] = p->generation;
	return g->stop_after && g->n == g->stop_after ? 7 : 0;
}

static void policy_history_in_order(void **state)
{
	struct fx *fx = *state;
	struct wd_state_policy p[5] = {
		policy(WD_TARGET_NODE, NULL, "abc", T0 + 1 * SEC),
		policy(WD_TARGET_IDENTITY, "ci:a", "identity one", T0 + 2 * SEC),
		policy(WD_TARGET_NODE, "", "node two", T0 + 3 * SEC),
		policy(WD_TARGET_IDENTITY, "ci:a", "identity two", T0 + 4 * SEC),
		policy(WD_TARGET_NODE, NULL, "node three", T0 + 5 * SEC),
	};
	struct wd_state_policy *got, bad;
	struct gens g = {0};
	struct wd_state *st;
	size_t i;

	st = open_ok(fx->path, 0);
	for (i = 0; i < 5; i++) {
		call_ok(st, wd_state_policy_record(st, &p[i]));
		assert_int_equal(p[i].generation, i + 1);
	}
	/* FIPS 180-2's test vector: SHA-256("abc"). */
	assert_string_equal(p[0].sha256,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	call_ok(st, wd_state_policy_current(st, WD_TARGET_NODE, NULL, &got));
	assert_int_equal(got->generation, 5);
	assert_int_equal(got->text_len, strlen("node three"));
	assert_memory_equal(got->text, "node three", got->text_len);
	assert_int_equal(got->superseded_at, 0);
	wd_state_policy_free(got);
	call_ok(st, wd_state_policy_current(st, WD_TARGET_IDENTITY, "ci:a", &got));
	assert_int_equal(got->generation, 4);
	wd_state_policy_free(got);

	/* An old generation: its text, and when the next one replaced it. */
	call_ok(st, wd_state_policy_get(st, WD_TARGET_NODE, "", 1, &got));
	assert_memory_equal(got->text, "abc", 3);
	assert_int_equal(got->superseded_at, T0 + 3 * SEC);
	wd_state_policy_free(got);
	call_ok(st, wd_state_policy_get(st, WD_TARGET_IDENTITY, "ci:a", 2, &got));
	assert_int_equal(got->superseded_at, T0 + 4 * SEC);
	wd_state_policy_free(got);
	/* Generation 3 is the node's, not the identity's. */
	expect_err(st, wd_state_policy_get(st, WD_TARGET_IDENTITY, "ci:a", 3, &got), -ENOENT,
		   "identity ci:a has no policy generation 3");
	expect_err(st, wd_state_policy_current(st, WD_TARGET_IDENTITY, "ci:b", &got), -ENOENT,
		   "identity ci:b has no policy applied");
	assert_null(got);

	call_ok(st, wd_state_policy_history(st, WD_TARGET_NODE, NULL, collect_gen, &g));
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0], 1);
	assert_int_equal(g.v[1], 3);
	assert_int_equal(g.v[2], 5);
	g = (struct gens){0};
	call_ok(st, wd_state_policy_history(st, 0, NULL, collect_gen, &g));
	assert_int_equal(g.n, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(g.v[i], i + 1);
	g = (struct gens){.stop_after = 2};
	assert_int_equal(wd_state_policy_history(st, 0, NULL, collect_gen, &g), 7);
	assert_int_equal(g.n, 2);
	g = (struct gens){0};
	call_ok(st, wd_state_policy_history(st, WD_TARGET_IDENTITY, "ci:b", collect_gen, &g));
	assert_int_equal(g.n, 0);

	/* A policy is recorded durably or not at all. */
	bad = policy(WD_TARGET_NODE, NULL, "never", T0 + 6 * SEC);
	call_ok(st, wd_state_begin(st, 0));
	expect_err(st, wd_state_policy_record(st, &bad), -EINVAL, "WD_STATE_TX_DURABLE");
	wd_state_rollback(st);
	call_ok(st, wd_state_begin(st, WD_STATE_TX_DURABLE));
	call_ok(st, wd_state_policy_record(st, &bad));
	assert_int_equal(bad.generation, 6);
	wd_state_rollback(st);
	call_ok(st, wd_state_policy_current(st, WD_TARGET_NODE, NULL, &got));
	assert_int_equal(got->generation, 5);
	wd_state_policy_free(got);

	bad = policy(WD_TARGET_NODE, "ci:a", "x", T0);
	expect_err(st, wd_state_policy_record(st, &bad), -EINVAL, "takes no target name");
	bad = policy(WD_TARGET_IDENTITY, NULL, "x", T0);
	expect_err(st, wd_state_policy_record(st, &bad), -EINVAL, "target identity is missing");
	bad = policy(WD_TARGET_NODE, NULL, "x", 0);
	expect_err(st, wd_state_policy_record(st, &bad), -EINVAL, "missing");
	bad = policy(WD_TARGET_NODE, NULL, "x", T0);
	bad.text_len = WD_STATE_POLICY_MAX + 1;
	expect_err(st, wd_state_policy_record(st, &bad), -EINVAL, "more than the");
	wd_state_close(st);

	/* The next generation is one more than any before, after reopening too. */
	st = open_ok(fx->path, 0);
	bad = policy(WD_TARGET_SANDBOX, SB1, "sandbox", T0 + 7 * SEC);
	call_ok(st, wd_state_policy_record(st, &bad));
	assert_int_equal(bad.generation, 6);
	wd_state_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(policy_history_in_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
