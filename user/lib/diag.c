// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Diagnostics: a growing list that never fails to count an error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"

void wd_diags_init(struct wd_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void wd_diags_free(struct wd_diags *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void wd_diags_add(struct wd_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	struct wd_diag *g;
	va_list ap;

	d->total++;
	if (d->n >= WD_DIAGS_KEPT)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct wd_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	g = &d->v[d->n++];
	snprintf(g->file, sizeof(g->file), "%s", file ? file : "");
	g->line = line;
	g->col = col;
	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
	va_end(ap);
}

void wd_diags_sort(struct wd_diags *d, size_t from)
{
	size_t i, j;

	/* Insertion sort: stable, and there are at most WD_DIAGS_KEPT. */
	for (i = from + 1; i < d->n; i++) {
		struct wd_diag t = d->v[i];

		for (j = i; j > from; j--) {
			const struct wd_diag *p = &d->v[j - 1];
			int c = strcmp(p->file, t.file);

			if (c < 0 || (c == 0 &&
				      (p->line < t.line || (p->line == t.line && p->col <= t.col))))
				break;
			d->v[j] = d->v[j - 1];
		}
		d->v[j] = t;
	}
}

void wd_diags_print(FILE *f, const struct wd_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct wd_diag *g = &d->v[i];

		if (g->line > 0)
			fprintf(f, "%s:%d:%d: %s\n", g->file, g->line, g->col, g->msg);
		else
			fprintf(f, "%s: %s\n", g->file, g->msg);
	}
	if (d->total > d->n)
		fprintf(f, "... and %zu more errors\n", d->total - d->n);
}
