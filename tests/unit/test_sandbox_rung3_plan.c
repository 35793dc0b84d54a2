// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: sandbox/rung3_plan.c's one-line summary of what enforces each feature, carried by every
 * SANDBOX_CREATED event: features grouped by mechanism in order, the ones nothing enforces
 * last, cut with "..." when it does not fit; and the rows of rung 1 and 2 naming their
 * mechanism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/rung3_plan.h"

static struct wd_feature_row mk(const char *feature, const char *mech)
{
	struct wd_feature_row r = {.feature = feature, .enforced = mech != NULL};

	snprintf(r.mech, sizeof(r.mech), "%s", mech ? mech : "not enforced");
	return r;
}

static void grouped_by_mechanism(void **state)
{
	struct wd_feature_row rows[] = {mk("exec", "landlock"),	     mk("mappings", "mount-ns"),
					mk("file read", "landlock"), mk("jit", NULL),
					mk("network", "cgroup"),     mk("passed in", NULL)};
	char buf[256];

	(void)state;
	wd_rung_summary(rows, 6, buf, sizeof(buf));
	assert_string_equal(buf, "enforced by landlock: exec, file read; mount-ns: mappings; "
				 "cgroup: network; NOT ENFORCED: jit, passed in");
}

static void nothing_enforced(void **state)
{
	struct wd_feature_row rows[] = {mk("exec", NULL), mk("file", NULL)};
	char buf[128];

	(void)state;
	wd_rung_summary(rows, 2, buf, sizeof(buf));
	assert_string_equal(buf, "NOT ENFORCED: exec, file");
}

static void cut_when_too_long(void **state)
{
	struct wd_feature_row rows[] = {mk("exec", "landlock"), mk("file read", "landlock")};
	char buf[20];

	(void)state;
	wd_rung_summary(rows, 2, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf + sizeof(buf) - 4, "...");
}

static void lsm_rows_name_their_rung(void **state)
{
	struct wd_feature_row rows[WD_FEATURES_MAX];
	char buf[1024];
	size_t n;

	(void)state;
	n = wd_rung_report("fmod_ret", NULL, false, NULL, rows, WD_FEATURES_MAX);
	wd_rung_summary(rows, n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "enforced by fmod_ret: exec, executable mappings, file read"));
	assert_null(strstr(buf, "bpf-lsm"));
	n = wd_rung_report("bpf-lsm", NULL, false, NULL, rows, WD_FEATURES_MAX);
	wd_rung_summary(rows, n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "enforced by bpf-lsm: exec,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grouped_by_mechanism),
		cmocka_unit_test(nothing_enforced),
		cmocka_unit_test(cut_when_too_long),
		cmocka_unit_test(lsm_rows_name_their_rung),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
