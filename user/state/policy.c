// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Applied policies: recording one (superseding the one in force), reading one back, and a
 * target's history. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "state/internal.h"

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
		return wd_st_seterr(st, -ENOMEM, "out of memory reading a policy");
	p->id = sqlite3_column_int64(s, 0);
	p->generation = col_u64(s, 1);
	p->target_kind = enum_parse(wd_st_target_names, ARRAY_SIZE(wd_st_target_names),
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
		return wd_st_seterr(st, -ENOMEM, "out of memory reading a policy");
	}
	if (!p->target_kind) {
		wd_state_policy_free(p);
		return wd_st_seterr(st, -EBADMSG,
				    "policy generation %" PRIu64
				    " in %s has an unknown target kind: was "
				    "the database changed by another program?",
				    col_u64(s, 1), st->path);
	}
	*out = p;
	return 0;
}

static int policy_insert_tx(struct wd_state *st, const struct wd_state_policy *p,
			    const char *target, const char *sha, int64_t *id, uint64_t *generation)
{
	const char *kind = wd_st_target_names[p->target_kind];
	int rc;

	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_SUPERSEDE];

		if ((rc = bind_text(s, 1, kind)) || (rc = bind_text(s, 2, target)) ||
		    (rc = bind_u64(s, 3, p->applied_at)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "superseding the policy in force");
	}
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_POLICY_NEXT_GEN];

		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			return wd_st_sqlerr(st, rc, "numbering the new policy generation");
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
			return wd_st_sqlerr(st, rc, "recording policy \"%s\"", p->source);
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

	ret = wd_st_check_target(st, p->target_kind, p->target, &target);
	if (!ret)
		ret = wd_st_check_text(st, "the policy's name", p->name, true);
	if (!ret)
		ret = wd_st_check_text(st, "the policy's source", p->source, false);
	if (!ret)
		ret = wd_st_check_time(st, "the time the policy was applied", p->applied_at, false);
	if (ret)
		return ret;
	if (!p->text)
		return wd_st_seterr(st, -EINVAL, "policy \"%s\" has no text", p->source);
	if (p->text_len > WD_STATE_POLICY_MAX)
		return wd_st_seterr(st, -EINVAL,
				    "policy \"%s\" is %zu bytes, more than the %u allowed",
				    p->source, p->text_len, WD_STATE_POLICY_MAX);
	if (sha256_hex(p->text, p->text_len, sha))
		return wd_st_seterr(st, -EIO,
				    "computing the SHA-256 of policy \"%s\" failed (libcrypto)",
				    p->source);

	ret = wd_state_begin(st, WD_STATE_TX_DURABLE);
	if (ret)
		return ret;
	ret = wd_st_tx_end(st, policy_insert_tx(st, p, target, sha, &id, &generation));
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
	ret = wd_st_check_target(st, kind, target, &stored);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, wd_st_target_names[kind])) || (rc = bind_text(s, 2, stored)) ||
	    (generation && (rc = bind_u64(s, 3, generation))))
		return wd_st_sqlerr(st, rc, "reading a policy");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return policy_from_row(st, s, out);
	if (rc != SQLITE_DONE)
		return wd_st_sqlerr(st, rc, "reading the policy of %s",
				    wd_st_target_desc(kind, stored, desc, sizeof(desc)));
	if (generation)
		return wd_st_seterr(st, -ENOENT, "%s has no policy generation %" PRIu64,
				    wd_st_target_desc(kind, stored, desc, sizeof(desc)),
				    generation);
	return wd_st_seterr(st, -ENOENT, "%s has no policy applied",
			    wd_st_target_desc(kind, stored, desc, sizeof(desc)));
}

int wd_state_policy_current(struct wd_state *st, enum wd_policy_target kind, const char *target,
			    struct wd_state_policy **out)
{
	return wd_state_policy_get(st, kind, target, 0, out);
}

/* The policy history as wd_st_each_row() reads it. */
struct policy_fn {
	wd_state_policy_fn fn;
	void *arg;
};

static int policy_row(struct wd_state *st, sqlite3_stmt *s, void **row)
{
	struct wd_state_policy *p;
	int ret = policy_from_row(st, s, &p);

	*row = p;
	return ret;
}

static int policy_use(const void *row, void *ctx)
{
	const struct policy_fn *f = ctx;

	return f->fn(row, f->arg);
}

static void policy_free_row(void *row)
{
	wd_state_policy_free(row);
}

static const struct wd_st_rows policy_rows = {
	.from_row = policy_row,
	.use = policy_use,
	.free_row = policy_free_row,
	.what = "reading the policy history",
};

int wd_state_policy_history(struct wd_state *st, enum wd_policy_target kind, const char *target,
			    wd_state_policy_fn fn, void *arg)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[kind ? S_POLICY_HISTORY : S_POLICY_HISTORY_ALL];
	struct policy_fn f = {fn, arg};
	const char *stored;
	int rc, ret;

	if (kind) {
		ret = wd_st_check_target(st, kind, target, &stored);
		if (ret)
			return ret;
		if ((rc = bind_text(s, 1, wd_st_target_names[kind])) ||
		    (rc = bind_text(s, 2, stored)))
			return wd_st_sqlerr(st, rc, "reading the policy history");
	}
	/* Every row first, so that @fn may use the handle. */
	return wd_st_each_row(st, s, &policy_rows, &f);
}
