// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's durable state in SQLite: creating, checking and migrating the database, and the
 * typed records the daemon reads and writes, every one through a statement prepared at open. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "state/state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How long a call waits for another process's write lock before it fails with -EBUSY. */
#define BUSY_TIMEOUT_MS 5000
/* STRICT tables and the upsert syntax. */
#define SQLITE_MIN_VERSION 3037000

/* Migration N takes a database from schema version N to N + 1, and says so in its last two
 * lines. Released migrations are never edited: a change is a new one. */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. Times are ns since the epoch; NULL where "none". */
	"CREATE TABLE identities (\n"
	"	name TEXT PRIMARY KEY NOT NULL,\n"
	"	first_seen INTEGER NOT NULL,\n"
	"	last_seen INTEGER NOT NULL\n"
	") STRICT;\n"
	"CREATE TABLE identity_labels (\n"
	"	identity TEXT NOT NULL REFERENCES identities (name) ON DELETE CASCADE,\n"
	"	key TEXT NOT NULL,\n"
	"	value TEXT NOT NULL,\n"
	"	PRIMARY KEY (identity, key)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE policies (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	generation INTEGER NOT NULL UNIQUE CHECK (generation > 0),\n"
	"	target_kind TEXT NOT NULL CHECK (target_kind IN ('node', 'identity', 'sandbox')),\n"
	"	target TEXT NOT NULL CHECK ((target_kind = 'node') = (target = '')),\n"
	"	name TEXT NOT NULL,\n"
	"	source TEXT NOT NULL,\n"
	"	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),\n"
	"	text TEXT NOT NULL,\n"
	"	applied_at INTEGER NOT NULL,\n"
	"	applied_by INTEGER NOT NULL,\n"
	"	superseded_at INTEGER\n"
	") STRICT;\n"
	"CREATE UNIQUE INDEX policies_in_force ON policies (target_kind, target)\n"
	"	WHERE superseded_at IS NULL;\n"
	"CREATE INDEX policies_by_target ON policies (target_kind, target, generation);\n"
	"CREATE TABLE sandboxes (\n"
	"	id TEXT PRIMARY KEY NOT NULL CHECK (id GLOB 'sb-*'),\n"
	"	identity TEXT NOT NULL REFERENCES identities (name),\n"
	"	cgroup_path TEXT NOT NULL,\n"
	"	cgroup_id INTEGER NOT NULL,\n"
	"	policy_id INTEGER REFERENCES policies (id),\n"
	"	created_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER,\n"
	"	origin TEXT NOT NULL CHECK (origin IN ('run', 'adopt', 'auto')),\n"
	"	audit INTEGER NOT NULL CHECK (audit IN (0, 1)),\n"
	"	created_by INTEGER NOT NULL,\n"
	"	state TEXT NOT NULL DEFAULT 'active'\n"
	"		CHECK (state IN ('active', 'ended', 'expired', 'revoked')),\n"
	"	ended_at INTEGER,\n"
	"	end_detail TEXT,\n"
	"	CHECK ((state = 'active') = (ended_at IS NULL))\n"
	") STRICT;\n"
	"CREATE UNIQUE INDEX sandboxes_active_cgroup ON sandboxes (cgroup_path)\n"
	"	WHERE state = 'active';\n"
	"CREATE INDEX sandboxes_active ON sandboxes (created_at) WHERE state = 'active';\n"
	"CREATE INDEX sandboxes_expiry ON sandboxes (expires_at)\n"
	"	WHERE state = 'active' AND expires_at IS NOT NULL;\n"
	"CREATE INDEX sandboxes_ended ON sandboxes (ended_at) WHERE state <> 'active';\n"
	"CREATE TABLE sandbox_labels (\n"
	"	sandbox TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,\n"
	"	key TEXT NOT NULL,\n"
	"	value TEXT NOT NULL,\n"
	"	PRIMARY KEY (sandbox, key)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE kv (\n"
	"	key TEXT PRIMARY KEY NOT NULL,\n"
	"	value TEXT NOT NULL\n"
	") STRICT, WITHOUT ROWID;\n"
	"PRAGMA application_id = 1464095572;\n"
	"PRAGMA user_version = 1;\n",
};

_Static_assert(ARRAY_SIZE(migrations) == WD_STATE_SCHEMA_VERSION,
	       "one migration per schema version");
_Static_assert(WD_STATE_APPLICATION_ID == 1464095572, "the first migration writes it literally");

enum stmt_id {
	S_IDENTITY_UPSERT,
	S_IDENTITY_GET,
	S_IDENTITY_LABELS_DEL,
	S_IDENTITY_LABEL_ADD,
	S_IDENTITY_LABELS,
	S_POLICY_SUPERSEDE,
	S_POLICY_NEXT_GEN,
	S_POLICY_INSERT,
	S_POLICY_CURRENT,
	S_POLICY_GET,
	S_POLICY_HISTORY,
	S_POLICY_HISTORY_ALL,
	S_POLICY_EXISTS,
	S_SB_INSERT,
	S_SB_LABEL_ADD,
	S_SB_GET,
	S_SB_LABELS,
	S_SB_STATE,
	S_SB_ACTIVE_BY_CGROUP,
	S_SB_END,
	S_SB_SET_POLICY,
	S_SB_LIST_ACTIVE,
	S_SB_LIST_EXPIRED,
	S_SB_PRUNE,
	S_KV_GET,
	S_KV_SET,
	S_NR
};

/* The columns policy_from_row() and sandbox_from_row() read, in this order. */
#define POLICY_COLUMNS                                                                             \
	"id, generation, target_kind, target, name, source, sha256, applied_at, applied_by, "      \
	"superseded_at, "
#define SANDBOX_FROM                                                                               \
	"SELECT s.id, s.identity, s.cgroup_path, s.cgroup_id, s.policy_id, p.generation, p.name, " \
	"s.created_at, s.expires_at, s.origin, s.audit, s.created_by, s.state, s.ended_at, "       \
	"s.end_detail FROM sandboxes s LEFT JOIN policies p ON p.id = s.policy_id "

