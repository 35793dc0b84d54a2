// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: state/sandbox.c, the sandboxes, on a temporary directory. Sandboxes end once and expire
 * by their TTL. */
#include "state_fixture.h"

/* ---- Sandboxes ------------------------------------------------------------------------------- */

static void sandbox_lifecycle(void **state)
{
	struct fx *fx = *state;
	struct wd_state_sandbox a = sandbox(SB1, "ci:a", "/warden/job", T0 + SEC, 0);
	struct wd_state_sandbox b = sandbox(SB2, "ci:a", "/warden/job", T0 + 2 * SEC, 0);
	struct wd_state_policy own = policy(WD_TARGET_SANDBOX, SB1, "own", T0 + SEC);
	struct wd_state_sandbox x, *got;
	struct wd_state_policy *cur;
	struct wd_state *st;
	uint64_t n;

	st = open_ok(fx->path, 0);
	call_ok(st, wd_state_sandbox_add(st, &a));
	expect_err(st, wd_state_sandbox_add(st, &a), -EEXIST, "exists already (active)");
	/* One active sandbox per cgroup. */
	expect_err(st, wd_state_sandbox_add(st, &b), -EEXIST, "is sandbox " SB1 " already");

	x = sandbox("sb-nothex", "ci:a", "/warden/x", T0, 0);
	expect_err(st, wd_state_sandbox_add(st, &x), -EINVAL, "16 hex digits");
	x = sandbox(SB3, "ci:a", "warden/x", T0, 0);
	expect_err(st, wd_state_sandbox_add(st, &x), -EINVAL, "not absolute");
	x = sandbox(SB3, "ci:a", "/warden/x", T0, 0);
	x.policy_id = 999;
	expect_err(st, wd_state_sandbox_add(st, &x), -ENOENT, "no policy with id 999");
	x.policy_id = 0;
	x.origin = 9;
	expect_err(st, wd_state_sandbox_add(st, &x), -EINVAL, "unknown sandbox origin");
	x.origin = WD_SB_AUTO;
	x.expires_at = UINT64_MAX;
	expect_err(st, wd_state_sandbox_add(st, &x), -EINVAL, "2262");

	/* Its own policy, then switched to it. */
	call_ok(st, wd_state_policy_record(st, &own));
	call_ok(st, wd_state_sandbox_set_policy(st, SB1, own.id));
	expect_err(st, wd_state_sandbox_set_policy(st, SB1, 77), -ENOENT, "no policy with id 77");
	expect_err(st, wd_state_sandbox_set_policy(st, SB3, own.id), -ENOENT, "no sandbox " SB3);
	call_ok(st, wd_state_sandbox_get(st, SB1, &got));
	assert_int_equal(got->policy_id, own.id);
	assert_int_equal(got->policy_generation, own.generation);
	wd_state_sandbox_free(got);

	call_ok(st, wd_state_sandbox_end(st, SB1, WD_SB_REVOKED, T0 + 30 * SEC, "job cancelled"));
	/* Once. The second end changes nothing. */
	expect_err(st, wd_state_sandbox_end(st, SB1, WD_SB_EXPIRED, T0 + 40 * SEC, "ttl"),
		   -EALREADY, "already ended (revoked)");
	expect_err(st, wd_state_sandbox_end(st, SB1, WD_SB_ENDED, T0 + 40 * SEC, NULL), -EALREADY,
		   SB1);
	expect_err(st, wd_state_sandbox_end(st, SB3, WD_SB_ENDED, T0, NULL), -ENOENT,
		   "no sandbox " SB3);
	expect_err(st, wd_state_sandbox_end(st, SB2, WD_SB_ACTIVE, T0, NULL), -EINVAL,
		   "only end as ended, expired or revoked");
	call_ok(st, wd_state_sandbox_get(st, SB1, &got));
	assert_int_equal(got->state, WD_SB_REVOKED);
	assert_int_equal(got->ended_at, T0 + 30 * SEC);
	assert_string_equal(got->end_detail, "job cancelled");
	wd_state_sandbox_free(got);
	assert_string_equal(wd_sb_state_name(WD_SB_REVOKED), "revoked");
	assert_string_equal(wd_sb_origin_name(WD_SB_AUTO), "auto");

	/* Its own policy ended with it; an ended sandbox's policy stays as it was. */
	expect_err(st, wd_state_policy_current(st, WD_TARGET_SANDBOX, SB1, &cur), -ENOENT,
		   "no policy applied");
	call_ok(st, wd_state_policy_get(st, WD_TARGET_SANDBOX, SB1, own.generation, &cur));
	assert_int_equal(cur->superseded_at, T0 + 30 * SEC);
	wd_state_policy_free(cur);
	expect_err(st, wd_state_sandbox_set_policy(st, SB1, 0), -ESTALE, "has ended (revoked)");

	/* The cgroup is free again; ids are never reused. */
	call_ok(st, wd_state_sandbox_add(st, &b));
	a.cgroup_path = "/warden/other";
	expect_err(st, wd_state_sandbox_add(st, &a), -EEXIST, "exists already (revoked)");

	/* Pruning removes ended records and, through the foreign key, their labels. */
	call_ok(st, wd_state_sandbox_prune(st, T0 + 30 * SEC, &n));
	assert_int_equal(n, 0); /* ended at, not before */
	call_ok(st, wd_state_sandbox_prune(st, T0 + 31 * SEC, &n));
	assert_int_equal(n, 1);
	expect_err(st, wd_state_sandbox_get(st, SB1, &got), -ENOENT, "no sandbox");
	call_ok(st, wd_state_sandbox_get(st, SB2, &got));
	wd_state_sandbox_free(got);
	wd_state_close(st);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sandbox_labels "
					   "WHERE sandbox = '" SB1 "'"),
			 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sandbox_labels"), 2);
}

