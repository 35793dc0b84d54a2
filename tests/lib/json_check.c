// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A strict JSON parser for tests (see json_check.h), written from RFC 8259. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"

struct jp {
	const char *p;
	char path[256];	  /* where the parser is: "a.b.c" */
	const char *want; /* the path looked for */
	const char *at;	  /* where its value starts, if found */
	size_t len;
};

static bool jp_value(struct jp *j);

static void jp_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

/* Valid UTF-8 only, no raw control characters, only the escapes RFC 8259 has. */
static bool jp_string(struct jp *j, char *out, size_t size)
{
	size_t o = 0;

	if (*j->p++ != '"')
		return false;
	for (;;) {
		unsigned char c = (unsigned char)*j->p;
		int extra = c < 0x80		 ? 0
			    : (c & 0xe0) == 0xc0 ? 1
			    : (c & 0xf0) == 0xe0 ? 2
			    : (c & 0xf8) == 0xf0 ? 3
						 : -1;

		if (c == '"') {
			j->p++;
			break;
		}
		if (c < 0x20 || extra < 0 || (c & 0xfe) == 0xc0)
			return false;
		if (c == '\\') {
			j->p++;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
						return false;
				j->p += 5;
			} else if (*j->p && strchr("\"\\/bfnrt", *j->p)) {
				j->p++;
			} else {
				return false;
			}
			continue;
		}
		for (int i = 1; i <= extra; i++)
			if (((unsigned char)j->p[i] & 0xc0) != 0x80)
				return false;
		if (out && o + (size_t)extra + 1 < size) {
			memcpy(out + o, j->p, (size_t)extra + 1);
			o += (size_t)extra + 1;
		}
		j->p += extra + 1;
	}
	if (out)
		out[o < size ? o : size - 1] = '\0';
	return true;
}

static bool jp_object(struct jp *j)
{
	size_t base = strlen(j->path);
	char key[128];

	j->p++;
	jp_ws(j);
	if (*j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		jp_ws(j);
		if (!jp_string(j, key, sizeof(key)))
			return false;
		snprintf(j->path + base, sizeof(j->path) - base, "%s%s", base ? "." : "", key);
		jp_ws(j);
		if (*j->p++ != ':' || !jp_value(j))
			return false;
		j->path[base] = '\0';
		jp_ws(j);
		if (*j->p == '}') {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool jp_array(struct jp *j)
{
	size_t base = strlen(j->path);

	j->p++;
	jp_ws(j);
	if (*j->p == ']') {
		j->p++;
		return true;
	}
	for (unsigned i = 0;; i++) {
		snprintf(j->path + base, sizeof(j->path) - base, "%s%u", base ? "." : "", i);
		if (!jp_value(j))
			return false;
		j->path[base] = '\0';
		jp_ws(j);
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool jp_number(struct jp *j)
{
	const char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return false;
	if (*j->p == '.' || *j->p == 'e' || *j->p == 'E')
		return false; /* warden writes integers only */
	return j->p > s;
}

static bool jp_value(struct jp *j)
{
	const char *start;
	bool ok;

	jp_ws(j);
	start = j->p;
	if (*j->p == '{')
		ok = jp_object(j);
	else if (*j->p == '[')
		ok = jp_array(j);
	else if (*j->p == '"')
		ok = jp_string(j, NULL, 0);
	else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4))
		ok = (j->p += 4, true);
	else if (!strncmp(j->p, "false", 5))
		ok = (j->p += 5, true);
	else
		ok = jp_number(j);
	if (ok && j->want && !strcmp(j->path, j->want)) {
		j->at = start;
		j->len = (size_t)(j->p - start);
	}
	return ok;
}

/* Whether @s is one JSON object and nothing else. */
bool wt_json_valid(const char *s)
{
	struct jp j = {.p = s};

	jp_ws(&j);
	if (*j.p != '{' || !jp_value(&j))
		return false;
	jp_ws(&j);
	return *j.p == '\0';
}

int wt_json_get(const char *s, const char *path, char **value)
{
	struct jp j = {.p = s, .want = path};

	*value = NULL;
	if (!jp_value(&j))
		return -1;
	*value = j.at ? strndup(j.at, j.len) : NULL;
	return 0;
}
