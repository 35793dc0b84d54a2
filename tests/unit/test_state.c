// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the records of state/ (policy.c, sandbox.c, identity.c, kv.c), on a temporary
 * directory. Policies keep their history in order; sandboxes end once and expire by their TTL;
 * names full of SQL are stored as they are; identities widen their times and take new labels;
 * the daemon's facts round-trip. */
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

/* ---- Names ----------------------------------------------------------------------------------- */

static void hostile_names_stored_verbatim(void **state)
{
	static const char name[] = "ci:x'; DROP TABLE sandboxes;--";
	static const struct wd_label labels[] = {
		{"k'ey\"", "v'); DELETE FROM kv;--"},
		{"\xe2\x9c\x93 utf-8", "%s%n\\"},
	};
	struct fx *fx = *state;
	struct wd_state_sandbox sb = sandbox(SB1, name, "/warden/x'); --", T0, 0);
	struct wd_state_policy p =
		policy(WD_TARGET_IDENTITY, name, "'; DROP TABLE policies;--", T0);
	struct wd_state_identity *id;
	struct wd_state_sandbox *got;
	struct wd_state_policy *cur;
	struct wd_state *st;
	char buf[64];

	st = open_ok(fx->path, 0);
	sb.labels = labels;
	call_ok(st, wd_state_sandbox_add(st, &sb));
	call_ok(st, wd_state_policy_record(st, &p));
	call_ok(st, wd_state_kv_set(st, "a'; DROP TABLE kv;--", "x' OR '1'='1"));
	wd_state_close(st);

	st = open_ok(fx->path, 0);
	call_ok(st, wd_state_identity_get(st, name, &id));
	assert_string_equal(id->name, name);
	assert_int_equal(id->n_labels, 2);
	wd_state_identity_free(id);
	call_ok(st, wd_state_sandbox_get(st, SB1, &got));
	assert_string_equal(got->identity, name);
	assert_string_equal(got->cgroup_path, "/warden/x'); --");
	assert_int_equal(got->n_labels, 2);
	assert_string_equal(got->labels[0].key, "k'ey\"");
	assert_string_equal(got->labels[0].value, "v'); DELETE FROM kv;--");
	assert_string_equal(got->labels[1].key, "\xe2\x9c\x93 utf-8");
	assert_string_equal(got->labels[1].value, "%s%n\\");
	wd_state_sandbox_free(got);
	call_ok(st, wd_state_policy_current(st, WD_TARGET_IDENTITY, name, &cur));
	assert_memory_equal(cur->text, "'; DROP TABLE policies;--", cur->text_len);
	wd_state_policy_free(cur);
	call_ok(st, wd_state_kv_get(st, "a'; DROP TABLE kv;--", buf, sizeof(buf)));
	assert_string_equal(buf, "x' OR '1'='1");
	/* A similar name is another name. */
	expect_err(st, wd_state_identity_get(st, "ci:x", &id), -ENOENT, "no identity");
	wd_state_close(st);

	/* Every table is still there (PRAGMA optimize may add SQLite's own sqlite_stat1). */
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
				 "AND name NOT LIKE 'sqlite%'"),
			 6);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sandboxes"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM kv"), 1);
}

static void identity_touch_widens_and_relabels(void **state)
{
	static const struct wd_label dup[] = {{"a", "1"}, {"a", "2"}};
	struct fx *fx = *state;
	struct wd_state_identity *id;
	struct wd_state *st;

	st = open_ok(fx->path, 0);
	call_ok(st, wd_state_identity_touch(st, "agent:codegen", job_labels, 2, T0 + 10 * SEC));
	call_ok(st, wd_state_identity_touch(st, "agent:codegen", NULL, 0, T0 + 5 * SEC));
	call_ok(st, wd_state_identity_get(st, "agent:codegen", &id));
	assert_int_equal(id->first_seen, T0 + 5 * SEC);
	assert_int_equal(id->last_seen, T0 + 10 * SEC);
	assert_int_equal(id->n_labels, 2); /* NULL kept them */
	wd_state_identity_free(id);

	call_ok(st, wd_state_identity_touch(st, "agent:codegen", job_labels, 0, T0 + 20 * SEC));
	call_ok(st, wd_state_identity_get(st, "agent:codegen", &id));
	assert_int_equal(id->first_seen, T0 + 5 * SEC);
	assert_int_equal(id->last_seen, T0 + 20 * SEC);
	assert_int_equal(id->n_labels, 0); /* an empty set replaced them */
	wd_state_identity_free(id);

	expect_err(st, wd_state_identity_touch(st, "agent:codegen", dup, 2, T0), -EINVAL,
		   "label \"a\" is given twice");
	expect_err(st, wd_state_identity_touch(st, "", NULL, 0, T0), -EINVAL,
		   "identity name is missing");
	expect_err(st, wd_state_identity_touch(st, "ci:a", NULL, 0, 0), -EINVAL, "missing");
	expect_err(st, wd_state_identity_touch(st, "ci:a", NULL, 3, T0), -EINVAL, "none given");
	expect_err(st, wd_state_identity_get(st, "ci:nobody", &id), -ENOENT, "ci:nobody");
	assert_null(id);
	wd_state_close(st);
}

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
		cmocka_unit_test_setup_teardown(policy_history_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(sandbox_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_names_stored_verbatim, setup, teardown),
		cmocka_unit_test_setup_teardown(identity_touch_widens_and_relabels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(daemon_facts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
