/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's durable state: identities, sandboxes, applied policies and their history, and a
 * few daemon facts, in one SQLite database (WAL) under /var/lib/warden. Nothing here prints:
 * every call returns 0 or -errno, and wd_state_errmsg() then says what is wrong and what to do.
 *
 * A handle is used by one thread at a time and never across fork(): a child opens its own.
 * Times are CLOCK_REALTIME nanoseconds since the Unix epoch; 0 means "none" where a field says
 * so. Strings are stored byte for byte, whatever they contain. */
#ifndef WD_STATE_H
#define WD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h" /* struct wd_label */

#define WD_STATE_DIR  "/var/lib/warden"
#define WD_STATE_PATH WD_STATE_DIR "/state.db"
/* The schema this binary writes. A database with a newer one is refused, never downgraded. */
#define WD_STATE_SCHEMA_VERSION 1
/* PRAGMA application_id of a warden state database: "WDST". */
#define WD_STATE_APPLICATION_ID 1464095572
/* Enough for every message wd_state_errmsg() returns. */
#define WD_STATE_ERR_MAX 768
/* Longest identity name, sandbox id, cgroup path, label key or value, policy name or source,
 * end detail, key or value of a daemon fact, in bytes. */
#define WD_STATE_TEXT_MAX 4096
/* Longest policy text: what the control protocol can carry. */
#define WD_STATE_POLICY_MAX (1u << 20)
#define WD_STATE_LABELS_MAX WD_PB_LABELS_MAX

struct wd_state;

/* ---- Opening --------------------------------------------------------------------------------- */

/* Run PRAGMA quick_check at open and refuse a damaged database (-EBADMSG). Reads every page:
 * for start-up, not for every CLI call. */
#define WD_STATE_QUICK_CHECK (1u << 0)

/* Opens the database at @path (NULL: WD_STATE_PATH), creating it (mode 0600) and its directory
 * (mode 0700, the parent must exist) when missing, and migrating an older schema forward, one
 * transaction per version. The directory and file must belong to the effective user and not be
 * writable (the file: not readable) by others, and the file must not be a symbolic link;
 * otherwise -EPERM or -ELOOP. A database written by a newer warden is refused with
 * -EPROTONOSUPPORT, a file that is not a warden state database with -EBADMSG. Returns 0 with
 * *@out, or -errno with a message in @err (NULL: none). */
int wd_state_open(const char *path, unsigned flags, struct wd_state **out, char *err, size_t size);

/* Rolls back an unfinished transaction and closes. NULL is fine. */
void wd_state_close(struct wd_state *st);

/* What the last failed call on @st was about, what went wrong and what to do, e.g.
 * "sandbox sb-3f2a9c01d4e5b677 has already ended (revoked): only an active sandbox can end". */
const char *wd_state_errmsg(const struct wd_state *st);

/* The database's path. */
const char *wd_state_path(const struct wd_state *st);

/* ---- Transactions ---------------------------------------------------------------------------- */
/*
 * Every call below that writes more than one row makes its own transaction, so it is stored
 * whole or not at all. Several calls that must hold together go between wd_state_begin() and
 * wd_state_commit(); transactions nest (an inner one is a savepoint), and a call's own
 * transaction nests inside the caller's. Something wrong inside does not end the caller's
 * transaction: the caller decides to roll back or to carry on.
 */

/* Commit with the write-ahead log synced to disk, so the transaction survives power loss as
 * well as a crash. wd_state_policy_record() needs it; so does any outer transaction around it. */
#define WD_STATE_TX_DURABLE (1u << 0)

/* Starts a write transaction (-EBUSY when another process kept the database locked for 5 s).
 * A durable transaction cannot nest inside one that is not (-EINVAL). */
int wd_state_begin(struct wd_state *st, unsigned flags);
/* Ends the innermost transaction, keeping its changes (for the outermost: storing them). The
 * transaction has ended whatever this returns; on -errno nothing of it was stored. */
int wd_state_commit(struct wd_state *st);
/* Ends the innermost transaction, undoing its changes. */
void wd_state_rollback(struct wd_state *st);