static const char *const stmt_sql[S_NR] = {
	[S_IDENTITY_UPSERT] = "INSERT INTO identities (name, first_seen, last_seen) "
			      "VALUES (?1, ?2, ?2) ON CONFLICT (name) DO UPDATE SET "
			      "first_seen = min(first_seen, excluded.first_seen), "
			      "last_seen = max(last_seen, excluded.last_seen)",
	[S_IDENTITY_GET] = "SELECT name, first_seen, last_seen FROM identities WHERE name = ?1",
	[S_IDENTITY_LABELS_DEL] = "DELETE FROM identity_labels WHERE identity = ?1",
	[S_IDENTITY_LABEL_ADD] = "INSERT INTO identity_labels (identity, key, value) "
				 "VALUES (?1, ?2, ?3)",
	[S_IDENTITY_LABELS] = "SELECT key, value FROM identity_labels WHERE identity = ?1 "
			      "ORDER BY key",
	[S_POLICY_SUPERSEDE] = "UPDATE policies SET superseded_at = ?3 WHERE target_kind = ?1 "
			       "AND target = ?2 AND superseded_at IS NULL",
	[S_POLICY_NEXT_GEN] = "SELECT coalesce(max(generation), 0) + 1 FROM policies",
	[S_POLICY_INSERT] = "INSERT INTO policies (generation, target_kind, target, name, source, "
			    "sha256, text, applied_at, applied_by) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_POLICY_CURRENT] = "SELECT " POLICY_COLUMNS "text FROM policies WHERE target_kind = ?1 "
			     "AND target = ?2 AND superseded_at IS NULL",
	[S_POLICY_GET] = "SELECT " POLICY_COLUMNS "text FROM policies WHERE target_kind = ?1 "
			 "AND target = ?2 AND generation = ?3",
	[S_POLICY_HISTORY] = "SELECT " POLICY_COLUMNS "NULL FROM policies WHERE target_kind = ?1 "
			     "AND target = ?2 ORDER BY generation",
	[S_POLICY_HISTORY_ALL] = "SELECT " POLICY_COLUMNS "NULL FROM policies ORDER BY generation",
	[S_POLICY_EXISTS] = "SELECT 1 FROM policies WHERE id = ?1",
	[S_SB_INSERT] = "INSERT INTO sandboxes (id, identity, cgroup_path, cgroup_id, policy_id, "
			"created_at, expires_at, origin, audit, created_by) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_SB_LABEL_ADD] = "INSERT INTO sandbox_labels (sandbox, key, value) VALUES (?1, ?2, ?3)",
	[S_SB_GET] = SANDBOX_FROM "WHERE s.id = ?1",
	[S_SB_LABELS] = "SELECT key, value FROM sandbox_labels WHERE sandbox = ?1 ORDER BY key",
	[S_SB_STATE] = "SELECT state FROM sandboxes WHERE id = ?1",
	[S_SB_ACTIVE_BY_CGROUP] = "SELECT id FROM sandboxes WHERE cgroup_path = ?1 "
				  "AND state = 'active'",
	[S_SB_END] = "UPDATE sandboxes SET state = ?2, ended_at = ?3, end_detail = ?4 "
		     "WHERE id = ?1 AND state = 'active'",
	[S_SB_SET_POLICY] =
		"UPDATE sandboxes SET policy_id = ?2 WHERE id = ?1 AND state = 'active'",
	[S_SB_LIST_ACTIVE] = SANDBOX_FROM "WHERE s.state = 'active' ORDER BY s.created_at, s.id",
	[S_SB_LIST_EXPIRED] = SANDBOX_FROM "WHERE s.state = 'active' AND s.expires_at IS NOT NULL "
					   "AND s.expires_at <= ?1 ORDER BY s.expires_at, s.id",
	[S_SB_PRUNE] = "DELETE FROM sandboxes WHERE state <> 'active' AND ended_at < ?1",
	[S_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
	[S_KV_SET] = "INSERT INTO kv (key, value) VALUES (?1, ?2) "
		     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

struct wd_state {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S_NR];
	unsigned depth; /* transactions open, the outermost included */
	bool durable;	/* the outermost one syncs at commit */
	bool lost;	/* SQLite rolled the transaction back after an error */
	char err[WD_STATE_ERR_MAX];
};

static const char *const target_names[] = {
	[WD_TARGET_NODE] = "node",
	[WD_TARGET_IDENTITY] = "identity",
	[WD_TARGET_SANDBOX] = "sandbox",
};
static const char *const origin_names[] = {
	[WD_SB_RUN] = "run",
	[WD_SB_ADOPT] = "adopt",
	[WD_SB_AUTO] = "auto",
};
static const char *const state_names[] = {
	[WD_SB_ACTIVE] = "active",
	[WD_SB_ENDED] = "ended",
	[WD_SB_EXPIRED] = "expired",
	[WD_SB_REVOKED] = "revoked",
};

static const char *enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : NULL;
}

/* The enum value of @text in @names, or 0. */
static unsigned enum_parse(const char *const *names, size_t n, const char *text)
{
	size_t i;

	for (i = 1; text && i < n; i++)
		if (names[i] && !strcmp(names[i], text))
			return (unsigned)i;
	return 0;
}

const char *wd_sb_origin_name(enum wd_sb_origin o)
{
	const char *s = enum_name(origin_names, ARRAY_SIZE(origin_names), o);

	return s ? s : "?";
}

const char *wd_sb_state_name(enum wd_sb_state s)
{
	const char *n = enum_name(state_names, ARRAY_SIZE(state_names), s);

	return n ? n : "?";
}

/* ---- Errors ---------------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int seterr(struct wd_state *st, int ret,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return ret;
}

static int sql_errno(int rc, int sys)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE
			       ? -EEXIST
			       : -EINVAL;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return sys > 0 ? -sys : -EIO;
	default:
		return -EIO;
	}
}

/* Records SQLite's error @rc as "<what>: <SQLite's message>[: what to do]" and returns it as
 * -errno. */
__attribute__((format(printf, 3, 4))) static int sqlerr(struct wd_state *st, int rc,
							const char *fmt, ...)
{
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	int sys = st->db ? sqlite3_system_errno(st->db) : 0;
	char what[256], advice[WD_STATE_ERR_MAX / 2] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snprintf(advice, sizeof(advice),
			 ": another process kept %s locked for %d ms (a second warden daemon?); "
			 "stop it or try again",
			 st->path, BUSY_TIMEOUT_MS);
		break;
	case SQLITE_FULL:
		snprintf(advice, sizeof(advice), ": free space on the file system of %s", st->path);
		break;
	case SQLITE_READONLY:
		snprintf(advice, sizeof(advice),
			 ": %s cannot be written; is its file system mounted read-only?", st->path);
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		snprintf(advice, sizeof(advice),
			 ": %s is damaged or not a database; stop warden and move it aside to "
			 "start with an empty state (the policy history in it is then lost)",
			 st->path);
		break;
	case SQLITE_IOERR:
		snprintf(advice, sizeof(advice),
			 ": reading or writing %s failed (%s); see the kernel log", st->path,
			 sys > 0 ? strerror(sys) : "I/O error");
		break;
	}
	snprintf(st->err, sizeof(st->err), "%s: %s%s", what, msg, advice);
	return sql_errno(rc, sys);
}

const char *wd_state_errmsg(const struct wd_state *st)
{
	return st ? st->err : "no state database";
}

const char *wd_state_path(const struct wd_state *st)
{
	return st->path;
}

/* ---- Checking what callers give -------------------------------------------------------------- */

static int check_text(struct wd_state *st, const char *what, const char *s, bool may_be_empty)
{
	if (!s || (!*s && !may_be_empty))
		return seterr(st, -EINVAL, "%s is missing", what);
	if (strnlen(s, WD_STATE_TEXT_MAX + 1) > WD_STATE_TEXT_MAX)
		return seterr(st, -EINVAL, "%s is longer than %d bytes", what, WD_STATE_TEXT_MAX);
	return 0;
}

/* SQLite integers are signed 64 bits: times run out in 2262, and 0 means "none" where allowed. */
static int check_time(struct wd_state *st, const char *what, uint64_t t, bool may_be_zero)
{
	if (!t && !may_be_zero)
		return seterr(st, -EINVAL, "%s is missing (0)", what);
	if (t > INT64_MAX)
		return seterr(st, -EINVAL,
			      "%s %" PRIu64 " is not a time in ns since 1970 (it lies past 2262)",
			      what, t);
	return 0;
}