struct seen {
	struct wd_state *st;
	char ids[8][20];
	size_t n;
	bool end_them;
};

static int collect_sb(const struct wd_state_sandbox *sb, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", sb->id);
	/* The daemon's pattern: end each expired sandbox from the listing itself. */
	if (s->end_them)
		return wd_state_sandbox_end(s->st, sb->id, WD_SB_EXPIRED, T0 + 250 * SEC,
					    "ttl passed");
	return 0;
}

static void expired_listing(void **state)
{
	struct fx *fx = *state;
	struct wd_state_sandbox v[] = {
		sandbox(SB1, "ci:a", "/warden/1", T0 + 1 * SEC, 0),
		sandbox(SB2, "ci:a", "/warden/2", T0 + 2 * SEC, T0 + 200 * SEC),
		sandbox(SB3, "ci:b", "/warden/3", T0 + 3 * SEC, T0 + 100 * SEC),
		sandbox(SB4, "ci:b", "/warden/4", T0 + 4 * SEC, T0 + 300 * SEC),
		sandbox(SB5, "ci:c", "/warden/5", T0 + 5 * SEC, T0 + 50 * SEC),
	};
	struct seen s = {0};
	struct wd_state *st;
	size_t i;

	st = open_ok(fx->path, 0);
	for (i = 0; i < 5; i++)
		call_ok(st, wd_state_sandbox_add(st, &v[i]));
	call_ok(st, wd_state_sandbox_end(st, SB5, WD_SB_ENDED, T0 + 6 * SEC, "exit status 0"));

	/* Nothing expired yet. */
	call_ok(st, wd_state_sandbox_list_expired(st, T0 + 99 * SEC, collect_sb, &s));
	assert_int_equal(s.n, 0);

	/* Earliest expiry first; exactly at expires_at counts; ended ones never. */
	s = (struct seen){.st = st, .end_them = true};
	call_ok(st, wd_state_sandbox_list_expired(st, T0 + 200 * SEC, collect_sb, &s));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], SB3);
	assert_string_equal(s.ids[1], SB2);

	s = (struct seen){0};
	call_ok(st, wd_state_sandbox_list_expired(st, T0 + 200 * SEC, collect_sb, &s));
	assert_int_equal(s.n, 0);
	s = (struct seen){0};
	call_ok(st, wd_state_sandbox_list_active(st, collect_sb, &s));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], SB1);
	assert_string_equal(s.ids[1], SB4);

	{
		struct wd_state_sandbox *got;

		call_ok(st, wd_state_sandbox_get(st, SB3, &got));
		assert_int_equal(got->state, WD_SB_EXPIRED);
		assert_string_equal(got->end_detail, "ttl passed");
		wd_state_sandbox_free(got);
	}
	expect_err(st, wd_state_sandbox_list_expired(st, UINT64_MAX, collect_sb, &s), -EINVAL,
		   "2262");
	wd_state_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sandbox_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_listing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
