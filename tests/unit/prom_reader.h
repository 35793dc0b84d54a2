/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the unit tests of metrics/ share: a reader of the Prometheus text format written apart
 * from the writer, so a test checks what is written against the grammar, not against itself.
 * Each test is one file, so this is included once per test binary. */
#ifndef WD_TEST_PROM_READER_H
#define WD_TEST_PROM_READER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics/metrics.h"

/* --- A reader of the format, independent of the writer ---------------------------------- */

struct parsed {
	char name[WD_PROM_NAME_MAX + 1];
	size_t n_labels;
	char label[8][WD_PROM_NAME_MAX + 1];
	char value[8][256];
	char number[64];
};

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

static const char *parse_name(const char *p, char *out, bool colon)
{
	size_t n = 0;

	while (name_char(*p, n == 0, colon) && n < WD_PROM_NAME_MAX)
		out[n++] = *p++;
	out[n] = '\0';
	return n ? p : NULL;
}

/* A sample line: name[{l="v",...}] value. Returns false if it breaks the grammar. */
static bool parse_sample(const char *line, struct parsed *s)
{
	const char *p = parse_name(line, s->name, true);
	char *end;

	s->n_labels = 0;
	if (!p)
		return false;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			char *v;
			size_t n = 0;

			if (s->n_labels == 8)
				return false;
			p = parse_name(p, s->label[s->n_labels], false);
			if (!p || *p++ != '=' || *p++ != '"')
				return false;
			v = s->value[s->n_labels];
			while (*p != '"') {
				if (!*p || *p == '\n' || n + 1 >= sizeof(s->value[0]))
					return false;
				if (*p == '\\') {
					p++;
					if (*p == 'n')
						v[n++] = '\n';
					else if (*p == '\\' || *p == '"')
						v[n++] = *p;
					else
						return false;
					p++;
				} else {
					v[n++] = *p++;
				}
			}
			v[n] = '\0';
			p++;
			s->n_labels++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	snprintf(s->number, sizeof(s->number), "%s", p);
	if (!strcmp(p, "NaN") || !strcmp(p, "+Inf") || !strcmp(p, "-Inf"))
		return true;
	strtod(p, &end);
	return end != p && !*end;
}

/* Checks every line of @text: HELP and TYPE comments, then samples of the family just typed.
 * Returns how many samples there were, or fails. */
static int check_exposition(const char *text)
{
	char family[WD_PROM_NAME_MAX + 1] = "", *copy = strdup(text), *save, *line;
	int samples = 0;
	bool typed = false;

	assert_true(text[0] == '\0' || text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct parsed s;
		char name[WD_PROM_NAME_MAX + 1], type[32];

		if (!strncmp(line, "# HELP ", 7)) {
			const char *p = parse_name(line + 7, family, true);

			assert_non_null(p);
			assert_true(*p == ' ');
			/* HELP text: only \\ and \n are escapes. */
			for (p++; *p; p++)
				if (*p == '\\') {
					p++;
					assert_true(*p == '\\' || *p == 'n');
				}
			typed = false;
		} else if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%128s %31s", name, type), 2);
			assert_string_equal(name, family);
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
				    !strcmp(type, "untyped"));
			typed = true;
		} else {
			if (!parse_sample(line, &s))
				fail_msg("line does not parse: \"%s\"", line);
			assert_true(typed);
			assert_string_equal(s.name, family);
			samples++;
		}
	}
	free(copy);
	return samples;
}

#endif