static int check_labels(struct wd_state *st, const struct wd_label *labels, size_t n)
{
	size_t i, j;
	int ret;

	if (!labels && n)
		return seterr(st, -EINVAL, "%zu labels announced but none given", n);
	if (n > WD_STATE_LABELS_MAX)
		return seterr(st, -EINVAL, "%zu labels: at most %d are kept", n,
			      WD_STATE_LABELS_MAX);
	for (i = 0; i < n; i++) {
		ret = check_text(st, "label key", labels[i].key, false);
		if (!ret)
			ret = check_text(st, "label value", labels[i].value, true);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcmp(labels[i].key, labels[j].key))
				return seterr(st, -EINVAL,
					      "label \"%s\" is given twice: each key once",
					      labels[i].key);
	}
	return 0;
}

static bool sandbox_id_valid(const char *id)
{
	size_t i;

	if (strncmp(id, "sb-", 3) || strlen(id) != 19)
		return false;
	for (i = 3; i < 19; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

/* Checks a policy target and returns its name as stored ("" for the node). */
static int check_target(struct wd_state *st, enum wd_policy_target kind, const char *target,
			const char **stored)
{
	switch (kind) {
	case WD_TARGET_NODE:
		if (target && *target)
			return seterr(st, -EINVAL,
				      "the node default takes no target name (\"%s\" given)",
				      target);
		*stored = "";
		return 0;
	case WD_TARGET_IDENTITY:
		*stored = target;
		return check_text(st, "the policy's target identity", target, false);
	case WD_TARGET_SANDBOX:
		*stored = target;
		return check_text(st, "the policy's target sandbox id", target, false);
	}
	return seterr(st, -EINVAL, "unknown policy target kind %d", (int)kind);
}

/* "the node default", "identity ci:x", "sandbox sb-...", for messages. */
static const char *target_desc(enum wd_policy_target kind, const char *target, char *buf,
			       size_t size)
{
	if (kind == WD_TARGET_NODE)
		return "the node default";
	snprintf(buf, size, "%s %s", target_names[kind], target);
	return buf;
}

/* ---- Statements ------------------------------------------------------------------------------ */

/* Every statement is reset when the scope that used it ends, so that none holds a read snapshot
 * (which would keep the log from being checkpointed) or stale bindings. */
static void stmt_resetp(sqlite3_stmt **s)
{
	if (*s) {
		sqlite3_reset(*s);
		sqlite3_clear_bindings(*s);
	}
}
#define _cleanup_stmt_ __attribute__((cleanup(stmt_resetp)))

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	return sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

/* 0 is stored as NULL. */
static int bind_opt(sqlite3_stmt *s, int i, uint64_t v)
{
	return v ? bind_u64(s, i, v) : sqlite3_bind_null(s, i);
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

/* A copy of text column @i ("" for NULL), or NULL when out of memory. */
static char *col_dup(sqlite3_stmt *s, int i, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	if (n)
		memcpy(d, t, n);
	d[n] = '\0';
	if (len)
		*len = n;
	return d;
}

static int exec_quiet(struct wd_state *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* ---- Transactions ---------------------------------------------------------------------------- */

/* After some errors (I/O, disk full, out of memory) SQLite rolls the whole transaction back by
 * itself; from then on the transaction only has to be ended. */
static void tx_check(struct wd_state *st)
{
	if (st->depth && !st->lost && sqlite3_get_autocommit(st->db))
		st->lost = true;
}

static void tx_done(struct wd_state *st)
{
	st->depth = 0;
	st->lost = false;
	if (st->durable)
		exec_quiet(st, "PRAGMA synchronous = NORMAL");
	st->durable = false;
}

int wd_state_begin(struct wd_state *st, unsigned flags)
{
	bool durable = flags & WD_STATE_TX_DURABLE;
	int rc, ret;

	if (flags & ~WD_STATE_TX_DURABLE)
		return seterr(st, -EINVAL, "unknown transaction flags %#x", flags);
	tx_check(st);
	if (st->lost)
		return seterr(st, -EIO,
			      "the enclosing transaction was rolled back after an error; end it "
			      "(wd_state_rollback) before starting another");
	if (st->depth) {
		if (durable && !st->durable)
			return seterr(
				st, -EINVAL,
				"a durable transaction cannot nest inside one that is not: begin "
				"the outermost transaction with WD_STATE_TX_DURABLE");
		rc = exec_quiet(st, "SAVEPOINT wd");
		if (rc)
			return sqlerr(st, rc, "starting a nested transaction");
		st->depth++;
		return 0;
	}
	/* Synchronous FULL syncs the log at every commit; the level cannot change inside a
	 * transaction, so it is set around the outermost one. */
	if (durable) {
		rc = exec_quiet(st, "PRAGMA synchronous = FULL");
		if (rc)
			return sqlerr(st, rc, "asking for a durable transaction");
		st->durable = true;
	}
	/* IMMEDIATE takes the write lock now, waiting for it, rather than failing at the first
	 * write when another connection wrote in between. */
	rc = exec_quiet(st, "BEGIN IMMEDIATE");
	if (rc) {
		ret = sqlerr(st, rc, "starting a transaction");
		tx_done(st);
		return ret;
	}
	st->depth = 1;
	return 0;
}

int wd_state_commit(struct wd_state *st)
{
	char prev[WD_STATE_ERR_MAX / 2];
	int rc, ret = 0;

	if (!st->depth)
		return seterr(st, -EINVAL, "no transaction to commit");
	tx_check(st);
	if (st->lost) {
		snprintf(prev, sizeof(prev), "%s", st->err);
		ret = seterr(
			st, -EIO,
			"the transaction was rolled back after an error, and nothing of it was "
			"stored (%s)",
			prev);
		if (--st->depth == 0)
			tx_done(st);
		return ret;
	}
	if (st->depth > 1) {
		rc = exec_quiet(st, "RELEASE wd");
		if (rc) {
			ret = sqlerr(st, rc, "ending a nested transaction");
			exec_quiet(st, "ROLLBACK TO wd; RELEASE wd");
		}
		st->depth--;
		return ret;
	}
	rc = exec_quiet(st, "COMMIT");
	if (rc) {
		ret = sqlerr(st, rc, "storing a transaction");
		if (!sqlite3_get_autocommit(st->db))
			exec_quiet(st, "ROLLBACK");
	}
	tx_done(st);
	return ret;
}

void wd_state_rollback(struct wd_state *st)
{
	if (!st->depth)
		return;
	tx_check(st);
	if (!st->lost)
		exec_quiet(st, st->depth > 1 ? "ROLLBACK TO wd; RELEASE wd" : "ROLLBACK");
	if (--st->depth == 0)
		tx_done(st);
}

/* Ends a call's own transaction: kept when @ret is 0, undone otherwise. */
static int tx_end(struct wd_state *st, int ret)
{
	if (ret) {
		wd_state_rollback(st);
		return ret;
	}
	return wd_state_commit(st);
}

/* ---- Opening --------------------------------------------------------------------------------- */

/* Files of the database (the log and shared-memory index too) must be regular, ours and
 * private: anyone who can change them can change what the daemon enforces after a restart. */
static int check_owned(struct wd_state *st, const char *path, const struct stat *s)
{
	uid_t uid = geteuid();

	if (!S_ISREG(s->st_mode))
		return seterr(st, -EINVAL, "%s is not a regular file: move it aside", path);
	if (s->st_uid != uid)
		return seterr(
			st, -EPERM,
			"%s belongs to uid %u, not to uid %u that warden runs as: state another "
			"user can change cannot be trusted; chown it to uid %u or move it aside",
			path, (unsigned)s->st_uid, (unsigned)uid, (unsigned)uid);
	if (s->st_mode & 077)
		return seterr(st, -EPERM,
			      "%s has mode %04o: other users could read or change warden's state; "
			      "chmod 600 it",
			      path, (unsigned)(s->st_mode & 07777));
	return 0;
}

static int check_companion(struct wd_state *st, const char *suffix)
{
	char p[PATH_MAX];
	struct stat s;

	if (snprintf(p, sizeof(p), "%s%s", st->path, suffix) >= (int)sizeof(p))
		return seterr(st, -ENAMETOOLONG, "%s: path too long", st->path);
	if (lstat(p, &s))
		return errno == ENOENT ? 0 : seterr(st, -errno, "%s: %s", p, strerror(errno));
	if (S_ISLNK(s.st_mode))
		return seterr(st, -ELOOP, "%s is a symbolic link: remove it", p);
	return check_owned(st, p, &s);
}

/* Creates the directory (0700) and the file (0600) when missing and checks both. */
static int prepare_files(struct wd_state *st)
{
	uid_t uid = geteuid();
	char dir[PATH_MAX], *slash;
	struct stat s;
	int fd, ret;

	if (!*st->path)
		return seterr(st, -EINVAL, "the state database path is empty");
	if (snprintf(dir, sizeof(dir), "%s", st->path) >= (int)sizeof(dir))
		return seterr(st, -ENAMETOOLONG, "%s: path too long", st->path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	if (!mkdir(dir, 0700)) {
		/* Whatever the umask took away. */
		if (chmod(dir, 0700))
			return seterr(st, -errno, "cannot set mode 0700 on %s: %s", dir,
				      strerror(errno));
	} else if (errno != EEXIST) {
		return seterr(st, -errno, "cannot create the state directory %s: %s%s", dir,
			      strerror(errno), errno == ENOENT ? " (its parent must exist)" : "");
	}
	if (stat(dir, &s))
		return seterr(st, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(s.st_mode))
		return seterr(st, -ENOTDIR, "%s is not a directory", dir);
	if (s.st_uid != uid)
		return seterr(st, -EPERM,
			      "the state directory %s belongs to uid %u, not to uid %u that warden "
			      "runs as; chown it to uid %u",
			      dir, (unsigned)s.st_uid, (unsigned)uid, (unsigned)uid);
	if (s.st_mode & 022)
		return seterr(st, -EPERM,
			      "the state directory %s has mode %04o: other users could replace "
			      "warden's state; chmod 700 it",
			      dir, (unsigned)(s.st_mode & 07777));

	fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd >= 0) {
		if (fchmod(fd, 0600)) {
			ret = seterr(st, -errno, "cannot set mode 0600 on %s: %s", st->path,
				     strerror(errno));
			close(fd);
			return ret;
		}
	} else if (errno == EEXIST) {
		fd = open(st->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return seterr(
				st, -ELOOP,
				"%s is a symbolic link: warden keeps its state in a regular file "
				"of its own; remove the link",
				st->path);
		return seterr(st, -errno, "cannot open %s: %s", st->path, strerror(errno));
	}
	if (fstat(fd, &s))
		ret = seterr(st, -errno, "%s: %s", st->path, strerror(errno));
	else
		ret = check_owned(st, st->path, &s);
	close(fd);
	if (!ret)
		ret = check_companion(st, "-wal");
	if (!ret)
		ret = check_companion(st, "-shm");
	return ret;
}

/* Runs a statement of one text result (a pragma) and copies it into @buf. */
static int query_text(struct wd_state *st, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (!rc) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);

			snprintf(buf, size, "%s", t ? (const char *)t : "");
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			snprintf(buf, size, "%s", "");
			rc = SQLITE_OK;
		}
	}
	if (rc)
		rc = sqlerr(st, rc, "%s: %s", st->path, sql);
	sqlite3_finalize(s);
	return rc;
}

static int query_int(struct wd_state *st, const char *sql, int64_t *v)
{
	char buf[32];
	int ret = query_text(st, sql, buf, sizeof(buf));

	if (!ret)
		*v = strtoll(buf, NULL, 10);
	return ret;
}

/* Whether the file is a warden state database, and of which version. */
static int read_version(struct wd_state *st, int64_t *version)
{
	int64_t app, objects;
	int ret;

	ret = query_int(st, "PRAGMA user_version", version);
	if (!ret)
		ret = query_int(st, "PRAGMA application_id", &app);
	if (!ret)
		ret = query_int(st, "SELECT count(*) FROM sqlite_schema", &objects);
	if (ret)
		return ret;
	if (app != WD_STATE_APPLICATION_ID && (app || *version || objects))
		return seterr(st, -EBADMSG,
			      "%s is a SQLite database, but not one of warden's (application id "
			      "%" PRId64 ", schema version %" PRId64
			      "): give warden a path of its own",
			      st->path, app, *version);
	if (*version > WD_STATE_SCHEMA_VERSION)
		return seterr(st, -EPROTONOSUPPORT,
			      "%s has schema version %" PRId64
			      ", but this warden knows versions up "
			      "to %d: it was written by a newer warden; run that one, or move the "
			      "file aside to start with an empty state",
			      st->path, *version, WD_STATE_SCHEMA_VERSION);
	if (*version < 0)
		return seterr(st, -EBADMSG, "%s has schema version %" PRId64 ": move it aside",
			      st->path, *version);
	return 0;
}

/* Takes the schema forward one version per transaction, so that an interrupted migration
 * leaves a database at some version, whole. Another process may migrate at the same time: the
 * version is read again under the write lock. */
static int migrate(struct wd_state *st)
{
	int64_t v, again;
	int ret, rc;

	for (;;) {
		ret = read_version(st, &v);
		if (ret || v == WD_STATE_SCHEMA_VERSION)
			return ret;
		ret = wd_state_begin(st, WD_STATE_TX_DURABLE);
		if (ret)
			return ret;
		ret = read_version(st, &again);
		if (ret || again != v) {
			wd_state_rollback(st);
			if (ret)
				return ret;
			continue;
		}
		rc = exec_quiet(st, migrations[v]);
		if (rc)
			ret = sqlerr(st, rc, "%s: migrating the schema from version %" PRId64,
				     st->path, v);
		if (!ret) {
			ret = query_int(st, "PRAGMA user_version", &again);
			if (!ret && again != v + 1)
				ret = seterr(st, -EPROTO,
					     "migration %" PRId64 " left schema version %" PRId64
					     " (a bug in warden)",
					     v, again);
		}
		ret = tx_end(st, ret);
		if (ret)
			return ret;
	}
}

static int setup_connection(struct wd_state *st, unsigned flags)
{
	char mode[16];
	int rc, ret, i;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* The schema is ours alone: no SQL functions run from it, and no SQL can corrupt the
	 * file through writable_schema and the like. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

	ret = query_text(st, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (ret)
		return ret;
	if (strcmp(mode, "wal"))
		return seterr(st, -ENOTSUP,
			      "%s: SQLite could not switch to write-ahead logging (journal mode "
			      "\"%s\"); keep the state on a local file system",
			      st->path, mode);
	/*
	 * In WAL mode, NORMAL writes every commit to the log before the call returns but syncs
	 * the log only at checkpoints. A committed transaction therefore survives the daemon's
	 * crash or SIGKILL (the written pages are the kernel's), and no failure ever leaves the
	 * database corrupt; only a power loss or kernel crash can take back the last commits.
	 * Those are what the daemon can rebuild: a reboot ends every sandbox, and it re-reads the
	 * kernel's pinned state at start. FULL would add an fsync to each of the many small
	 * commits sandboxes make; the one record that cannot be rebuilt, an applied policy, is
	 * committed with FULL instead (WD_STATE_TX_DURABLE).
	 */
	rc = exec_quiet(st, "PRAGMA synchronous = NORMAL");
	if (!rc)
		rc = exec_quiet(st, "PRAGMA foreign_keys = ON");
	/* Sorting and temporary tables stay in memory, not in files outside the directory. */
	if (!rc)
		rc = exec_quiet(st, "PRAGMA temp_store = MEMORY");
	if (rc)
		return sqlerr(st, rc, "%s: setting up the connection", st->path);

	if (flags & WD_STATE_QUICK_CHECK) {
		char res[WD_STATE_ERR_MAX / 2];

		ret = query_text(st, "PRAGMA quick_check(1)", res, sizeof(res));
		if (ret)
			return ret;
		if (strcmp(res, "ok"))
			return seterr(
				st, -EBADMSG,
				"%s is damaged (%s): stop warden and move it aside to start with "
				"an empty state (the policy history in it is then lost)",
				st->path, res);
	}

	ret = migrate(st);
	if (ret)
		return ret;
	for (i = 0; i < S_NR; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[i], NULL);
		if (rc)
			return sqlerr(st, rc, "%s: preparing statement %d (a bug in warden)",
				      st->path, i);
	}
	return 0;
}

int wd_state_open(const char *path, unsigned flags, struct wd_state **out, char *err, size_t size)
{
	struct wd_state *st;
	int rc, ret;

	*out = NULL;
	if (flags & ~WD_STATE_QUICK_CHECK) {
		if (err)
			snprintf(err, size, "unknown flags %#x opening the state database", flags);
		return -EINVAL;
	}
	if (sqlite3_libversion_number() < SQLITE_MIN_VERSION) {
		if (err)
			snprintf(err, size,
				 "SQLite %s is too old for warden's state database: it needs 3.37 "
				 "or newer",
				 sqlite3_libversion());
		return -ENOTSUP;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path ? path : WD_STATE_PATH))) {
		free(st);
		if (err)
			snprintf(err, size, "out of memory opening the state database");
		return -ENOMEM;
	}

	ret = prepare_files(st);
	if (!ret) {
		rc = sqlite3_open_v2(
			st->path, &st->db,
			SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
		if (rc)
			ret = sqlerr(st, rc, "cannot open %s", st->path);
	}
	if (!ret)
		ret = setup_connection(st, flags);
	if (ret) {
		if (err)
			snprintf(err, size, "%s", st->err);
		wd_state_close(st);
		return ret;
	}
	*out = st;
	return 0;
}

void wd_state_close(struct wd_state *st)
{
	int i;

	if (!st)
		return;
	while (st->depth)
		wd_state_rollback(st);
	for (i = 0; i < S_NR; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db) {
		/* Cheap, and keeps the planner's statistics current for long-lived databases. */
		exec_quiet(st, "PRAGMA optimize");
		sqlite3_close_v2(st->db);
	}
	free(st->path);
	free(st);
}

/* ---- Labels ---------------------------------------------------------------------------------- */

static void labels_free(struct wd_label *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)v[i].key);
		free((char *)v[i].value);
	}
	free(v);
}

