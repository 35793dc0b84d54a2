// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The state database itself: transactions, opening it (creating, checking and migrating the
 * file) and closing it, and reading the rows of a listing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state/internal.h"

/* STRICT tables and the upsert syntax. */
#define SQLITE_MIN_VERSION 3037000

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
		return wd_st_seterr(st, -EINVAL, "unknown transaction flags %#x", flags);
	tx_check(st);
	if (st->lost)
		return wd_st_seterr(
			st, -EIO,
			"the enclosing transaction was rolled back after an error; end it "
			"(wd_state_rollback) before starting another");
	if (st->depth) {
		if (durable && !st->durable)
			return wd_st_seterr(
				st, -EINVAL,
				"a durable transaction cannot nest inside one that is not: begin "
				"the outermost transaction with WD_STATE_TX_DURABLE");
		rc = exec_quiet(st, "SAVEPOINT wd");
		if (rc)
			return wd_st_sqlerr(st, rc, "starting a nested transaction");
		st->depth++;
		return 0;
	}
	/* Synchronous FULL syncs the log at every commit; the level cannot change inside a
	 * transaction, so it is set around the outermost one. */
	if (durable) {
		rc = exec_quiet(st, "PRAGMA synchronous = FULL");
		if (rc)
			return wd_st_sqlerr(st, rc, "asking for a durable transaction");
		st->durable = true;
	}
	/* IMMEDIATE takes the write lock now, waiting for it, rather than failing at the first
	 * write when another connection wrote in between. */
	rc = exec_quiet(st, "BEGIN IMMEDIATE");
	if (rc) {
		ret = wd_st_sqlerr(st, rc, "starting a transaction");
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
		return wd_st_seterr(st, -EINVAL, "no transaction to commit");
	tx_check(st);
	if (st->lost) {
		snprintf(prev, sizeof(prev), "%s", st->err);
		ret = wd_st_seterr(
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
			ret = wd_st_sqlerr(st, rc, "ending a nested transaction");
			exec_quiet(st, "ROLLBACK TO wd; RELEASE wd");
		}
		st->depth--;
		return ret;
	}
	rc = exec_quiet(st, "COMMIT");
	if (rc) {
		ret = wd_st_sqlerr(st, rc, "storing a transaction");
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
int wd_st_tx_end(struct wd_state *st, int ret)
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
		return wd_st_seterr(st, -EINVAL, "%s is not a regular file: move it aside", path);
	if (s->st_uid != uid)
		return wd_st_seterr(
			st, -EPERM,
			"%s belongs to uid %u, not to uid %u that warden runs as: state another "
			"user can change cannot be trusted; chown it to uid %u or move it aside",
			path, (unsigned)s->st_uid, (unsigned)uid, (unsigned)uid);
	if (s->st_mode & 077)
		return wd_st_seterr(
			st, -EPERM,
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
		return wd_st_seterr(st, -ENAMETOOLONG, "%s: path too long", st->path);
	if (lstat(p, &s))
		return errno == ENOENT ? 0 : wd_st_seterr(st, -errno, "%s: %s", p, strerror(errno));
	if (S_ISLNK(s.st_mode))
		return wd_st_seterr(st, -ELOOP, "%s is a symbolic link: remove it", p);
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
		return wd_st_seterr(st, -EINVAL, "the state database path is empty");
	if (snprintf(dir, sizeof(dir), "%s", st->path) >= (int)sizeof(dir))
		return wd_st_seterr(st, -ENAMETOOLONG, "%s: path too long", st->path);
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
			return wd_st_seterr(st, -errno, "cannot set mode 0700 on %s: %s", dir,
					    strerror(errno));
	} else if (errno != EEXIST) {
		return wd_st_seterr(st, -errno, "cannot create the state directory %s: %s%s", dir,
				    strerror(errno),
				    errno == ENOENT ? " (its parent must exist)" : "");
	}
	if (stat(dir, &s))
		return wd_st_seterr(st, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(s.st_mode))
		return wd_st_seterr(st, -ENOTDIR, "%s is not a directory", dir);
	if (s.st_uid != uid)
		return wd_st_seterr(
			st, -EPERM,
			"the state directory %s belongs to uid %u, not to uid %u that warden "
			"runs as; chown it to uid %u",
			dir, (unsigned)s.st_uid, (unsigned)uid, (unsigned)uid);
	if (s.st_mode & 022)
		return wd_st_seterr(
			st, -EPERM,
			"the state directory %s has mode %04o: other users could replace "
			"warden's state; chmod 700 it",
			dir, (unsigned)(s.st_mode & 07777));

	fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd >= 0) {
		if (fchmod(fd, 0600)) {
			ret = wd_st_seterr(st, -errno, "cannot set mode 0600 on %s: %s", st->path,
					   strerror(errno));
			close(fd);
			return ret;
		}
	} else if (errno == EEXIST) {
		fd = open(st->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return wd_st_seterr(
				st, -ELOOP,
				"%s is a symbolic link: warden keeps its state in a regular file "
				"of its own; remove the link",
				st->path);
		return wd_st_seterr(st, -errno, "cannot open %s: %s", st->path, strerror(errno));
	}
	if (fstat(fd, &s))
		ret = wd_st_seterr(st, -errno, "%s: %s", st->path, strerror(errno));
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
		rc = wd_st_sqlerr(st, rc, "%s: %s", st->path, sql);
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
		return wd_st_seterr(
			st, -EBADMSG,
			"%s is a SQLite database, but not one of warden's (application id "
			"%" PRId64 ", schema version %" PRId64 "): give warden a path of its own",
			st->path, app, *version);
	if (*version > WD_STATE_SCHEMA_VERSION)
		return wd_st_seterr(
			st, -EPROTONOSUPPORT,
			"%s has schema version %" PRId64 ", but this warden knows versions up "
			"to %d: it was written by a newer warden; run that one, or move the "
			"file aside to start with an empty state",
			st->path, *version, WD_STATE_SCHEMA_VERSION);
	if (*version < 0)
		return wd_st_seterr(st, -EBADMSG,
				    "%s has schema version %" PRId64 ": move it aside", st->path,
				    *version);
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
		rc = exec_quiet(st, wd_st_migrations[v]);
		if (rc)
			ret = wd_st_sqlerr(st, rc, "%s: migrating the schema from version %" PRId64,
					   st->path, v);
		if (!ret) {
			ret = query_int(st, "PRAGMA user_version", &again);
			if (!ret && again != v + 1)
				ret = wd_st_seterr(st, -EPROTO,
						   "migration %" PRId64
						   " left schema version %" PRId64
						   " (a bug in warden)",
						   v, again);
		}
		ret = wd_st_tx_end(st, ret);
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
		return wd_st_seterr(
			st, -ENOTSUP,
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
		return wd_st_sqlerr(st, rc, "%s: setting up the connection", st->path);

	if (flags & WD_STATE_QUICK_CHECK) {
		char res[WD_STATE_ERR_MAX / 2];

		ret = query_text(st, "PRAGMA quick_check(1)", res, sizeof(res));
		if (ret)
			return ret;
		if (strcmp(res, "ok"))
			return wd_st_seterr(
				st, -EBADMSG,
				"%s is damaged (%s): stop warden and move it aside to start with "
				"an empty state (the policy history in it is then lost)",
				st->path, res);
	}

	ret = migrate(st);
	if (ret)
		return ret;
	for (i = 0; i < S_NR; i++) {
		rc = sqlite3_prepare_v3(st->db, wd_st_stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[i], NULL);
		if (rc)
			return wd_st_sqlerr(st, rc, "%s: preparing statement %d (a bug in warden)",
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
			ret = wd_st_sqlerr(st, rc, "cannot open %s", st->path);
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

/* ---- Listings -------------------------------------------------------------------------------- */

int wd_st_each_row(struct wd_state *st, sqlite3_stmt *s, const struct wd_st_rows *k, void *ctx)
{
	void **v = NULL, **nv;
	size_t n = 0, i;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			ret = wd_st_seterr(st, -ENOMEM, "out of memory %s", k->what);
			break;
		}
		v = nv;
		ret = k->from_row(st, s, &v[n]);
		if (ret)
			break;
		n++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = wd_st_sqlerr(st, rc, "%s", k->what);
	stmt_resetp(&s);
	for (i = 0; !ret && i < n; i++)
		ret = k->use(v[i], ctx);
	for (i = 0; i < n; i++)
		k->free_row(v[i]);
	free(v);
	return ret;
}
