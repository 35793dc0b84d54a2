// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: segment names of the file sink (NAME-<time>-<n>.pb[.gz]) and the jsonl sink
 * (PATH-<time>-<n>[.gz]) as user/rotate.c reads them, and UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rotate.h"
#include "utf8.h"

#define T0 1735689600ull /* 2025-01-01T00:00:00Z */

static void parsed(const char *f, const char *suffix, const char *stem, uint64_t ts, uint64_t n,
		   bool gz)
{
	char got[64];
	uint64_t gts, gn;
	bool ggz;

	if (!wd_rot_parse(f, suffix, got, sizeof(got), &gts, &gn, &ggz))
		fail_msg("%s (suffix \"%s\") is not read as a segment", f, suffix);
	assert_string_equal(got, stem);
	assert_int_equal(gts, ts);
	assert_int_equal(gn, n);
	assert_int_equal(ggz, gz);
}

static void refused(const char *f, const char *suffix)
{
	char got[64];
	uint64_t ts, n;
	bool gz;

	if (wd_rot_parse(f, suffix, got, sizeof(got), &ts, &n, &gz))
		fail_msg("%s (suffix \"%s\") is read as a segment of %s", f, suffix, got);
}

static void file_sink_names(void **state)
{
	parsed("events-20250101T000000Z-7.pb.gz", ".pb", "events", T0, 7, true);
	parsed("events-20250101T000001Z-12.pb", ".pb", "events", T0 + 1, 12, false);
	parsed("a-b-20250101T000000Z-1.pb.gz", ".pb", "a-b", T0, 1, true);
	refused("events.pb", ".pb");
	refused("events-20250101T000000Z-7.gz", ".pb");
	refused("events-20250101T000000Z-.pb", ".pb");
	refused("events-2025010xT000000Z-1.pb", ".pb");
	refused("-20250101T000000Z-1.pb", ".pb");
	refused(".events-20250101T000000Z-1.pb.gz.tmp", ".pb");
}

static void jsonl_sink_names(void **state)
{
	parsed("events.jsonl-20250101T000000Z-3.gz", "", "events.jsonl", T0, 3, true);
	parsed("events.jsonl-20250101T000000Z-3", "", "events.jsonl", T0, 3, false);
	parsed(".hidden-20250101T000000Z-1.gz", "", ".hidden", T0, 1, true);
	refused("events.jsonl", "");
	refused("events.gz", "");
	refused(".events.jsonl.lock", "");
	refused(".events.jsonl-20250101T000000Z-3.gz.tmp", "");
}

static void utf8(void **state)
{
	assert_int_equal(wd_utf8_seq((const unsigned char *)"a", 1), 1);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe2\x82\xac", 2), 0); /* cut */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe2\x82", 8), 0);	    /* NUL */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);	    /* overlong */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(wd_utf8_seq((const unsigned char *)"\xff", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_sink_names),
		cmocka_unit_test(jsonl_sink_names),
		cmocka_unit_test(utf8),
	};

	return cmocka_run_group_tests_name("rotate", tests, NULL, NULL);
}
