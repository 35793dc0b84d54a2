/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A strict JSON parser for tests, written from RFC 8259 rather than from warden's writers: valid
 * UTF-8 only, no raw control characters, only the escapes the RFC has. It validates a line and
 * finds the value at a dotted path. */
#ifndef WT_JSON_CHECK_H
#define WT_JSON_CHECK_H

#include <stdbool.h>

/* Whether @s is one JSON object and nothing else. */
bool wt_json_valid(const char *s);

/* The JSON text of the value at @path ("a.b.0.c") in *@value, NULL if absent (free it); returns
 * 0, or -1 when @s is no valid JSON. */
int wt_json_get(const char *s, const char *path, char **value);

#endif