/* The labels of @owner by statement @id (key, value rows). */
static int labels_load(struct wd_state *st, enum stmt_id id, const char *owner,
		       struct wd_label **out, size_t *n_out)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[id];
	struct wd_label *v = NULL, *nv;
	size_t n = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	rc = bind_text(s, 1, owner);
	if (rc)
		return sqlerr(st, rc, "reading the labels of %s", owner);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		v[n].key = col_dup(s, 0, NULL);
		v[n].value = col_dup(s, 1, NULL);
		n++;
		if (!v[n - 1].key || !v[n - 1].value)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		labels_free(v, n);
		return sqlerr(st, rc, "reading the labels of %s", owner);
	}
	*out = v;
	*n_out = n;
	return 0;
nomem:
	labels_free(v, n);
	return seterr(st, -ENOMEM, "out of memory reading the labels of %s", owner);
}

/* Inserts @labels for @owner with statement @id (owner, key, value). In the caller's
 * transaction. */
static int labels_store(struct wd_state *st, enum stmt_id id, const char *owner,
			const struct wd_label *labels, size_t n)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[id];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		if ((rc = bind_text(s, 1, owner)) || (rc = bind_text(s, 2, labels[i].key)) ||
		    (rc = bind_text(s, 3, labels[i].value)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "storing label \"%s\" of %s", labels[i].key, owner);
	}
	return 0;
}