/* ---- Identities ------------------------------------------------------------------------------ */

struct wd_state_identity {
	const char *name;
	struct wd_label *labels; /* the last set given, by key */
	size_t n_labels;
	uint64_t first_seen;
	uint64_t last_seen;
};

/* Records that identity @name was seen at @now: created if new, first_seen and last_seen
 * widened to include @now. A non-NULL @labels (even with @n_labels 0) replaces the identity's
 * labels; NULL keeps them. Label keys must be unique (-EINVAL). */
int wd_state_identity_touch(struct wd_state *st, const char *name, const struct wd_label *labels,
			    size_t n_labels, uint64_t now);

/* Returns 0 with *@out (free with wd_state_identity_free), or -ENOENT. */
int wd_state_identity_get(struct wd_state *st, const char *name, struct wd_state_identity **out);
void wd_state_identity_free(struct wd_state_identity *id);

/* ---- Policies -------------------------------------------------------------------------------- */
/*
 * Every policy ever applied is a row; the history of a target is its rows by generation. At
 * most one row per target is in force (superseded_at 0); applying a new one supersedes it at
 * the new one's applied_at. Rows are never deleted, so generations only grow.
 */

enum wd_policy_target {
	WD_TARGET_NODE = 1, /* the node default; target name "" */
	WD_TARGET_IDENTITY, /* every sandbox of one identity; target name: the identity */
	WD_TARGET_SANDBOX, /* one sandbox; target name: its id. Superseded when the sandbox ends. */
};

struct wd_state_policy {
	int64_t id;	     /* filled by wd_state_policy_record */
	uint64_t generation; /* filled by wd_state_policy_record: one more than any before */
	enum wd_policy_target target_kind;
	const char *target; /* NULL or "" for WD_TARGET_NODE */
	const char *name;   /* the policy's `name` ("" when it has none) */
	const char *source; /* where the text came from: "agent.yaml", "<default policy>" */
	char sha256[65];    /* lowercase hex of SHA-256(text); filled by wd_state_policy_record */
	const char *text;   /* NULL in history listings; see wd_state_policy_get */
	size_t text_len;
	uint64_t applied_at;
	uint32_t applied_by;	/* uid */
	uint64_t superseded_at; /* 0 while in force */
};

/* Records @p as applied to its target at p->applied_at, superseding the one in force, in one
 * durable transaction. Fills p->id, p->generation and p->sha256. -EINVAL when called inside a
 * transaction that is not durable. */
int wd_state_policy_record(struct wd_state *st, struct wd_state_policy *p);

/* The policy in force for a target: 0 with *@out (free with wd_state_policy_free), or -ENOENT
 * when the target has none. */
int wd_state_policy_current(struct wd_state *st, enum wd_policy_target kind, const char *target,
			    struct wd_state_policy **out);
/* Generation @generation of a target's history (0: the one in force), or -ENOENT. */
int wd_state_policy_get(struct wd_state *st, enum wd_policy_target kind, const char *target,
			uint64_t generation, struct wd_state_policy **out);
void wd_state_policy_free(struct wd_state_policy *p);

/* Called with each record of a listing; the record lives until @fn returns. Returning nonzero
 * stops the listing, which then returns that value. @fn may use the handle, writes included:
 * a listing reads all its rows before the first call. */
typedef int (*wd_state_policy_fn)(const struct wd_state_policy *p, void *arg);

/* A target's policies (@kind 0: every target's), oldest generation first, text NULL. */
int wd_state_policy_history(struct wd_state *st, enum wd_policy_target kind, const char *target,
			    wd_state_policy_fn fn, void *arg);

/* ---- Sandboxes ------------------------------------------------------------------------------- */

enum wd_sb_origin {
	WD_SB_RUN = 1, /* created by the daemon for warden run or sandbox create */
	WD_SB_ADOPT,   /* someone else's cgroup, adopted on request */
	WD_SB_AUTO,    /* someone else's cgroup, adopted by a configured path pattern */
};

