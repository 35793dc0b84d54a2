// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON string escaping, and the buffer the sinks' JSON is built in. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/utf8.h"

/* The stdio form, for the command line's output. wd_json_buf_str() writes the same bytes; the
 * unit tests hold the two to that. */
void wd_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);

	fputc('"', f);
	while (*s) {
		size_t n;

		switch (*s) {
		case '"':
			fputs("\\\"", f);
			s++;
			continue;
		case '\\':
			fputs("\\\\", f);
			s++;
			continue;
		case '\n':
			fputs("\\n", f);
			s++;
			continue;
		case '\r':
			fputs("\\r", f);
			s++;
			continue;
		case '\t':
			fputs("\\t", f);
			s++;
			continue;
		}
		n = wd_utf8_seq(s, (size_t)(end - s));
		if (*s < 0x20 || n == 0) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

bool wd_buf_grow(struct wd_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return false;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void wd_buf_free(struct wd_buf *b)
{
	free(b->p);
	*b = (struct wd_buf){0};
}

size_t wd_put_dec(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

void wd_buf_u64(struct wd_buf *b, uint64_t v)
{
	char t[20];

	wd_buf_add(b, t, wd_put_dec(t, v));
}

void wd_buf_i64(struct wd_buf *b, int64_t v)
{
	if (v < 0) {
		wd_buf_ch(b, '-');
		wd_buf_u64(b, -(uint64_t)v);
	} else {
		wd_buf_u64(b, (uint64_t)v);
	}
}

/* Bytes that stand for themselves in a JSON string: printable ASCII and DEL, but for '"' and
 * '\'. Runs of them are copied at once; the rest goes through the escaping rules above. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void wd_json_buf_str(struct wd_buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);

	wd_buf_ch(b, '"');
	while (s < end) {
		const unsigned char *run = s;
		size_t n;

		while (s < end && plain(*s))
			s++;
		wd_buf_add(b, run, (size_t)(s - run));
		if (s == end)
			break;
		switch (*s) {
		case '"':
			wd_buf_add(b, "\\\"", 2);
			s++;
			continue;
		case '\\':
			wd_buf_add(b, "\\\\", 2);
			s++;
			continue;
		case '\n':
			wd_buf_add(b, "\\n", 2);
			s++;
			continue;
		case '\r':
			wd_buf_add(b, "\\r", 2);
			s++;
			continue;
		case '\t':
			wd_buf_add(b, "\\t", 2);
			s++;
			continue;
		}
		n = *s < 0x20 ? 0 : wd_utf8_seq(s, (size_t)(end - s));
		if (n == 0) {
			char u[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15]};

			wd_buf_add(b, u, sizeof(u));
			s++;
			continue;
		}
		wd_buf_add(b, s, n);
		s += n;
	}
	wd_buf_ch(b, '"');
}
