// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: Prometheus text exposition 0.0.4 (metrics/prom.c). Every line written parses by the
 * format's grammar and label values come back byte for byte after unescaping (invalid UTF-8 as
 * U+FFFD); bad names are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prom_reader.h"

/* --- The writer ------------------------------------------------------------------------- */

static char *out_buf;
static size_t out_len;

static FILE *out_open(void)
{
	FILE *f = open_memstream(&out_buf, &out_len);

	assert_non_null(f);
	return f;
}

static char *out_close(FILE *f)
{
	assert_int_equal(fclose(f), 0);
	return out_buf;
}

static void exposition(void **state)
{
	const struct wd_prom_label l2[] = {{"identity", "ci:acme/api#8812"}, {"kind", "exec"}};
	const struct wd_prom_label sink[] = {{"sink", "file:/var/log/warden/events.pb"}};
	struct wd_prom w;
	FILE *f = out_open();
	char *text;

	wd_prom_init(&w, f);
	assert_int_equal(wd_prom_family(&w, "warden_decisions_total", WD_PROM_COUNTER,
					"Decisions by identity and kind."),
			 0);
	assert_int_equal(wd_prom_sample_u64(&w, l2, 2, 12), 0);
	assert_int_equal(wd_prom_family(&w, "warden_ringbuf_fill_ratio", WD_PROM_GAUGE,
					"Ring buffer fill, 0 to 1."),
			 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 0.25), 0);
	assert_int_equal(wd_prom_family(&w, "warden_events_lost_total", WD_PROM_COUNTER, NULL), 0);
	assert_int_equal(wd_prom_sample_u64(&w, sink, 1, UINT64_MAX), 0);
	assert_int_equal(wd_prom_family(&w, "warden:odd_values", WD_PROM_UNTYPED, "x"), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 0.0 / 0.0), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 1.0 / 0.0), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, -1.0 / 0.0), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, 1e300), 0);
	assert_int_equal(wd_prom_sample(&w, NULL, 0, -3), 0);
	assert_int_equal(wd_prom_error(&w), 0);
	text = out_close(f);
	assert_int_equal(check_exposition(text), 8);
	assert_string_equal(
		text, "# HELP warden_decisions_total Decisions by identity and kind.\n"
		      "# TYPE warden_decisions_total counter\n"
		      "warden_decisions_total{identity=\"ci:acme/api#8812\",kind=\"exec\"} 12\n"
		      "# HELP warden_ringbuf_fill_ratio Ring buffer fill, 0 to 1.\n"
		      "# TYPE warden_ringbuf_fill_ratio gauge\n"
		      "warden_ringbuf_fill_ratio 0.25\n"
		      "# HELP warden_events_lost_total \n"
		      "# TYPE warden_events_lost_total counter\n"
		      "warden_events_lost_total{sink=\"file:/var/log/warden/events.pb\"} "
		      "18446744073709551615\n"
		      "# HELP warden:odd_values x\n"
		      "# TYPE warden:odd_values untyped\n"
		      "warden:odd_values NaN\n"
		      "warden:odd_values +Inf\n"
		      "warden:odd_values -Inf\n"
		      "warden:odd_values 1.0000000000000001e+300\n"
		      "warden:odd_values -3\n");
	free(text);
}

/* Label values and HELP text with every character that needs escaping come back whole. */
static void escaping(void **state)
{
	static const char *const values[] = {
		"back\\slash",	 "double\"quote", "new\nline", "\\\"\n\\n", "",
		"é✓😀 tab\there", "trailing\\",
	};
	struct wd_prom w;
	FILE *f = out_open();
	char *text, *line, *save;
	size_t i = 0;

	wd_prom_init(&w, f);
	assert_int_equal(wd_prom_family(&w, "m", WD_PROM_GAUGE, "help with \\ and \n and \""), 0);
	for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		struct wd_prom_label l = {"v", values[k]};

		assert_int_equal(wd_prom_sample_u64(&w, &l, 1, k), 0);
	}
	text = out_close(f);
	assert_int_equal(check_exposition(text), (int)(sizeof(values) / sizeof(values[0])));
	/* HELP escapes backslash and newline, not the quote. */
	assert_non_null(strstr(text, "# HELP m help with \\\\ and \\n and \"\n"));
	assert_non_null(strstr(text, "m{v=\"double\\\"quote\"} 1\n"));
	assert_non_null(strstr(text, "m{v=\"new\\nline\"} 2\n"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct parsed s;

		if (line[0] == '#')
			continue;
		assert_true(parse_sample(line, &s));
		assert_int_equal(s.n_labels, 1);
		assert_string_equal(s.value[0], values[i]);
		i++;
	}
	free(text);
}

static void invalid_utf8(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a\xff"
		 "b",
		 "a\xef\xbf\xbd"
		 "b"},
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},		  /* overlong '/' */
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
		{"\xf4\x90\x80\x80",
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* past U+10FFFF */
		{"cut \xe2\x9c", "cut \xef\xbf\xbd\xef\xbf\xbd"},
		{"ok \xe2\x9c\x93", "ok \xe2\x9c\x93"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = out_open();
		char *text;

		assert_int_equal(wd_prom_write_escaped(f, cases[i].in, true), 0);
		text = out_close(f);
		assert_string_equal(text, cases[i].out);
		free(text);
	}
}

static void bad_names(void **state)
{
	static const char *const bad_metrics[] = {"", "9lives", "has-dash", "sp ace", "é"};
	static const char *const bad_labels[] = {"", "9x", "a:b", "__reserved", "a-b"};
	struct wd_prom w;
	FILE *f = out_open();
	char *text;

	for (size_t i = 0; i < sizeof(bad_metrics) / sizeof(bad_metrics[0]); i++) {
		wd_prom_init(&w, f);
		assert_int_equal(wd_prom_family(&w, bad_metrics[i], WD_PROM_GAUGE, "x"), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
		struct wd_prom_label l = {bad_labels[i], "v"};

		wd_prom_init(&w, f);
		assert_int_equal(wd_prom_family(&w, "ok", WD_PROM_GAUGE, "x"), 0);
		assert_int_equal(wd_prom_sample_u64(&w, &l, 1, 1), -EINVAL);
		/* The error sticks. */
		assert_int_equal(wd_prom_sample_u64(&w, NULL, 0, 1), -EINVAL);
		assert_int_equal(wd_prom_error(&w), -EINVAL);
	}
	{
		const struct wd_prom_label dup[] = {{"a", "1"}, {"a", "2"}};

		wd_prom_init(&w, f);
		assert_int_equal(wd_prom_family(&w, "ok", WD_PROM_GAUGE, "x"), 0);
		assert_int_equal(wd_prom_sample_u64(&w, dup, 2, 1), -EINVAL);
	}
	/* A sample before any family. */
	wd_prom_init(&w, f);
	assert_int_equal(wd_prom_sample_u64(&w, NULL, 0, 1), -EINVAL);
	text = out_close(f);
	/* Refused samples write nothing: what is there still parses. */
	check_exposition(text);
	assert_null(strstr(text, "ok{"));
	free(text);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exposition),
		cmocka_unit_test(escaping),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
