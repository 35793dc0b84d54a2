// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The schema of the state database: the migrations that build it, one per version, the words
 * enums are stored as, and the SQL of every statement prepared at open. */
#include "state/internal.h"

/* Migration N takes a database from schema version N to N + 1, and says so in its last two
 * lines. Released migrations are never edited: a change is a new one. */
const char *const wd_st_migrations[] = {
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

_Static_assert(ARRAY_SIZE(wd_st_migrations) == WD_STATE_SCHEMA_VERSION,
	       "one migration per schema version");
_Static_assert(WD_STATE_APPLICATION_ID == 1464095572, "the first migration writes it literally");

/* How enums are stored: the words the CHECK constraints above allow. */
const char *const wd_st_target_names[] = {
	[WD_TARGET_NODE] = "node",
	[WD_TARGET_IDENTITY] = "identity",
	[WD_TARGET_SANDBOX] = "sandbox",
};
const char *const wd_st_origin_names[] = {
	[WD_SB_RUN] = "run",
	[WD_SB_ADOPT] = "adopt",
	[WD_SB_AUTO] = "auto",
};
const char *const wd_st_state_names[] = {
	[WD_SB_ACTIVE] = "active",
	[WD_SB_ENDED] = "ended",
	[WD_SB_EXPIRED] = "expired",
	[WD_SB_REVOKED] = "revoked",
};

const char *wd_sb_origin_name(enum wd_sb_origin o)
{
	const char *s = enum_name(wd_st_origin_names, ARRAY_SIZE(wd_st_origin_names), o);

	return s ? s : "?";
}

const char *wd_sb_state_name(enum wd_sb_state s)
{
	const char *n = enum_name(wd_st_state_names, ARRAY_SIZE(wd_st_state_names), s);

	return n ? n : "?";
}

/* The columns policy_from_row() and sandbox_from_row() read, in this order. */
#define POLICY_COLUMNS                                                                             \
	"id, generation, target_kind, target, name, source, sha256, applied_at, applied_by, "      \
	"superseded_at, "
#define SANDBOX_FROM                                                                               \
	"SELECT s.id, s.identity, s.cgroup_path, s.cgroup_id, s.policy_id, p.generation, p.name, " \
	"s.created_at, s.expires_at, s.origin, s.audit, s.created_by, s.state, s.ended_at, "       \
	"s.end_detail FROM sandboxes s LEFT JOIN policies p ON p.id = s.policy_id "

const char *const wd_st_stmt_sql[S_NR] = {
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
