// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Identities as the state keeps them (name, first and last seen, labels), and the label rows
 * sandboxes share. */
#include <errno.h>
#include <stdlib.h>

#include "state/internal.h"

/* ---- Labels ---------------------------------------------------------------------------------- */

void wd_st_labels_free(struct wd_label *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)v[i].key);
		free((char *)v[i].value);
	}
	free(v);
}

/* The labels of @owner by statement @id (key, value rows). */
int wd_st_labels_load(struct wd_state *st, enum stmt_id id, const char *owner,
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
		return wd_st_sqlerr(st, rc, "reading the labels of %s", owner);
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
		wd_st_labels_free(v, n);
		return wd_st_sqlerr(st, rc, "reading the labels of %s", owner);
	}
	*out = v;
	*n_out = n;
	return 0;
nomem:
	wd_st_labels_free(v, n);
	return wd_st_seterr(st, -ENOMEM, "out of memory reading the labels of %s", owner);
}

/* Inserts @labels for @owner with statement @id (owner, key, value). In the caller's
 * transaction. */
int wd_st_labels_store(struct wd_state *st, enum stmt_id id, const char *owner,
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
			return wd_st_sqlerr(st, rc, "storing label \"%s\" of %s", labels[i].key,
					    owner);
	}
	return 0;
}

/* ---- Identities ------------------------------------------------------------------------------ */

/* In the caller's transaction, with checked arguments. */
int wd_st_identity_touch_tx(struct wd_state *st, const char *name, const struct wd_label *labels,
			    size_t n_labels, uint64_t now)
{
	int rc;

	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_IDENTITY_UPSERT];

		if ((rc = bind_text(s, 1, name)) || (rc = bind_u64(s, 2, now)) ||
		    (rc = sqlite3_step(s)) != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "recording identity \"%s\"", name);
	}
	if (!labels)
		return 0;
	{
		sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_IDENTITY_LABELS_DEL];

		if ((rc = bind_text(s, 1, name)) || (rc = sqlite3_step(s)) != SQLITE_DONE)
			return wd_st_sqlerr(st, rc, "replacing the labels of identity \"%s\"",
					    name);
	}
	return wd_st_labels_store(st, S_IDENTITY_LABEL_ADD, name, labels, n_labels);
}

int wd_state_identity_touch(struct wd_state *st, const char *name, const struct wd_label *labels,
			    size_t n_labels, uint64_t now)
{
	int ret;

	ret = wd_st_check_text(st, "identity name", name, false);
	if (!ret)
		ret = wd_st_check_labels(st, labels, n_labels);
	if (!ret)
		ret = wd_st_check_time(st, "the time the identity was seen", now, false);
	if (!ret)
		ret = wd_state_begin(st, 0);
	if (ret)
		return ret;
	return wd_st_tx_end(st, wd_st_identity_touch_tx(st, name, labels, n_labels, now));
}

void wd_state_identity_free(struct wd_state_identity *id)
{
	if (!id)
		return;
	free((char *)id->name);
	wd_st_labels_free(id->labels, id->n_labels);
	free(id);
}

int wd_state_identity_get(struct wd_state *st, const char *name, struct wd_state_identity **out)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_IDENTITY_GET];
	struct wd_state_identity *id;
	int rc, ret;

	*out = NULL;
	ret = wd_st_check_text(st, "identity name", name, false);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, name)))
		return wd_st_sqlerr(st, rc, "reading identity \"%s\"", name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return wd_st_seterr(st, -ENOENT, "no identity \"%s\" has been seen", name);
	if (rc != SQLITE_ROW)
		return wd_st_sqlerr(st, rc, "reading identity \"%s\"", name);
	id = calloc(1, sizeof(*id));
	if (!id || !(id->name = col_dup(s, 0, NULL))) {
		free(id);
		return wd_st_seterr(st, -ENOMEM, "out of memory reading identity \"%s\"", name);
	}
	id->first_seen = col_u64(s, 1);
	id->last_seen = col_u64(s, 2);
	/* Still inside the row's read snapshot: the labels belong to the same version. */
	ret = wd_st_labels_load(st, S_IDENTITY_LABELS, name, &id->labels, &id->n_labels);
	if (ret) {
		wd_state_identity_free(id);
		return ret;
	}
	*out = id;
	return 0;
}
