// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A unified diff of two texts by lines (diff.h), from the table of longest common subsequence
 * lengths: quadratic in lines, which is fine for policies (a few hundred lines). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/diff.h"

/* @s split in place at every "\n": an array of *@n line pointers into it (free it), or NULL. */
static char **split_lines(char *s, size_t *n)
{
	char **v = NULL, **w, *line;

	*n = 0;
	while ((line = strsep(&s, "\n"))) {
		w = realloc(v, (*n + 1) * sizeof(*v));
		if (!w) {
			free(v);
			return NULL;
		}
		v = w;
		v[(*n)++] = line;
	}
	return v;
}

char *wd_policy_diff(const char *a, const char *b, const char *na, const char *nb)
{
	_cleanup_free_ char *ca = strdup(a), *cb = strdup(b);
	_cleanup_free_ char **la = NULL, **lb = NULL;
	_cleanup_free_ uint32_t *t = NULL;
	char *out = NULL;
	size_t n = 0, m = 0, len = 0;
	FILE *f;

	if (!ca || !cb)
		return NULL;
	la = split_lines(ca, &n);
	lb = split_lines(cb, &m);
	if (!la || !lb || n > 20000 || m > 20000 || (n + 1) * (m + 1) > 50000000)
		return NULL;
	t = calloc((n + 1) * (m + 1), sizeof(*t));
	if (!t)
		return NULL;
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			t[i * (m + 1) + j] =
				!strcmp(la[i], lb[j])
					? t[(i + 1) * (m + 1) + j + 1] + 1
					: (t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
						   ? t[(i + 1) * (m + 1) + j]
						   : t[i * (m + 1) + j + 1]);
	fprintf(f, "--- %s\n+++ %s\n", na, nb);
	for (size_t i = 0, j = 0; i < n || j < m;) {
		if (i < n && j < m && !strcmp(la[i], lb[j])) {
			fprintf(f, " %s\n", la[i]);
			i++, j++;
		} else if (j < m &&
			   (i == n || t[i * (m + 1) + j + 1] >= t[(i + 1) * (m + 1) + j])) {
			fprintf(f, "+%s\n", lb[j++]);
		} else {
			fprintf(f, "-%s\n", la[i++]);
		}
	}
	/* @out is complete only once the stream is closed. */
	fclose(f);
	return out;
}
