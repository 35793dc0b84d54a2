// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: state/db.c, the state database itself, on a temporary directory. A new database is
 * private and in WAL mode; schemas migrate forward and a newer one is refused, as are foreign,
 * unsafe and other users' files; what is stored comes back after close and reopen, and after a
 * process dies without closing; transactions nest; names full of SQL are stored as they are.
 * SQLite is asked directly, past the store, where it has the proof. */
#include "state_fixture.h"

/* ---- Opening --------------------------------------------------------------------------------- */

static void creates_private_wal_database(void **state)
{
	struct fx *fx = *state;
	struct wd_state *st;
	struct stat s;
	char wal[160];

	st = open_ok(fx->path, WD_STATE_QUICK_CHECK);
	assert_string_equal(wd_state_path(st), fx->path);
	call_ok(st, wd_state_kv_set(st, "boot_id", "x"));

	assert_int_equal(stat(fx->sub, &s), 0);
	assert_true(S_ISDIR(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 0700);
	assert_int_equal(stat(fx->path, &s), 0);
	assert_int_equal(s.st_mode & 07777, 0600);
	assert_int_equal(s.st_uid, geteuid());
	/* The log SQLite made takes the database's mode. */
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	assert_int_equal(stat(wal, &s), 0);
	assert_int_equal(s.st_mode & 07777, 0600);

	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), WD_STATE_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->path, "PRAGMA application_id"), WD_STATE_APPLICATION_ID);
	/* WAL is a property of the file: another connection sees it. */
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM pragma_journal_mode "
					   "WHERE journal_mode = 'wal'"),
			 1);
	wd_state_close(st);

	/* Default-less flags are refused, not ignored. */
	{
		char err[WD_STATE_ERR_MAX] = "";
		struct wd_state *x = (void *)1;

		assert_int_equal(wd_state_open(fx->path, 1u << 7, &x, err, sizeof(err)), -EINVAL);
		assert_null(x);
		assert_non_null(strstr(err, "unknown flags"));
	}
}

static void migrates_empty_databases(void **state)
{
	struct fx *fx = *state;
	struct wd_state *st;

	/* A zero-length file, as a package might ship it. */
	assert_int_equal(mkdir(fx->sub, 0700), 0);
	touch_file(fx->path, 0600, NULL, 0);
	st = open_ok(fx->path, 0);
	wd_state_close(st);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), WD_STATE_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->path,
				 "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
				 "AND name IN ('identities', 'identity_labels', "
				 "'policies', 'sandboxes', 'sandbox_labels', 'kv')"),
			 6);

	/* An empty SQLite database in rollback-journal mode, user_version 0. */
	assert_int_equal(unlink(fx->path), 0);
	raw_exec(fx->path, "PRAGMA user_version = 0; VACUUM;");
	assert_int_equal(chmod(fx->path, 0600), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM pragma_journal_mode "
					   "WHERE journal_mode = 'delete'"),
			 1);
	st = open_ok(fx->path, WD_STATE_QUICK_CHECK);
	call_ok(st, wd_state_kv_set(st, "k", "v"));
	wd_state_close(st);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), WD_STATE_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM pragma_journal_mode "
					   "WHERE journal_mode = 'wal'"),
			 1);

	/* Opening again changes nothing. */
	st = open_ok(fx->path, 0);
	wd_state_close(st);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM kv"), 1);
}

static void refuses_newer_schema(void **state)
{
	struct fx *fx = *state;
	struct wd_state *st;

	st = open_ok(fx->path, 0);
	call_ok(st, wd_state_kv_set(st, "k", "v"));
	wd_state_close(st);
	raw_exec(fx->path, "PRAGMA user_version = 99");

	open_fails(fx->path, -EPROTONOSUPPORT, "schema version 99");
	open_fails(fx->path, -EPROTONOSUPPORT, "newer warden");
	/* Refused, not touched. */
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 99);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM kv"), 1);
}

