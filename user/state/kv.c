// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's facts: small values it keeps by name, as text or as numbers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/internal.h"

/* ---- Daemon facts ---------------------------------------------------------------------------- */

int wd_state_kv_get(struct wd_state *st, const char *key, char *buf, size_t size)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_KV_GET];
	const unsigned char *t;
	size_t len;
	int rc, ret;

	ret = wd_st_check_text(st, "key", key, false);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, key)))
		return wd_st_sqlerr(st, rc, "reading \"%s\"", key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return wd_st_seterr(st, -ENOENT, "\"%s\" is not set", key);
	if (rc != SQLITE_ROW)
		return wd_st_sqlerr(st, rc, "reading \"%s\"", key);
	t = sqlite3_column_text(s, 0);
	len = t ? (size_t)sqlite3_column_bytes(s, 0) : 0;
	if (len >= size)
		return wd_st_seterr(st, -ENOBUFS,
				    "the value of \"%s\" takes %zu bytes, more than the %zu given",
				    key, len + 1, size);
	if (len)
		memcpy(buf, t, len);
	buf[len] = '\0';
	return 0;
}

int wd_state_kv_set(struct wd_state *st, const char *key, const char *value)
{
	sqlite3_stmt *s _cleanup_stmt_ = st->stmt[S_KV_SET];
	int rc, ret;

	ret = wd_st_check_text(st, "key", key, false);
	if (!ret)
		ret = wd_st_check_text(st, "value", value, true);
	if (ret)
		return ret;
	if ((rc = bind_text(s, 1, key)) || (rc = bind_text(s, 2, value)) ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		return wd_st_sqlerr(st, rc, "storing \"%s\"", key);
	return 0;
}

int wd_state_kv_get_u64(struct wd_state *st, const char *key, uint64_t *value)
{
	char buf[32], *end;
	unsigned long long v;
	int ret;

	ret = wd_state_kv_get(st, key, buf, sizeof(buf));
	if (ret == -ENOBUFS)
		return wd_st_seterr(st, -EINVAL, "the value of \"%s\" is not a number", key);
	if (ret)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || *end || errno)
		return wd_st_seterr(st, -EINVAL, "the value of \"%s\", \"%s\", is not a number",
				    key, buf);
	*value = v;
	return 0;
}

int wd_state_kv_set_u64(struct wd_state *st, const char *key, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return wd_state_kv_set(st, key, buf);
}