/* ---- Identities ------------------------------------------------------------------------------ */

/* In the caller's transaction, with checked arguments. */
static int identity_touch_tx(struct wd_state *st, const char *name, const struct wd_label *labels,
			     size_t n_labels, uint64_t now)
{
	int rc;

	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_IDENTITY_UPSERT];

		if ((rc = bind_text(s, 1, name)) || (rc = bind_u64(s, 2, now)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "recording identity \"%s\"", name);
	}
	if (!labels)
		return 0;
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_IDENTITY_LABELS_DEL];

		if ((rc = bind_text(s, 1, name)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "replacing the labels of identity \"%s\"", name);
	}
	return labels_store(st, S_IDENTITY_LABEL_ADD, name, labels, n_labels);
}

int wd_state_identity_touch(struct wd_state *st, const char *name, const struct wd_label *labels,
			    size_t n_labels, uint64_t now)
{
	int ret;

	ret = check_text(st, "identity name", name, false);
	if (!ret)
		ret = check_labels(st, labels, n_labels);
	if (!ret)
		ret = check_time(st, "the time the identity was seen", now, false);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return tx_end(st, identity_touch_tx(st, name, labels, n_labels, now));
}

void wd_state_identity_free(struct wd_state_identity *id)
{
	if (!id)
		return;
	free((char *)id->name);
	labels_free(id->labels, id->n_labels);
	free(id);
}

int wd_state_identity_get(struct wd_state *st, const char *name, struct wd_state_identity **out)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_IDENTITY_GET];
	struct wd_state_identity *id;
	int rc, ret;

	*out = NULL;
	ret = check_text(st, "identity name", name, false);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, name)))
		return sqlerr(st, rc, "reading identity \"%s\"", name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return seterr(st, -ENOENT, "no identity \"%s\" has been seen", name);
	if (rc != SQLITE_ROW)
		return sqlerr(st, rc, "reading identity \"%s\"", name);
	id = calloc(1, sizeof(*id));
	if (!id || !(id->name = col_dup(s, 0, NULL))) {
		free(id);
		return seterr(st, -ENOMEM, "out of memory reading identity \"%s\"", name);
	}
	id->first_seen = col_u64(s, 1);
	id->last_seen = col_u64(s, 2);
	/* Still inside the row's read snapshot: the labels belong to the same version. */
	ret = labels_load(st, S_IDENTITY_LABELS, name, &id->labels, &id->n_labels);
	if (ret) {
		wd_state_identity_free(id);
		return ret;
	}
	*out = id;
	return 0;
}

/* ---- Policies -------------------------------------------------------------------------------- */

