/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `warden policy diff`: a unified diff of two policy texts, line by line. Pure: no syscalls, no
 * printing. */
#ifndef WD_POLICY_DIFF_H
#define WD_POLICY_DIFF_H

/* A unified diff of @a (named @na) against @b (named @nb), by lines, with the whole texts as
 * context: "--- na\n+++ nb\n", then each line of the longest common subsequence as " line",
 * lines only in @a as "-line" and lines only in @b as "+line" (an addition before the deletion
 * it replaces), each ending in "\n". A text is split at every "\n", so one that ends in "\n"
 * has an empty last line. Returns the diff (free it), or NULL when memory runs out or the texts
 * are too long for the table (more than 20000 lines, or 50 million line pairs). */
char *wd_policy_diff(const char *a, const char *b, const char *na, const char *nb);

#endif