enum wd_sb_state {
	WD_SB_ACTIVE = 1,
	WD_SB_ENDED,   /* its command ended, or it was removed */
	WD_SB_EXPIRED, /* its TTL passed */
	WD_SB_REVOKED,
};

struct wd_state_sandbox {
	const char *id; /* "sb-" and 16 lowercase hex digits */
	const char *identity;
	const struct wd_label *labels;
	size_t n_labels;
	const char *cgroup_path; /* absolute, in the cgroup2 file system */
	uint64_t cgroup_id;
	int64_t policy_id;	    /* wd_state_policy.id; 0: none recorded */
	uint64_t policy_generation; /* read only: the policy's; 0 when none */
	const char *policy_name;    /* read only: the policy's; "" when none */
	uint64_t created_at;
	uint64_t expires_at; /* 0: no TTL */
	enum wd_sb_origin origin;
	bool audit;
	uint32_t created_by; /* uid */
	enum wd_sb_state state;
	uint64_t ended_at;	/* 0 while active */
	const char *end_detail; /* "" while active */
};

/* "run", "adopt", "auto"; "active", "ended", "expired", "revoked"; "?" for anything else. */
const char *wd_sb_origin_name(enum wd_sb_origin o);
const char *wd_sb_state_name(enum wd_sb_state s);

/* Records a new active sandbox, and touches its identity (with the sandbox's labels, at
 * created_at), in one transaction. state, ended_at, end_detail, policy_generation and
 * policy_name are ignored. -EEXIST when the id is taken or an active sandbox has the cgroup;
 * -ENOENT when policy_id names no policy. */
int wd_state_sandbox_add(struct wd_state *st, const struct wd_state_sandbox *sb);

/* Ends an active sandbox: @state is WD_SB_ENDED, WD_SB_EXPIRED or WD_SB_REVOKED, @detail says
 * why (NULL: ""). Its own policy, if any, is superseded at @at. -ENOENT when there is no such
 * sandbox, -EALREADY when it has ended already (nothing changes). */
int wd_state_sandbox_end(struct wd_state *st, const char *id, enum wd_sb_state state, uint64_t at,
			 const char *detail);

/* Switches an active sandbox to policy @policy_id (0: none recorded). -ENOENT when there is no
 * such sandbox or policy, -ESTALE when the sandbox has ended. */
int wd_state_sandbox_set_policy(struct wd_state *st, const char *id, int64_t policy_id);

/* Returns 0 with *@out (free with wd_state_sandbox_free), or -ENOENT. */
int wd_state_sandbox_get(struct wd_state *st, const char *id, struct wd_state_sandbox **out);
void wd_state_sandbox_free(struct wd_state_sandbox *sb);

/* As wd_state_policy_fn. */
typedef int (*wd_state_sandbox_fn)(const struct wd_state_sandbox *sb, void *arg);

/* Active sandboxes, oldest first. */
int wd_state_sandbox_list_active(struct wd_state *st, wd_state_sandbox_fn fn, void *arg);
/* Active sandboxes whose TTL passed by @now (expires_at <= @now), earliest expiry first. */
int wd_state_sandbox_list_expired(struct wd_state *st, uint64_t now, wd_state_sandbox_fn fn,
				  void *arg);

/* Deletes the records of sandboxes that ended before @before; *@n (may be NULL): how many. */
int wd_state_sandbox_prune(struct wd_state *st, uint64_t before, uint64_t *n);

/* ---- Daemon facts ---------------------------------------------------------------------------- */

/* The value of @key into @buf: 0, -ENOENT when unset, -ENOBUFS when @size is too small. */
int wd_state_kv_get(struct wd_state *st, const char *key, char *buf, size_t size);
int wd_state_kv_set(struct wd_state *st, const char *key, const char *value);
/* The same for numbers, stored as decimal text: -EINVAL when the value is not one. */
int wd_state_kv_get_u64(struct wd_state *st, const char *key, uint64_t *value);
int wd_state_kv_set_u64(struct wd_state *st, const char *key, uint64_t value);

#endif
