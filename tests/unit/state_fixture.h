/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the unit tests of state/ share: a temporary directory per case, opening and error
 * checks, SQLite asked directly past the store, and the records the cases store. */
#ifndef WD_TEST_STATE_FIXTURE_H
#define WD_TEST_STATE_FIXTURE_H

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

static inline int setup(void **state)
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

static inline int rm_one(const char *p, const struct stat *s, int type, struct FTW *f)
{
	(void)s;
	(void)type;
	(void)f;
	return remove(p);
}

static inline int teardown(void **state)
{
	struct fx *fx = *state;

	chmod(fx->sub, 0700);
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static inline struct wd_state *open_ok(const char *path, unsigned flags)
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
static inline void open_fails(const char *path, int want, const char *needle)
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
static inline void expect_err(struct wd_state *st, int ret, int want, const char *needle)
{
	if (ret != want || !strstr(wd_state_errmsg(st), needle))
		print_error("got %d (want %d): %s\n", ret, want, wd_state_errmsg(st));
	assert_int_equal(ret, want);
	assert_non_null(strstr(wd_state_errmsg(st), needle));
}

static inline void call_ok(struct wd_state *st, int ret)
{
	if (ret)
		print_error("%d: %s\n", ret, wd_state_errmsg(st));
	assert_int_equal(ret, 0);
}

/* SQLite's own answer to @sql (one integer) on the file, past the store. */
static inline int64_t raw_int(const char *path, const char *sql)
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

static inline void raw_exec(const char *path, const char *sql)
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

static inline void touch_file(const char *path, mode_t mode, const void *data, size_t len)
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

static inline struct wd_state_sandbox sandbox(const char *id, const char *identity,
					      const char *cgroup, uint64_t created,
					      uint64_t expires)
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

static inline struct wd_state_policy policy(enum wd_policy_target kind, const char *target,
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

#endif
