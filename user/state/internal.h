/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of state/ share and nobody outside sees: the handle, the prepared statements,
 * the names enums are stored by, the helpers every statement is used with, and the calls that
 * set the handle's message (wd_state_errmsg). */
#ifndef WD_STATE_INTERNAL_H
#define WD_STATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "state/state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How long a call waits for another process's write lock before it fails with -EBUSY. */
#define BUSY_TIMEOUT_MS 5000

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

struct wd_state {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S_NR];
	unsigned depth; /* transactions open, the outermost included */
	bool durable;	/* the outermost one syncs at commit */
	bool lost;	/* SQLite rolled the transaction back after an error */
	char err[WD_STATE_ERR_MAX];
};

/* The SQL of each statement, prepared at open (schema.c). */
extern const char *const wd_st_stmt_sql[S_NR];
/* Migration N takes a database from schema version N to N + 1 (schema.c). */
extern const char *const wd_st_migrations[];

/* How enums are stored (schema.c): index by the enum; 0 has no name. */
extern const char *const wd_st_target_names[WD_TARGET_SANDBOX + 1];
extern const char *const wd_st_origin_names[WD_SB_AUTO + 1];
extern const char *const wd_st_state_names[WD_SB_REVOKED + 1];

static inline const char *enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : NULL;
}

/* The enum value of @text in @names, or 0. */
static inline unsigned enum_parse(const char *const *names, size_t n, const char *text)
{
	size_t i;

	for (i = 1; text && i < n; i++)
		if (names[i] && !strcmp(names[i], text))
			return (unsigned)i;
	return 0;
}

/* ---- Statements ------------------------------------------------------------------------------ */

/* Every statement is reset when the scope that used it ends, so that none holds a read snapshot
 * (which would keep the log from being checkpointed) or stale bindings. */
static inline void stmt_resetp(sqlite3_stmt **s)
{
	if (*s) {
		sqlite3_reset(*s);
		sqlite3_clear_bindings(*s);
	}
}
#define _cleanup_stmt_ __attribute__((cleanup(stmt_resetp)))

static inline int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static inline int bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	return sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

/* 0 is stored as NULL. */
static inline int bind_opt(sqlite3_stmt *s, int i, uint64_t v)
{
	return v ? bind_u64(s, i, v) : sqlite3_bind_null(s, i);
}

static inline uint64_t col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

/* A copy of text column @i ("" for NULL), or NULL when out of memory. */
static inline char *col_dup(sqlite3_stmt *s, int i, size_t *len)
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

static inline int exec_quiet(struct wd_state *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* ---- Listings (db.c) ------------------------------------------------------------------------ */

/* One kind of record for wd_st_each_row(): how a row becomes a record, how the caller's
 * function gets one, and how it is freed. */
struct wd_st_rows {
	int (*from_row)(struct wd_state *st, sqlite3_stmt *s, void **row);
	int (*use)(const void *row, void *ctx);
	void (*free_row)(void *row);
	const char *what; /* "listing sandboxes": for messages */
};

/* Reads every row of @s, ends the statement, then hands each record to @k->use with @ctx: so
 * that the caller's function may use the handle, writes included. Returns 0, the first nonzero
 * value use returned (which stops the listing), or -errno. */
int wd_st_each_row(struct wd_state *st, sqlite3_stmt *s, const struct wd_st_rows *k, void *ctx);

/* ---- Errors (errors.c) ----------------------------------------------------------------------- */

/* Sets the handle's message from @fmt and returns @ret. */
__attribute__((format(printf, 3, 4))) int wd_st_seterr(struct wd_state *st, int ret,
						       const char *fmt, ...);

/* Records SQLite's error @rc as "<what>: <SQLite's message>[: what to do]" and returns it as
 * -errno. */
__attribute__((format(printf, 3, 4))) int wd_st_sqlerr(struct wd_state *st, int rc, const char *fmt,
						       ...);

/* Ends a call's own transaction: kept when @ret is 0, undone otherwise. */
int wd_st_tx_end(struct wd_state *st, int ret);

/* ---- Checking what callers give (errors.c) --------------------------------------------------- */

int wd_st_check_text(struct wd_state *st, const char *what, const char *s, bool may_be_empty);
int wd_st_check_time(struct wd_state *st, const char *what, uint64_t t, bool may_be_zero);
int wd_st_check_labels(struct wd_state *st, const struct wd_label *labels, size_t n);
bool wd_st_sandbox_id_valid(const char *id);
/* Checks a policy target and returns its name as stored ("" for the node). */
int wd_st_check_target(struct wd_state *st, enum wd_policy_target kind, const char *target,
		       const char **stored);
/* "the node default", "identity ci:x", "sandbox sb-...", for messages. */
const char *wd_st_target_desc(enum wd_policy_target kind, const char *target, char *buf,
			      size_t size);

/* ---- Labels and identities (identity.c) ------------------------------------------------------ */

void wd_st_labels_free(struct wd_label *v, size_t n);
/* The labels of @owner by statement @id (key, value rows). */
int wd_st_labels_load(struct wd_state *st, enum stmt_id id, const char *owner,
		      struct wd_label **out, size_t *n_out);
/* Inserts @labels for @owner with statement @id (owner, key, value). In the caller's
 * transaction. */
int wd_st_labels_store(struct wd_state *st, enum stmt_id id, const char *owner,
		       const struct wd_label *labels, size_t n);
/* Records identity @name as seen at @now, with @labels unless NULL. In the caller's
 * transaction, with checked arguments. */
int wd_st_identity_touch_tx(struct wd_state *st, const char *name, const struct wd_label *labels,
			    size_t n_labels, uint64_t now);

#endif