static void refuses_foreign_files(void **state)
{
	struct fx *fx = *state;
	static const char junk[4096] = "this is not a database, not even a little";

	assert_int_equal(mkdir(fx->sub, 0700), 0);
	raw_exec(fx->path, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');");
	assert_int_equal(chmod(fx->path, 0600), 0);
	open_fails(fx->path, -EBADMSG, "not one of warden's");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM notes"), 1);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 0);

	assert_int_equal(unlink(fx->path), 0);
	touch_file(fx->path, 0600, junk, sizeof(junk));
	open_fails(fx->path, -EBADMSG, "not a database");
}

static void refuses_unsafe_files(void **state)
{
	struct fx *fx = *state;
	char link[160], wal[160];
	struct wd_state *st;

	st = open_ok(fx->path, 0);
	wd_state_close(st);

	assert_int_equal(chmod(fx->path, 0644), 0);
	open_fails(fx->path, -EPERM, "chmod 600");
	assert_int_equal(chmod(fx->path, 0600), 0);

	assert_int_equal(chmod(fx->sub, 0777), 0);
	open_fails(fx->path, -EPERM, "chmod 700");
	assert_int_equal(chmod(fx->sub, 0700), 0);

	snprintf(link, sizeof(link), "%s/link.db", fx->sub);
	assert_int_equal(symlink(fx->path, link), 0);
	open_fails(link, -ELOOP, "symbolic link");

	/* A log someone else could have written is as bad as the database. */
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	touch_file(wal, 0644, NULL, 0);
	open_fails(fx->path, -EPERM, wal);
	assert_int_equal(unlink(wal), 0);

	/* The parent of the state directory must exist. */
	{
		char deep[200];

		snprintf(deep, sizeof(deep), "%s/no/such/state.db", fx->dir);
		open_fails(deep, -ENOENT, "its parent must exist");
	}
	st = open_ok(fx->path, 0);
	wd_state_close(st);
}

static void refuses_files_of_other_users(void **state)
{
	struct fx *fx = *state;
	struct wd_state *st;

	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	st = open_ok(fx->path, 0);
	wd_state_close(st);
	assert_int_equal(chown(fx->path, 65534, 65534), 0);
	open_fails(fx->path, -EPERM, "belongs to uid 65534");
	assert_int_equal(chown(fx->path, 0, 0), 0);
	assert_int_equal(chown(fx->sub, 65534, 65534), 0);
	open_fails(fx->path, -EPERM, "state directory");
}

/* ---- Durability ------------------------------------------------------------------------------ */

static void everything_survives_reopen(void **state)
{
	struct fx *fx = *state;
	struct wd_state_sandbox sb = sandbox(SB1, "ci:acme/api#8812", "/sys/fs/cgroup/warden/" SB1,
					     T0 + 10 * SEC, T0 + 600 * SEC);
	struct wd_state_policy p = policy(WD_TARGET_IDENTITY, "ci:acme/api#8812",
					  "version: 1\nname: ci-default\n", T0 + 5 * SEC);
	struct wd_state_identity *id;
	struct wd_state_sandbox *got;
	struct wd_state_policy *cur;
	struct wd_state *st;
	char buf[64];
	uint64_t seq;

	st = open_ok(fx->path, 0);
	p.applied_by = 1000;
	call_ok(st, wd_state_policy_record(st, &p));
	assert_int_equal(p.generation, 1);
	sb.policy_id = p.id;
	sb.audit = true;
	sb.origin = WD_SB_ADOPT;
	call_ok(st, wd_state_sandbox_add(st, &sb));
	call_ok(st, wd_state_kv_set_u64(st, "node.seq", 1735689600123456789ull));
	call_ok(st, wd_state_kv_set(st, "boot_id", "6e4b2a7c-0f1d-4b3a-9c55-0a1b2c3d4e5f"));
	wd_state_close(st);

	st = open_ok(fx->path, WD_STATE_QUICK_CHECK);
	call_ok(st, wd_state_sandbox_get(st, SB1, &got));
	assert_string_equal(got->id, SB1);
	assert_string_equal(got->identity, "ci:acme/api#8812");
	assert_string_equal(got->cgroup_path, "/sys/fs/cgroup/warden/" SB1);
	assert_int_equal(got->cgroup_id, 4242);
	assert_int_equal(got->policy_id, p.id);
	assert_int_equal(got->policy_generation, 1);
	assert_string_equal(got->policy_name, "ci-default");
	assert_int_equal(got->created_at, T0 + 10 * SEC);
	assert_int_equal(got->expires_at, T0 + 600 * SEC);
	assert_int_equal(got->origin, WD_SB_ADOPT);
	assert_true(got->audit);
	assert_int_equal(got->created_by, 1000);
	assert_int_equal(got->state, WD_SB_ACTIVE);
	assert_int_equal(got->ended_at, 0);
	assert_string_equal(got->end_detail, "");
	/* Labels come back by key. */
	assert_int_equal(got->n_labels, 2);
	assert_string_equal(got->labels[0].key, "pipeline");
	assert_string_equal(got->labels[0].value, "8812");
	assert_string_equal(got->labels[1].key, "repo");
	assert_string_equal(got->labels[1].value, "acme/api");
	wd_state_sandbox_free(got);

	/* Adding the sandbox recorded its identity, with its labels. */
	call_ok(st, wd_state_identity_get(st, "ci:acme/api#8812", &id));
	assert_int_equal(id->first_seen, T0 + 10 * SEC);
	assert_int_equal(id->last_seen, T0 + 10 * SEC);
	assert_int_equal(id->n_labels, 2);
	wd_state_identity_free(id);

	call_ok(st, wd_state_policy_current(st, WD_TARGET_IDENTITY, "ci:acme/api#8812", &cur));
	assert_int_equal(cur->generation, 1);
	assert_int_equal(cur->id, p.id);
	assert_int_equal(cur->target_kind, WD_TARGET_IDENTITY);
	assert_string_equal(cur->target, "ci:acme/api#8812");
	assert_string_equal(cur->name, "ci-default");
	assert_string_equal(cur->source, "ci.yaml");
	assert_int_equal(cur->text_len, p.text_len);
	assert_memory_equal(cur->text, p.text, p.text_len);
	assert_string_equal(cur->sha256, p.sha256);
	assert_int_equal(cur->applied_at, T0 + 5 * SEC);
	assert_int_equal(cur->applied_by, 1000);
	assert_int_equal(cur->superseded_at, 0);
	wd_state_policy_free(cur);

	call_ok(st, wd_state_kv_get_u64(st, "node.seq", &seq));
	assert_int_equal(seq, 1735689600123456789ull);
	call_ok(st, wd_state_kv_get(st, "boot_id", buf, sizeof(buf)));
	assert_string_equal(buf, "6e4b2a7c-0f1d-4b3a-9c55-0a1b2c3d4e5f");
	wd_state_close(st);
}

/* The child commits one transaction, starts another, and dies without closing anything. */
static void crash_child(const char *path, bool sigkill)
{
	struct wd_state_sandbox a = sandbox(SB1, "ci:crash", "/warden/" SB1, T0 + SEC, 0);
	struct wd_state_sandbox b = sandbox(SB2, "ci:crash", "/warden/" SB2, T0 + 2 * SEC, 0);
	struct wd_state *st;
	char err[WD_STATE_ERR_MAX];

	if (wd_state_open(path, 0, &st, err, sizeof(err)))
		_exit(10);
	if (wd_state_begin(st, 0) || wd_state_sandbox_add(st, &a) ||
	    wd_state_kv_set(st, "node.seq", "42") || wd_state_commit(st))
		_exit(11);
	if (wd_state_begin(st, 0) || wd_state_sandbox_add(st, &b) ||
	    wd_state_kv_set(st, "node.seq", "43"))
		_exit(12);
	if (sigkill)
		raise(SIGKILL);
	_exit(0);
}

static void committed_rows_survive_a_crash(const char *path, bool sigkill)
{
	struct wd_state_sandbox *got;
	struct wd_state *st;
	char wal[160], buf[16];
	struct stat s;
	int status;
	pid_t pid;

	/* The parent has no connection while the child lives: handles do not cross fork(). */
	st = open_ok(path, 0);
	wd_state_close(st);

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(path, sigkill);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (sigkill) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* Nobody closed, so nothing was checkpointed: the commit lives only in the log. */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(stat(wal, &s), 0);
	assert_true(s.st_size > 0);

	st = open_ok(path, WD_STATE_QUICK_CHECK);
	call_ok(st, wd_state_sandbox_get(st, SB1, &got));
	assert_int_equal(got->state, WD_SB_ACTIVE);
	assert_int_equal(got->n_labels, 2);
	wd_state_sandbox_free(got);
	expect_err(st, wd_state_sandbox_get(st, SB2, &got), -ENOENT, "no sandbox " SB2);
	assert_null(got);
	call_ok(st, wd_state_kv_get(st, "node.seq", buf, sizeof(buf)));
	assert_string_equal(buf, "42");
	wd_state_close(st);
}

static void commit_survives_exit_without_close(void **state)
{
	committed_rows_survive_a_crash(((struct fx *)*state)->path, false);
}

static void commit_survives_sigkill(void **state)
{
	committed_rows_survive_a_crash(((struct fx *)*state)->path, true);
}

/* ---- Transactions and facts ------------------------------------------------------------------ */

static bool exists(struct wd_state *st, const char *id)
{
	struct wd_state_sandbox *sb = NULL;
	int ret = wd_state_sandbox_get(st, id, &sb);

	assert_true(ret == 0 || ret == -ENOENT);
	wd_state_sandbox_free(sb);
	return ret == 0;
}

static void transactions_nest(void **state)
{
	struct fx *fx = *state;
	struct wd_state_sandbox v[] = {
		sandbox(SB1, "ci:a", "/warden/1", T0 + 1 * SEC, 0),
		sandbox(SB2, "ci:a", "/warden/2", T0 + 2 * SEC, 0),
		sandbox(SB3, "ci:a", "/warden/3", T0 + 3 * SEC, 0),
		sandbox(SB4, "ci:a", "/warden/4", T0 + 4 * SEC, 0),
	};
	struct wd_state *st;

	st = open_ok(fx->path, 0);
	expect_err(st, wd_state_commit(st), -EINVAL, "no transaction");

	/* The inner one undone, the outer one kept. */
	call_ok(st, wd_state_begin(st, 0));
	call_ok(st, wd_state_sandbox_add(st, &v[0]));
	call_ok(st, wd_state_begin(st, 0));
	call_ok(st, wd_state_sandbox_add(st, &v[1]));
	wd_state_rollback(st);
	/* A failed call inside does not end the caller's transaction. */
	assert_int_equal(wd_state_sandbox_add(st, &v[0]), -EEXIST);
	call_ok(st, wd_state_sandbox_add(st, &v[2]));
	call_ok(st, wd_state_commit(st));
	assert_true(exists(st, SB1));
	assert_false(exists(st, SB2));
	assert_true(exists(st, SB3));

	call_ok(st, wd_state_begin(st, 0));
	call_ok(st, wd_state_sandbox_add(st, &v[3]));
	wd_state_rollback(st);
	assert_false(exists(st, SB4));

	call_ok(st, wd_state_begin(st, 0));
	expect_err(st, wd_state_begin(st, WD_STATE_TX_DURABLE), -EINVAL, "cannot nest");
	wd_state_rollback(st);
	call_ok(st, wd_state_begin(st, WD_STATE_TX_DURABLE));
	call_ok(st, wd_state_begin(st, 0));
	call_ok(st, wd_state_sandbox_add(st, &v[3]));
	call_ok(st, wd_state_commit(st));
	call_ok(st, wd_state_commit(st));
	assert_true(exists(st, SB4));
	expect_err(st, wd_state_begin(st, 4), -EINVAL, "unknown transaction flags");

	/* Closing in the middle of a transaction keeps nothing of it. */
	call_ok(st, wd_state_begin(st, 0));
	call_ok(st, wd_state_sandbox_add(st, &v[1]));
	wd_state_close(st);
	st = open_ok(fx->path, 0);
	assert_false(exists(st, SB2));
	assert_true(exists(st, SB4));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(creates_private_wal_database, setup, teardown),
		cmocka_unit_test_setup_teardown(migrates_empty_databases, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_unsafe_files, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_files_of_other_users, setup, teardown),
		cmocka_unit_test_setup_teardown(everything_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(commit_survives_exit_without_close, setup,
						teardown),
		cmocka_unit_test_setup_teardown(commit_survives_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(transactions_nest, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_names_stored_verbatim, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
