// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sandboxes as the state keeps them: recording, ending, switching policy, reading and listing
 * them, and pruning the records of ended ones. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "state/internal.h"

/* ---- Sandboxes ------------------------------------------------------------------------------- */

void wd_state_sandbox_free(struct wd_state_sandbox *sb)
{
	if (!sb)
		return;
	free((char *)sb->id);
	free((char *)sb->identity);
	wd_st_labels_free((struct wd_label *)sb->labels, sb->n_labels);
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
		return wd_st_seterr(st, -ENOMEM, "out of memory reading a sandbox");
	sb->id = col_dup(s, 0, NULL);
	sb->identity = col_dup(s, 1, NULL);
	sb->cgroup_path = col_dup(s, 2, NULL);
	sb->cgroup_id = col_u64(s, 3);
	sb->policy_id = sqlite3_column_int64(s, 4);
	sb->policy_generation = col_u64(s, 5);
	sb->policy_name = col_dup(s, 6, NULL);
	sb->created_at = col_u64(s, 7);
	sb->expires_at = col_u64(s, 8);
	sb->origin = enum_parse(wd_st_origin_names, ARRAY_SIZE(wd_st_origin_names),
				(const char *)sqlite3_column_text(s, 9));
	sb->audit = sqlite3_column_int(s, 10);
	sb->created_by = (uint32_t)sqlite3_column_int64(s, 11);
	sb->state = enum_parse(wd_st_state_names, ARRAY_SIZE(wd_st_state_names),
			       (const char *)sqlite3_column_text(s, 12));
	sb->ended_at = col_u64(s, 13);
	sb->end_detail = col_dup(s, 14, NULL);
	if (!sb->id || !sb->identity || !sb->cgroup_path || !sb->policy_name || !sb->end_detail) {
		wd_state_sandbox_free(sb);
		return wd_st_seterr(st, -ENOMEM, "out of memory reading a sandbox");
	}
	if (!sb->origin || !sb->state) {
		ret = wd_st_seterr(
			st, -EBADMSG,
			"sandbox %s in %s has an unknown origin or state: was the database "
			"changed by another program?",
			sb->id, st->path);
		wd_state_sandbox_free(sb);
		return ret;
	}
	ret = wd_st_labels_load(st, S_SB_LABELS, sb->id, &labels, &sb->n_labels);
	if (ret) {
		wd_state_sandbox_free(sb);
		return ret;
	}
	sb->labels = labels;
	*out = sb;
	return 0;
}

/* Binds @id to @s and steps to its row. Returns 0 on the row, -ENOENT if there is none. */
static int sandbox_step(struct wd_state *st, sqlite3_stmt *s, const char *id)
{
	int rc;

	if ((rc = bind_text(s, 1, id)))
		return wd_st_sqlerr(st, rc, "reading sandbox %s", id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return wd_st_seterr(st, -ENOENT, "no sandbox %s", id);
	if (rc != SQLITE_ROW)
		return wd_st_sqlerr(st, rc, "reading sandbox %s", id);
	return 0;
}

static int sandbox_state(struct wd_state *st, const char *id, enum wd_sb_state *state)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_STATE];
	int ret = sandbox_step(st, s, id);

	if (ret)
		return ret;
	*state = enum_parse(wd_st_state_names, ARRAY_SIZE(wd_st_state_names),
			    (const char *)sqlite3_column_text(s, 0));
	return 0;
}

static int policy_exists(struct wd_state *st, int64_t id)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_EXISTS];
	int rc;

	if ((rc = sqlite3_bind_int64(s, 1, id)))
		return wd_st_sqlerr(st, rc, "looking up policy %" PRId64, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return wd_st_seterr(
			st, -ENOENT,
			"no policy with id %" PRId64 ": record the policy before naming it", id);
	return rc == SQLITE_ROW ? 0 : wd_st_sqlerr(st, rc, "looking up policy %" PRId64, id);
}