static int sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (!EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) || len != 32)
		return -EIO;
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void wd_state_policy_free(struct wd_state_policy *p)
{
	if (!p)
		return;
	free((char *)p->target);
	free((char *)p->name);
	free((char *)p->source);
	free((char *)p->text);
	free(p);
}

/* A policy from a row of POLICY_COLUMNS and the text (or NULL) column. */
static int policy_from_row(struct wd_state *st, sqlite3_stmt *s, struct wd_state_policy **out)
{
	struct wd_state_policy *p = calloc(1, sizeof(*p));
	bool has_text = sqlite3_column_type(s, 10) != SQLITE_NULL;
	const unsigned char *sha;

	*out = NULL;
	if (!p)
		return seterr(st, -ENOMEM, "out of memory reading a policy");
	p->id = sqlite3_column_int64(s, 0);
	p->generation = col_u64(s, 1);
	p->target_kind = enum_parse(target_names, ARRAY_SIZE(target_names),
				    (const char *)sqlite3_column_text(s, 2));
	p->target = col_dup(s, 3, NULL);
	p->name = col_dup(s, 4, NULL);
	p->source = col_dup(s, 5, NULL);
	sha = sqlite3_column_text(s, 6);
	snprintf(p->sha256, sizeof(p->sha256), "%s", sha ? (const char *)sha : "");
	p->applied_at = col_u64(s, 7);
	p->applied_by = (uint32_t)sqlite3_column_int64(s, 8);
	p->superseded_at = col_u64(s, 9);
	if (has_text)
		p->text = col_dup(s, 10, &p->text_len);
	if (!p->target || !p->name || !p->source || (has_text && !p->text)) {
		wd_state_policy_free(p);
		return seterr(st, -ENOMEM, "out of memory reading a policy");
	}
	if (!p->target_kind) {
		wd_state_policy_free(p);
		return seterr(st, -EBADMSG,
			      "policy generation %" PRIu64 " in %s has an unknown target kind: was "
			      "the database changed by another program?",
			      col_u64(s, 1), st->path);
	}
	*out = p;
	return 0;
}

static int policy_insert_tx(struct wd_state *st, const struct wd_state_policy *p,
			    const char *target, const char *sha, int64_t *id, uint64_t *generation)
{
	const char *kind = target_names[p->target_kind];
	int rc;

	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_SUPERSEDE];

		if ((rc = bind_text(s, 1, kind)) || (rc = bind_text(s, 2, target)) ||
		    (rc = bind_u64(s, 3, p->applied_at)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "superseding the policy in force");
	}
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_NEXT_GEN];

		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			return sqlerr(st, rc, "numbering the new policy generation");
		*generation = col_u64(s, 0);
	}
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_INSERT];

		if ((rc = bind_u64(s, 1, *generation)) || (rc = bind_text(s, 2, kind)) ||
		    (rc = bind_text(s, 3, target)) || (rc = bind_text(s, 4, p->name)) ||
		    (rc = bind_text(s, 5, p->source)) || (rc = bind_text(s, 6, sha)) ||
		    (rc = sqlite3_bind_text(s, 7, p->text, (int)p->text_len, SQLITE_STATIC)) ||
		    (rc = bind_u64(s, 8, p->applied_at)) ||
		    (rc = sqlite3_bind_int64(s, 9, p->applied_by)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "recording policy \"%s\"", p->source);
	}
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int wd_state_policy_record(struct wd_state *st, struct wd_state_policy *p)
{
	uint64_t generation = 0;
	const char *target;
	char sha[65];
	int64_t id = 0;
	int ret;

	ret = check_target(st, p->target_kind, p->target, &target);
	if (!ret)
		ret = check_text(st, "the policy's name", p->name, true);
	if (!ret)
		ret = check_text(st, "the policy's source", p->source, false);
	if (!ret)
		ret = check_time(st, "the time the policy was applied", p->applied_at, false);
	if (ret)
		return ret;
	if (!p->text)
		return seterr(st, -EINVAL, "policy \"%s\" has no text", p->source);
	if (p->text_len > WD_STATE_POLICY_MAX)
		return seterr(st, -EINVAL, "policy \"%s\" is %zu bytes, more than the %u allowed",
			      p->source, p->text_len, WD_STATE_POLICY_MAX);
	if (sha256_hex(p->text, p->text_len, sha))
		return seterr(st, -EIO, "computing the SHA-256 of policy \"%s\" failed (libcrypto)",
			      p->source);

	ret = wd_state_begin(st, WD_STATE_TX_DURABLE);
	if (ret)
		return ret;
	ret = tx_end(st, policy_insert_tx(st, p, target, sha, &id, &generation));
	if (ret)
		return ret;
	p->id = id;
	p->generation = generation;
	memcpy(p->sha256, sha, sizeof(sha));
	p->superseded_at = 0;
	return 0;
}

int wd_state_policy_get(struct wd_state *st, enum wd_policy_target kind, const char *target,
			uint64_t generation, struct wd_state_policy **out)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[generation ? S_POLICY_GET : S_POLICY_CURRENT];
	const char *stored;
	char desc[WD_STATE_ERR_MAX / 2];
	int rc, ret;

	*out = NULL;
	ret = check_target(st, kind, target, &stored);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, target_names[kind])) || (rc = bind_text(s, 2, stored)) ||
	    (generation && (rc = bind_u64(s, 3, generation))))
		return sqlerr(st, rc, "reading a policy");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return policy_from_row(st, s, out);
	if (rc != SQLITE_DONE)
		return sqlerr(st, rc, "reading the policy of %s",
			      target_desc(kind, stored, desc, sizeof(desc)));
	if (generation)
		return seterr(st, -ENOENT, "%s has no policy generation %" PRIu64,
			      target_desc(kind, stored, desc, sizeof(desc)), generation);
	return seterr(st, -ENOENT, "%s has no policy applied",
		      target_desc(kind, stored, desc, sizeof(desc)));
}

int wd_state_policy_current(struct wd_state *st, enum wd_policy_target kind, const char *target,
			    struct wd_state_policy **out)
{
	return wd_state_policy_get(st, kind, target, 0, out);
}

int wd_state_policy_history(struct wd_state *st, enum wd_policy_target kind, const char *target,
			    wd_state_policy_fn fn, void *arg)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[kind ? S_POLICY_HISTORY : S_POLICY_HISTORY_ALL];
	struct wd_state_policy **v = NULL, **nv;
	size_t n = 0, i;
	const char *stored;
	int rc, ret = 0;

	if (kind) {
		ret = check_target(st, kind, target, &stored);
		if (ret)
			return ret;
		if ((rc = bind_text(s, 1, target_names[kind])) || (rc = bind_text(s, 2, stored)))
			return sqlerr(st, rc, "reading the policy history");
	}
	/* Every row first, so that @fn may use the handle. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			ret = seterr(st, -ENOMEM, "out of memory reading the policy history");
			break;
		}
		v = nv;
		ret = policy_from_row(st, s, &v[n]);
		if (ret)
			break;
		n++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sqlerr(st, rc, "reading the policy history");
	stmt_resetp(&s);
	for (i = 0; !ret && i < n; i++)
		ret = fn(v[i], arg);
	for (i = 0; i < n; i++)
		wd_state_policy_free(v[i]);
	free(v);
	return ret;
}

/* ---- Sandboxes ------------------------------------------------------------------------------- */

