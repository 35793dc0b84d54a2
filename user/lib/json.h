/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The JSON primitives warden's printers need: a correctly escaped string, and a growable
 * buffer that the event formatters of the sinks write into without stdio. */
#ifndef WD_JSON_H
#define WD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Writes @s as a JSON string literal, quotes included (RFC 8259 escaping; bytes that are not
 * valid UTF-8 are written as \u00XX of the byte so the output is always valid JSON). */
void wd_json_str(FILE *f, const char *s);

/* Bytes appended at the end, growing as needed. A failed allocation sticks: what comes after
 * it is dropped and @oom stays set, so a writer checks once, at the end. Zero is empty. */
struct wd_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Makes room for @more bytes; false (and oom set) when it cannot. */
bool wd_buf_grow(struct wd_buf *b, size_t more);
void wd_buf_free(struct wd_buf *b);

static inline void wd_buf_add(struct wd_buf *b, const void *s, size_t n)
{
	if (n > b->cap - b->len && !wd_buf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void wd_buf_ch(struct wd_buf *b, char c)
{
	if (b->len == b->cap && !wd_buf_grow(b, 1))
		return;
	b->p[b->len++] = c;
}

static inline void wd_buf_str(struct wd_buf *b, const char *s)
{
	wd_buf_add(b, s, strlen(s));
}

/* Writes @v in decimal at @p (room for 20 digits, no NUL); returns the digits written. */
size_t wd_put_dec(char *p, uint64_t v);
/* Decimal numbers, as printf's %llu and %lld write them. */
void wd_buf_u64(struct wd_buf *b, uint64_t v);
void wd_buf_i64(struct wd_buf *b, int64_t v);

/* wd_json_str() into @b: the same bytes. */
void wd_json_buf_str(struct wd_buf *b, const char *s);

#endif