static int sandbox_add_tx(struct wd_state *st, const struct wd_state_sandbox *sb)
{
	enum wd_sb_state state;
	int rc, ret;

	ret = sandbox_state(st, sb->id, &state);
	if (!ret)
		return wd_st_seterr(st, -EEXIST,
				    "sandbox %s exists already (%s): every sandbox needs a new id",
				    sb->id, wd_sb_state_name(state));
	if (ret != -ENOENT)
		return ret;
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_ACTIVE_BY_CGROUP];

		if ((rc = bind_text(s, 1, sb->cgroup_path)))
			return wd_st_sqlerr(st, rc, "looking up cgroup %s", sb->cgroup_path);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			return wd_st_seterr(
				st, -EEXIST, "cgroup %s is sandbox %s already: end that one first",
				sb->cgroup_path, (const char *)sqlite3_column_text(s, 0));
		if (rc != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "looking up cgroup %s", sb->cgroup_path);
	}
	if (sb->policy_id) {
		ret = policy_exists(st, sb->policy_id);
		if (ret)
			return ret;
	}
	ret = wd_st_identity_touch_tx(st, sb->identity, sb->labels, sb->n_labels, sb->created_at);
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
		    (rc = bind_text(s, 8, wd_st_origin_names[sb->origin])) ||
		    (rc = sqlite3_bind_int(s, 9, sb->audit)) ||
		    (rc = sqlite3_bind_int64(s, 10, sb->created_by)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "recording sandbox %s", sb->id);
	}
	return wd_st_labels_store(st, S_SB_LABEL_ADD, sb->id, sb->labels, sb->n_labels);
}

int wd_state_sandbox_add(struct wd_state *st, const struct wd_state_sandbox *sb)
{
	int ret;

	if (!sb->id || !wd_st_sandbox_id_valid(sb->id))
		return wd_st_seterr(st, -EINVAL,
				    "sandbox id \"%s\" is not \"sb-\" and 16 hex digits",
				    sb->id ? sb->id : "");
	ret = wd_st_check_text(st, "the sandbox's identity", sb->identity, false);
	if (!ret)
		ret = wd_st_check_labels(st, sb->labels, sb->n_labels);
	if (!ret)
		ret = wd_st_check_text(st, "the sandbox's cgroup path", sb->cgroup_path, false);
	if (!ret && sb->cgroup_path[0] != '/')
		ret = wd_st_seterr(st, -EINVAL, "cgroup path \"%s\" is not absolute",
				   sb->cgroup_path);
	if (!ret)
		ret = wd_st_check_time(st, "the sandbox's creation time", sb->created_at, false);
	if (!ret)
		ret = wd_st_check_time(st, "the sandbox's expiry time", sb->expires_at, true);
	if (!ret && !enum_name(wd_st_origin_names, ARRAY_SIZE(wd_st_origin_names), sb->origin))
		ret = wd_st_seterr(st, -EINVAL, "unknown sandbox origin %d", (int)sb->origin);
	if (!ret && sb->policy_id < 0)
		ret = wd_st_seterr(st, -EINVAL, "policy id %" PRId64 " is negative", sb->policy_id);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return wd_st_tx_end(st, sandbox_add_tx(st, sb));
}

static int sandbox_end_tx(struct wd_state *st, const char *id, enum wd_sb_state state, uint64_t at,
			  const char *detail)
{
	enum wd_sb_state now;
	int rc, ret;

	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_END];

		if ((rc = bind_text(s, 1, id)) ||
		    (rc = bind_text(s, 2, wd_st_state_names[state])) || (rc = bind_u64(s, 3, at)) ||
		    (rc = bind_text(s, 4, detail)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "ending sandbox %s", id);
	}
	if (!sqlite3_changes(st->db)) {
		ret = sandbox_state(st, id, &now);
		if (ret)
			return ret;
		return wd_st_seterr(
			st, -EALREADY,
			"sandbox %s has already ended (%s): only an active sandbox can end", id,
			wd_sb_state_name(now));
	}
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_SUPERSEDE];

		if ((rc = bind_text(s, 1, wd_st_target_names[WD_TARGET_SANDBOX])) ||
		    (rc = bind_text(s, 2, id)) || (rc = bind_u64(s, 3, at)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "retiring the policy of sandbox %s", id);
	}
	return 0;
}