void wd_state_sandbox_free(struct wd_state_sandbox *sb)
{
	if (!sb)
		return;
	free((char *)sb->id);
	free((char *)sb->identity);
	labels_free((struct wd_label *)sb->labels, sb->n_labels);
	free((char *)sb->cgroup_path);
	free((char *)sb->policy_name);
	free((char *)sb->end_detail);
	free(sb);
}

/* A sandbox from a row of SANDBOX_FROM, labels included. */
static int sandbox_from_row(struct wd_state *st, sqlite3_stmt *s, struct wd_state_sandbox **out)
{
	struct wd_state_sandbox *sb = calloc(1, sizeof(*sb));
	struct wd_label *labels;
	int ret;

	*out = NULL;
	if (!sb)
		return seterr(st, -ENOMEM, "out of memory reading a sandbox");
	sb->id = col_dup(s, 0, NULL);
	sb->identity = col_dup(s, 1, NULL);
	sb->cgroup_path = col_dup(s, 2, NULL);
	sb->cgroup_id = col_u64(s, 3);
	sb->policy_id = sqlite3_column_int64(s, 4);
	sb->policy_generation = col_u64(s, 5);
	sb->policy_name = col_dup(s, 6, NULL);
	sb->created_at = col_u64(s, 7);
	sb->expires_at = col_u64(s, 8);
	sb->origin = enum_parse(origin_names, ARRAY_SIZE(origin_names),
				(const char *)sqlite3_column_text(s, 9));
	sb->audit = sqlite3_column_int(s, 10);
	sb->created_by = (uint32_t)sqlite3_column_int64(s, 11);
	sb->state = enum_parse(state_names, ARRAY_SIZE(state_names),
			       (const char *)sqlite3_column_text(s, 12));
	sb->ended_at = col_u64(s, 13);
	sb->end_detail = col_dup(s, 14, NULL);
	if (!sb->id || !sb->identity || !sb->cgroup_path || !sb->policy_name || !sb->end_detail) {
		wd_state_sandbox_free(sb);
		return seterr(st, -ENOMEM, "out of memory reading a sandbox");
	}
	if (!sb->origin || !sb->state) {
		ret = seterr(st, -EBADMSG,
			     "sandbox %s in %s has an unknown origin or state: was the database "
			     "changed by another program?",
			     sb->id, st->path);
		wd_state_sandbox_free(sb);
		return ret;
	}
	ret = labels_load(st, S_SB_LABELS, sb->id, &labels, &sb->n_labels);
	if (ret) {
		wd_state_sandbox_free(sb);
		return ret;
	}
	sb->labels = labels;
	*out = sb;
	return 0;
}

static int sandbox_state(struct wd_state *st, const char *id, enum wd_sb_state *state)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_STATE];
	int rc;

	if ((rc = bind_text(s, 1, id)))
		return sqlerr(st, rc, "reading sandbox %s", id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return seterr(st, -ENOENT, "no sandbox %s", id);
	if (rc != SQLITE_ROW)
		return sqlerr(st, rc, "reading sandbox %s", id);
	*state = enum_parse(state_names, ARRAY_SIZE(state_names),
			    (const char *)sqlite3_column_text(s, 0));
	return 0;
}

static int policy_exists(struct wd_state *st, int64_t id)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_EXISTS];
	int rc;

	if ((rc = sqlite3_bind_int64(s, 1, id)))
		return sqlerr(st, rc, "looking up policy %" PRId64, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return seterr(st, -ENOENT,
			      "no policy with id %" PRId64 ": record the policy before naming it",
			      id);
	return rc == SQLITE_ROW ? 0 : sqlerr(st, rc, "looking up policy %" PRId64, id);
}

static int sandbox_add_tx(struct wd_state *st, const struct wd_state_sandbox *sb)
{
	enum wd_sb_state state;
	int rc, ret;

	ret = sandbox_state(st, sb->id, &state);
	if (!ret)
		return seterr(st, -EEXIST,
			      "sandbox %s exists already (%s): every sandbox needs a new id",
			      sb->id, wd_sb_state_name(state));
	if (ret != -ENOENT)
		return ret;
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_ACTIVE_BY_CGROUP];

		if ((rc = bind_text(s, 1, sb->cgroup_path)))
			return sqlerr(st, rc, "looking up cgroup %s", sb->cgroup_path);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			return seterr(st, -EEXIST,
				      "cgroup %s is sandbox %s already: end that one first",
				      sb->cgroup_path, (const char *)sqlite3_column_text(s, 0));
		if (rc != SQLITE_DONE)
			return sqlerr(st, rc, "looking up cgroup %s", sb->cgroup_path);
	}
	if (sb->policy_id) {
		ret = policy_exists(st, sb->policy_id);
		if (ret)
			return ret;
	}
	ret = identity_touch_tx(st, sb->identity, sb->labels, sb->n_labels, sb->created_at);
	if (ret)
		return ret;
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_INSERT];

		if ((rc = bind_text(s, 1, sb->id)) || (rc = bind_text(s, 2, sb->identity)) ||
		    (rc = bind_text(s, 3, sb->cgroup_path)) ||
		    (rc = bind_u64(s, 4, sb->cgroup_id)) ||
		    (rc = sb->policy_id ? sqlite3_bind_int64(s, 5, sb->policy_id)
					: sqlite3_bind_null(s, 5)) ||
		    (rc = bind_u64(s, 6, sb->created_at)) ||
		    (rc = bind_opt(s, 7, sb->expires_at)) ||
		    (rc = bind_text(s, 8, origin_names[sb->origin])) ||
		    (rc = sqlite3_bind_int(s, 9, sb->audit)) ||
		    (rc = sqlite3_bind_int64(s, 10, sb->created_by)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "recording sandbox %s", sb->id);
	}
	return labels_store(st, S_SB_LABEL_ADD, sb->id, sb->labels, sb->n_labels);
}

int wd_state_sandbox_add(struct wd_state *st, const struct wd_state_sandbox *sb)
{
	int ret;

	if (!sb->id || !sandbox_id_valid(sb->id))
		return seterr(st, -EINVAL, "sandbox id \"%s\" is not \"sb-\" and 16 hex digits",
			      sb->id ? sb->id : "");
	ret = check_text(st, "the sandbox's identity", sb->identity, false);
	if (!ret)
		ret = check_labels(st, sb->labels, sb->n_labels);
	if (!ret)
		ret = check_text(st, "the sandbox's cgroup path", sb->cgroup_path, false);
	if (!ret && sb->cgroup_path[0] != '/')
		ret = seterr(st, -EINVAL, "cgroup path \"%s\" is not absolute", sb->cgroup_path);
	if (!ret)
		ret = check_time(st, "the sandbox's creation time", sb->created_at, false);
	if (!ret)
		ret = check_time(st, "the sandbox's expiry time", sb->expires_at, true);
	if (!ret && !enum_name(origin_names, ARRAY_SIZE(origin_names), sb->origin))
		ret = seterr(st, -EINVAL, "unknown sandbox origin %d", (int)sb->origin);
	if (!ret && sb->policy_id < 0)
		ret = seterr(st, -EINVAL, "policy id %" PRId64 " is negative", sb->policy_id);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return tx_end(st, sandbox_add_tx(st, sb));
}

