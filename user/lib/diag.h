/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Diagnostics: errors collected with the file, line and column they point at, printed by the
 * caller. The policy and config parsers and the YAML walker report through them. */
#ifndef WD_DIAG_H
#define WD_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define WD_DIAG_FILE_MAX 256
#define WD_DIAG_MSG_MAX	 320
#define WD_DIAGS_KEPT	 200 /* more errors are counted, not stored */

struct wd_diag {
	char file[WD_DIAG_FILE_MAX];
	int line, col; /* 1-based; 0 when the message is about the whole file */
	char msg[WD_DIAG_MSG_MAX];
};

/* A list of errors. Zero-initialise it (or wd_diags_init), pass it to any number of calls, then
 * wd_diags_free it. @total counts every error added, @n those kept in @v. */
struct wd_diags {
	struct wd_diag *v;
	size_t n, cap;
	size_t total;
};

void wd_diags_init(struct wd_diags *d);
void wd_diags_free(struct wd_diags *d);
/* Adds one error; @line and @col are 1-based (0: none). Never fails: when memory runs out or the
 * list is full, the error is still counted in @total. */
void wd_diags_add(struct wd_diags *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Orders the entries from index @from on by file, line and column (stable). */
void wd_diags_sort(struct wd_diags *d, size_t from);
/* "file:line:column: message", one per line (without the line and column when there are none),
 * then how many were not kept, if any. */
void wd_diags_print(FILE *f, const struct wd_diags *d);

#endif
