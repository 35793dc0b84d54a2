// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The strings of a converted event: kernel strings are bounded copies that may lack a NUL and
 * may hold any bytes, while protobuf strings must be UTF-8 (Google's parsers refuse others), so
 * every string is copied with its bound into the event's arena and made valid UTF-8 on the
 * way. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "event/internal.h"
#include "lib/utf8.h"

/* Whether the @n bytes at @p are all ASCII (then they are valid UTF-8 as they are): the common
 * case, checked eight bytes at a time. */
static bool all_ascii(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			return false;
	}
	for (; i < n; i++)
		if (p[i] & 0x80)
			return false;
	return true;
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* The common case of arena_str() in one pass instead of three (strnlen, the ASCII check, the
 * copy): an ASCII string copied eight bytes at a time up to its NUL. Returns its length, or
 * SIZE_MAX when the string is not ASCII or a word would not fit (the general path decides). */
static size_t ascii_copy(char *dst, size_t room, const char *s, size_t max)
{
	size_t n = 0;

	for (; n + 8 <= max && n + 8 < room; n += 8) {
		uint64_t w, zero;

		memcpy(&w, s + n, 8);
		/* The lowest flagged byte is the first NUL (higher flags may be false). */
		zero = (w - ONES) & ~w & HIGHS;
		if (zero) {
			unsigned k = (unsigned)__builtin_ctzll(zero) / 8;
			uint64_t before = k ? ~0ull >> (64 - 8 * k) : 0;

			/* Bytes after the NUL are not the string's: only those before count. */
			if (w & before & HIGHS)
				return SIZE_MAX;
			memcpy(dst + n, &w, 8); /* the NUL with it */
			return n + k;
		}
		if (w & HIGHS)
			return SIZE_MAX;
		memcpy(dst + n, &w, 8);
	}
	for (; n < max && s[n]; n++) {
		if ((s[n] & 0x80) || n + 1 >= room)
			return SIZE_MAX;
		dst[n] = s[n];
	}
	if (n >= room)
		return SIZE_MAX;
	dst[n] = '\0';
	return n;
}

/* Copies at most @max bytes of @s (up to a NUL) into the arena as valid UTF-8, every invalid
 * byte replaced by U+FFFD. NULL when the arena is full. */
static char *arena_str(struct wd_pb_event *out, const char *s, size_t max)
{
	size_t n, room = sizeof(out->arena) - out->arena_used, o = 0;
	char *dst = out->arena + out->arena_used;
	const unsigned char *p;

	if (!s) {
		s = "";
		max = 0;
	}
	n = ascii_copy(dst, room, s, max);
	if (n != SIZE_MAX) {
		out->arena_used += n + 1;
		return dst;
	}
	p = (const unsigned char *)s;
	n = strnlen(s, max);
	if (all_ascii(p, n)) {
		if (n >= room)
			return NULL;
		memcpy(dst, p, n);
		dst[n] = '\0';
		out->arena_used += n + 1;
		return dst;
	}

	for (size_t i = 0; i < n;) {
		size_t len = wd_utf8_seq(p + i, n - i);

		if (len == 0) {
			if (o + 3 >= room)
				return NULL;
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + len >= room)
			return NULL;
		memcpy(dst + o, p + i, len);
		o += len;
		i += len;
	}
	if (o >= room)
		return NULL;
	dst[o] = '\0';
	out->arena_used += o + 1;
	return dst;
}

/* Strings from the caller are used as they are when they are valid UTF-8 already. */
char *wd_ev_ctx_str(struct wd_pb_event *out, const char *s, int *err)
{
	size_t n;

	if (!s)
		return (char *)protobuf_c_empty_string;
	n = strlen(s);
	if (all_ascii((const unsigned char *)s, n))
		return (char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = wd_utf8_seq((const unsigned char *)s + i, n - i);

		if (len == 0) {
			char *c = arena_str(out, s, n);

			if (!c)
				*err = -ENOBUFS;
			return c ? c : (char *)protobuf_c_empty_string;
		}
		i += len;
	}
	return (char *)s;
}

/* A bounded kernel string; an arena that overflows loses the string, never the event. */
char *wd_ev_kstr(struct wd_pb_event *out, const char *s, size_t max)
{
	char *c = arena_str(out, s, max);

	return c ? c : (char *)protobuf_c_empty_string;
}