static int sandbox_end_tx(struct wd_state *st, const char *id, enum wd_sb_state state, uint64_t at,
			  const char *detail)
{
	enum wd_sb_state now;
	int rc, ret;

	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_END];

		if ((rc = bind_text(s, 1, id)) || (rc = bind_text(s, 2, state_names[state])) ||
		    (rc = bind_u64(s, 3, at)) || (rc = bind_text(s, 4, detail)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "ending sandbox %s", id);
	}
	if (!sqlite3_changes(st->db)) {
		ret = sandbox_state(st, id, &now);
		if (ret)
			return ret;
		return seterr(st, -EALREADY,
			      "sandbox %s has already ended (%s): only an active sandbox can end",
			      id, wd_sb_state_name(now));
	}
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_SUPERSEDE];

		if ((rc = bind_text(s, 1, target_names[WD_TARGET_SANDBOX])) ||
		    (rc = bind_text(s, 2, id)) || (rc = bind_u64(s, 3, at)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "retiring the policy of sandbox %s", id);
	}
	return 0;
}

int wd_state_sandbox_end(struct wd_state *st, const char *id, enum wd_sb_state state, uint64_t at,
			 const char *detail)
{
	int ret;

	if (!detail)
		detail = "";
	ret = check_text(st, "sandbox id", id, false);
	if (!ret && state != WD_SB_ENDED && state != WD_SB_EXPIRED && state != WD_SB_REVOKED)
		ret = seterr(st, -EINVAL,
			     "a sandbox can only end as ended, expired or revoked (not %s)",
			     wd_sb_state_name(state));
	if (!ret)
		ret = check_time(st, "the time the sandbox ended", at, false);
	if (!ret)
		ret = check_text(st, "why the sandbox ended", detail, true);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return tx_end(st, sandbox_end_tx(st, id, state, at, detail));
}

static int sandbox_set_policy_tx(struct wd_state *st, const char *id, int64_t policy_id)
{
	enum wd_sb_state state;
	int rc, ret;

	if (policy_id) {
		ret = policy_exists(st, policy_id);
		if (ret)
			return ret;
	}
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_SET_POLICY];

		if ((rc = bind_text(s, 1, id)) ||
		    (rc = policy_id ? sqlite3_bind_int64(s, 2, policy_id)
				    : sqlite3_bind_null(s, 2)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return sqlerr(st, rc, "switching the policy of sandbox %s", id);
	}
	if (sqlite3_changes(st->db))
		return 0;
	ret = sandbox_state(st, id, &state);
	if (ret)
		return ret;
	return seterr(st, -ESTALE, "sandbox %s has ended (%s): its policy can no longer change", id,
		      wd_sb_state_name(state));
}

int wd_state_sandbox_set_policy(struct wd_state *st, const char *id, int64_t policy_id)
{
	int ret;

	ret = check_text(st, "sandbox id", id, false);
	if (!ret && policy_id < 0)
		ret = seterr(st, -EINVAL, "policy id %" PRId64 " is negative", policy_id);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return tx_end(st, sandbox_set_policy_tx(st, id, policy_id));
}

int wd_state_sandbox_get(struct wd_state *st, const char *id, struct wd_state_sandbox **out)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_GET];
	int rc, ret;

	*out = NULL;
	ret = check_text(st, "sandbox id", id, false);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, id)))
		return sqlerr(st, rc, "reading sandbox %s", id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return seterr(st, -ENOENT, "no sandbox %s", id);
	if (rc != SQLITE_ROW)
		return sqlerr(st, rc, "reading sandbox %s", id);
	return sandbox_from_row(st, s, out);
}

/* Reads every row of @s, ends the statement, then calls @fn with each. */
static int sandbox_list(struct wd_state *st, sqlite3_stmt *s, wd_state_sandbox_fn fn, void *arg)
{
	struct wd_state_sandbox **v = NULL, **nv;
	size_t n = 0, i;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			ret = seterr(st, -ENOMEM, "out of memory listing sandboxes");
			break;
		}
		v = nv;
		ret = sandbox_from_row(st, s, &v[n]);
		if (ret)
			break;
		n++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sqlerr(st, rc, "listing sandboxes");
	stmt_resetp(&s);
	for (i = 0; !ret && i < n; i++)
		ret = fn(v[i], arg);
	for (i = 0; i < n; i++)
		wd_state_sandbox_free(v[i]);
	free(v);
	return ret;
}

int wd_state_sandbox_list_active(struct wd_state *st, wd_state_sandbox_fn fn, void *arg)
{
	return sandbox_list(st, st->stmt[S_SB_LIST_ACTIVE], fn, arg);
}

int wd_state_sandbox_list_expired(struct wd_state *st, uint64_t now, wd_state_sandbox_fn fn,
				  void *arg)
{
	sqlite3_stmt *s = st->stmt[S_SB_LIST_EXPIRED];
	int rc, ret;

	ret = check_time(st, "the time to list expired sandboxes at", now, false);
	if (ret)
		return ret;
	if ((rc = bind_u64(s, 1, now))) {
		stmt_resetp(&s);
		return sqlerr(st, rc, "listing expired sandboxes");
	}
	return sandbox_list(st, s, fn, arg);
}

int wd_state_sandbox_prune(struct wd_state *st, uint64_t before, uint64_t *n)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_PRUNE];
	int rc, ret;

	ret = check_time(st, "the time to prune ended sandboxes before", before, false);
	if (ret)
		return ret;
	if ((rc = bind_u64(s, 1, before)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
		return sqlerr(st, rc, "deleting the records of ended sandboxes");
	if (n)
		*n = (uint64_t)sqlite3_changes(st->db);
	return 0;
}

/* ---- Daemon facts ---------------------------------------------------------------------------- */

int wd_state_kv_get(struct wd_state *st, const char *key, char *buf, size_t size)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_KV_GET];
	const unsigned char *t;
	size_t len;
	int rc, ret;

	ret = check_text(st, "key", key, false);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, key)))
		return sqlerr(st, rc, "reading \"%s\"", key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return seterr(st, -ENOENT, "\"%s\" is not set", key);
	if (rc != SQLITE_ROW)
		return sqlerr(st, rc, "reading \"%s\"", key);
	t = sqlite3_column_text(s, 0);
	len = t ? (size_t)sqlite3_column_bytes(s, 0) : 0;
	if (len >= size)
		return seterr(st, -ENOBUFS,
			      "the value of \"%s\" takes %zu bytes, more than the %zu given", key,
			      len + 1, size);
	if (len)
		memcpy(buf, t, len);
	buf[len] = '\0';
	return 0;
}

int wd_state_kv_set(struct wd_state *st, const char *key, const char *value)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_KV_SET];
	int rc, ret;

	ret = check_text(st, "key", key, false);
	if (!ret)
		ret = check_text(st, "value", value, true);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, key)) || (rc = bind_text(s, 2, value)) ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		return sqlerr(st, rc, "storing \"%s\"", key);
	return 0;
}

int wd_state_kv_get_u64(struct wd_state *st, const char *key, uint64_t *value)
{
	char buf[32], *end;
	unsigned long long v;
	int ret;

	ret = wd_state_kv_get(st, key, buf, sizeof(buf));
	if (ret == -ENOBUFS)
		return seterr(st, -EINVAL, "the value of \"%s\" is not a number", key);
	if (ret)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || *end || errno)
		return seterr(st, -EINVAL, "the value of \"%s\", \"%s\", is not a number", key,
			      buf);
	*value = v;
	return 0;
}

int wd_state_kv_set_u64(struct wd_state *st, const char *key, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return wd_state_kv_set(st, key, buf);
}
