/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Path rules' variables: what ${workdir} and ${home} stand for, and the expansion and
 * normalisation of a rule's text into the path the kernel matches. A leaf: both the parser
 * (which validates paths with placeholder values) and the compiler use it. Pure. */
#ifndef WD_POLICY_PATH_H
#define WD_POLICY_PATH_H

#include <stddef.h>

/* What ${workdir} and ${home} stand for; NULL when unknown (a policy using it does not compile).
 * Both must be absolute; they are used as given (the caller resolves symlinks). */
struct wd_policy_ctx {
	const char *workdir;
	const char *home;
};

/* The values `warden policy check` uses to validate policies that use the variables. */
#define WD_PLACEHOLDER_WORKDIR "/nonexistent/workdir"
#define WD_PLACEHOLDER_HOME    "/nonexistent/home"

/* The longest text wd_path_expand expands, before normalisation. */
#define WD_PATH_EXPAND_MAX 8192

/* Expands ${workdir} and ${home} in @text and normalises the result (collapses "//"; rejects
 * relative paths, "." and ".." components) into @out. On error returns -EINVAL (-ENOENT: a
 * variable has no value; -ENAMETOOLONG: the result does not fit) and sets *@why to a message
 * (static, or written into @why_buf). */
int wd_path_expand(const char *text, const struct wd_policy_ctx *ctx, char *out, size_t size,
		   char *why_buf, size_t why_size, const char **why);

#endif