int wd_state_sandbox_end(struct wd_state *st, const char *id, enum wd_sb_state state, uint64_t at,
			 const char *detail)
{
	int ret;

	if (!detail)
		detail = "";
	ret = wd_st_check_text(st, "sandbox id", id, false);
	if (!ret && state != WD_SB_ENDED && state != WD_SB_EXPIRED && state != WD_SB_REVOKED)
		ret = wd_st_seterr(st, -EINVAL,
				   "a sandbox can only end as ended, expired or revoked (not %s)",
				   wd_sb_state_name(state));
	if (!ret)
		ret = wd_st_check_time(st, "the time the sandbox ended", at, false);
	if (!ret)
		ret = wd_st_check_text(st, "why the sandbox ended", detail, true);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return wd_st_tx_end(st, sandbox_end_tx(st, id, state, at, detail));
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
			return wd_st_sqlerr(st, rc, "switching the policy of sandbox %s", id);
	}
	if (sqlite3_changes(st->db))
		return 0;
	ret = sandbox_state(st, id, &state);
	if (ret)
		return ret;
	return wd_st_seterr(st, -ESTALE,
			    "sandbox %s has ended (%s): its policy can no longer change", id,
			    wd_sb_state_name(state));
}

int wd_state_sandbox_set_policy(struct wd_state *st, const char *id, int64_t policy_id)
{
	int ret;

	ret = wd_st_check_text(st, "sandbox id", id, false);
	if (!ret && policy_id < 0)
		ret = wd_st_seterr(st, -EINVAL, "policy id %" PRId64 " is negative", policy_id);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return wd_st_tx_end(st, sandbox_set_policy_tx(st, id, policy_id));
}

int wd_state_sandbox_get(struct wd_state *st, const char *id, struct wd_state_sandbox **out)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_GET];
	int ret;

	*out = NULL;
	ret = wd_st_check_text(st, "sandbox id", id, false);
	if (!ret)
		ret = sandbox_step(st, s, id);
	if (ret)
		return ret;
	return sandbox_from_row(st, s, out);
}

/* Sandbox listings as wd_st_each_row() reads them. */
struct sandbox_fn {
	wd_state_sandbox_fn fn;
	void *arg;
};

static int sandbox_row(struct wd_state *st, sqlite3_stmt *s, void **row)
{
	struct wd_state_sandbox *sb;
	int ret = sandbox_from_row(st, s, &sb);

	*row = sb;
	return ret;
}

static int sandbox_use(const void *row, void *ctx)
{
	const struct sandbox_fn *f = ctx;

	return f->fn(row, f->arg);
}

static void sandbox_free_row(void *row)
{
	wd_state_sandbox_free(row);
}

static const struct wd_st_rows sandbox_rows = {
	.from_row = sandbox_row,
	.use = sandbox_use,
	.free_row = sandbox_free_row,
	.what = "listing sandboxes",
};

/* Reads every row of @s, ends the statement, then calls @fn with each. */
static int sandbox_list(struct wd_state *st, sqlite3_stmt *s, wd_state_sandbox_fn fn, void *arg)
{
	struct sandbox_fn f = {fn, arg};

	return wd_st_each_row(st, s, &sandbox_rows, &f);
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

	ret = wd_st_check_time(st, "the time to list expired sandboxes at", now, false);
	if (ret)
		return ret;
	if ((rc = bind_u64(s, 1, now))) {
		stmt_resetp(&s);
		return wd_st_sqlerr(st, rc, "listing expired sandboxes");
	}
	return sandbox_list(st, s, fn, arg);
}

int wd_state_sandbox_prune(struct wd_state *st, uint64_t before, uint64_t *n)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_SB_PRUNE];
	int rc, ret;

	ret = wd_st_check_time(st, "the time to prune ended sandboxes before", before, false);
	if (ret)
		return ret;
	if ((rc = bind_u64(s, 1, before)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
		return wd_st_sqlerr(st, rc, "deleting the records of ended sandboxes");
	if (n)
		*n = (uint64_t)sqlite3_changes(st->db);
	return 0;
}
