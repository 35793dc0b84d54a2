// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What goes wrong, said for people: the handle's message (wd_state_errmsg), SQLite's errors as
 * -errno with advice, and the checks of what callers give every call. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "state/internal.h"

/* ---- Errors ---------------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) int wd_st_seterr(struct wd_state *st, int ret,
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
__attribute__((format(printf, 3, 4))) int wd_st_sqlerr(struct wd_state *st, int rc, const char *fmt,
						       ...)
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

int wd_st_check_text(struct wd_state *st, const char *what, const char *s, bool may_be_empty)
{
	if (!s || (!*s && !may_be_empty))
		return wd_st_seterr(st, -EINVAL, "%s is missing", what);
	if (strnlen(s, WD_STATE_TEXT_MAX + 1) > WD_STATE_TEXT_MAX)
		return wd_st_seterr(st, -EINVAL, "%s is longer than %d bytes", what,
				    WD_STATE_TEXT_MAX);
	return 0;
}

/* SQLite integers are signed 64 bits: times run out in 2262, and 0 means "none" where allowed. */
int wd_st_check_time(struct wd_state *st, const char *what, uint64_t t, bool may_be_zero)
{
	if (!t && !may_be_zero)
		return wd_st_seterr(st, -EINVAL, "%s is missing (0)", what);
	if (t > INT64_MAX)
		return wd_st_seterr(st, -EINVAL,
				    "%s %" PRIu64
				    " is not a time in ns since 1970 (it lies past 2262)",
				    what, t);
	return 0;
}

int wd_st_check_labels(struct wd_state *st, const struct wd_label *labels, size_t n)
{
	size_t i, j;
	int ret;

	if (!labels && n)
		return wd_st_seterr(st, -EINVAL, "%zu labels announced but none given", n);
	if (n > WD_STATE_LABELS_MAX)
		return wd_st_seterr(st, -EINVAL, "%zu labels: at most %d are kept", n,
				    WD_STATE_LABELS_MAX);
	for (i = 0; i < n; i++) {
		ret = wd_st_check_text(st, "label key", labels[i].key, false);
		if (!ret)
			ret = wd_st_check_text(st, "label value", labels[i].value, true);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcmp(labels[i].key, labels[j].key))
				return wd_st_seterr(st, -EINVAL,
						    "label \"%s\" is given twice: each key once",
						    labels[i].key);
	}
	return 0;
}

bool wd_st_sandbox_id_valid(const char *id)
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
int wd_st_check_target(struct wd_state *st, enum wd_policy_target kind, const char *target,
		       const char **stored)
{
	switch (kind) {
	case WD_TARGET_NODE:
		if (target && *target)
			return wd_st_seterr(st, -EINVAL,
					    "the node default takes no target name (\"%s\" given)",
					    target);
		*stored = "";
		return 0;
	case WD_TARGET_IDENTITY:
		*stored = target;
		return wd_st_check_text(st, "the policy's target identity", target, false);
	case WD_TARGET_SANDBOX:
		*stored = target;
		return wd_st_check_text(st, "the policy's target sandbox id", target, false);
	}
	return wd_st_seterr(st, -EINVAL, "unknown policy target kind %d", (int)kind);
}

/* "the node default", "identity ci:x", "sandbox sb-...", for messages. */
const char *wd_st_target_desc(enum wd_policy_target kind, const char *target, char *buf,
			      size_t size)
{
	if (kind == WD_TARGET_NODE)
		return "the node default";
	snprintf(buf, size, "%s %s", wd_st_target_names[kind], target);
	return buf;
}
