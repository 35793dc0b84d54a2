// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the daemon's state database, on a temporary directory. What is stored comes back after
 * close and reopen, and after a process dies without closing; policies keep their history in
 * order; sandboxes end once; schemas migrate forward and a newer one is refused; names full of
 * SQL are stored as they are. SQLite is asked directly, past the store, where it has the proof. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "state/state.h"

#define SEC (1000000000ull)
#define T0  (1735689600ull * SEC) /* 2025-01-01T00:00:00Z */

#define SB1 "sb-00000000000000a1"
#define SB2 "sb-00000000000000b2"
#define SB3 "sb-00000000000000c3"
#define SB4 "sb-00000000000000d4"
#define SB5 "sb-00000000000000e5"

struct fx {
	char dir[64];
	char sub[96];	/* the state directory, created by the store */
	char path[128]; /* the database */
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/wd-state-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->sub, sizeof(fx->sub), "%s/lib", fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/state.db", fx->sub);
	*state = fx;
	return 0;
}

static int rm_one(const char *p, const struct stat *s, int type, struct FTW *f)
{
	(void)s;
	(void)type;
	(void)f;
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	chmod(fx->sub, 0700);
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct wd_state *open_ok(const char *path, unsigned flags)
{
	char err[WD_STATE_ERR_MAX] = "";
	struct wd_state *st = NULL;
	int ret = wd_state_open(path, flags, &st, err, sizeof(err));

	if (ret)
		print_error("wd_state_open: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(st);
	return st;
}

/* Opening must fail with @want and a message containing @needle. */
static void open_fails(const char *path, int want, const char *needle)
{
	char err[WD_STATE_ERR_MAX] = "";
	struct wd_state *st = (void *)1;
	int ret = wd_state_open(path, 0, &st, err, sizeof(err));

	if (ret != want || !strstr(err, needle))
		print_error("wd_state_open: %d (want %d): %s\n", ret, want, err);
	assert_int_equal(ret, want);
	assert_null(st);
	assert_non_null(strstr(err, needle));
}

/* A call's result must be @want, with @needle in the handle's message. */
static void expect_err(struct wd_state *st, int ret, int want, const char *needle)
{
	if (ret != want || !strstr(wd_state_errmsg(st), needle))
		print_error("got %d (want %d): %s\n", ret, want, wd_state_errmsg(st));
	assert_int_equal(ret, want);
	assert_non_null(strstr(wd_state_errmsg(st), needle));
}

static void call_ok(struct wd_state *st, int ret)
{
	if (ret)
		print_error("%d: %s\n", ret, wd_state_errmsg(st));
	assert_int_equal(ret, 0);
}

/* SQLite's own answer to @sql (one integer) on the file, past the store. */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(
		sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		print_error("%s: %s\n", sql, msg);
	assert_null(msg);
	sqlite3_close(db);
}

static void touch_file(const char *path, mode_t mode, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static const struct wd_label job_labels[] = {
	{"repo", "acme/api"},
	{"pipeline", "8812"},
};

static struct wd_state_sandbox sandbox(const char *id, const char *identity, const char *cgroup,
				       uint64_t created, uint64_t expires)
{
	return (struct wd_state_sandbox){
		.id = id,
		.identity = identity,
		.labels = job_labels,
		.n_labels = 2,
		.cgroup_path = cgroup,
		.cgroup_id = 4242,
		.created_at = created,
		.expires_at = expires,
		.origin = WD_SB_RUN,
		.created_by = 1000,
	};
}

static struct wd_state_policy policy(enum wd_policy_target kind, const char *target,
				     const char *text, uint64_t at)
{
	return (struct wd_state_policy){
		.target_kind = kind,
		.target = target,
		.name = "ci-default",
		.source = "ci.yaml",
		.text = text,
		.text_len = strlen(text),
		.applied_at = at,
		.applied_by = 0,
	};
}

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
		cmocka_unit_test_setup_teardown(policy_history_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(sandbox_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_names_stored_verbatim, setup, teardown),
		cmocka_unit_test_setup_teardown(identity_touch_widens_and_relabels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(transactions_nest, setup, teardown),
		cmocka_unit_test_setup_teardown(daemon_facts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
