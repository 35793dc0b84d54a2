// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: how probe results (enforce/probe_verdict.c) become a verdict, and so `warden probe`'s
 * exit status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "enforce/probe.h"

static struct wd_probe *healthy(void)
{
	struct wd_probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	wd_probe_add(p, "btf", WD_NEED_CORE, true, "ok");
	wd_probe_add(p, "cgroup2", WD_NEED_CORE, true, "mounted at %s", "/sys/fs/cgroup");
	wd_probe_add(p, "ringbuf", WD_NEED_EVENTS, true, "ok");
	wd_probe_add(p, "cgroup/connect4", WD_NEED_NETWORK, true, "ok");
	wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, true, "ok");
	wd_probe_add(p, "lsm/file_open", WD_NEED_LSM, true, "ok");
	return p;
}

static void set(struct wd_probe *p, const char *name, bool yes)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->feats[i].name, name) == 0)
			p->feats[i].available = yes;
}

static void all_yes_is_full(void **state)
{
	struct wd_probe *p = healthy();

	assert_int_equal(wd_probe_verdict(p), WD_PROBE_FULL);
	assert_string_equal(wd_probe_verdict_name(WD_PROBE_FULL), "full");
	free(p);
}

/* Our hosts: cgroup hooks work, LSM is refused. */
static void no_lsm_is_partial(void **state)
{
	struct wd_probe *p = healthy();

	set(p, "bpf_lsm", false);
	set(p, "lsm/file_open", false);
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_PARTIAL);
	free(p);
}

static void one_missing_hook_is_not_full(void **state)
{
	struct wd_probe *p = healthy();

	set(p, "lsm/file_open", false);
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_PARTIAL);
	free(p);
}

static void no_network_or_core_is_none(void **state)
{
	struct wd_probe *p = healthy();

	set(p, "cgroup/connect4", false);
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_NONE);
	set(p, "cgroup/connect4", true);
	set(p, "cgroup2", false);
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_NONE);
	free(p);
}

/* Nothing probed must never read as success. */
static void empty_is_none(void **state)
{
	struct wd_probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_NONE);
	free(p);
}

static void add_refuses_overflow(void **state)
{
	struct wd_probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	for (int i = 0; i < WD_PROBE_MAX_FEATURES; i++)
		assert_non_null(wd_probe_add(p, "f", WD_NEED_CORE, true, "%d", i));
	assert_null(wd_probe_add(p, "f", WD_NEED_CORE, true, "over"));
	assert_int_equal(p->n, WD_PROBE_MAX_FEATURES);
	free(p);
}

static void get_finds_by_name(void **state)
{
	struct wd_probe *p = healthy();
	const struct wd_feature *f = wd_probe_get(p, "cgroup2");

	assert_non_null(f);
	assert_ptr_equal(f, &p->feats[1]);
	assert_string_equal(f->detail, "mounted at /sys/fs/cgroup");
	assert_int_equal(f->need, WD_NEED_CORE);
	assert_null(wd_probe_get(p, "cgroup"));
	assert_null(wd_probe_get(p, "nonesuch"));
	free(p);
}

/* A hook of newer kernels this one lacks leaves nothing unenforced: still full. */
static void absent_hook_is_still_full(void **state)
{
	struct wd_probe *p = healthy();
	struct wd_feature *f = wd_probe_add(p, "lsm/file_truncate", WD_NEED_FILE, false, "absent");

	assert_non_null(f);
	f->absent = true;
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_FULL);
	f->absent = false;
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_PARTIAL);
	assert_string_equal(wd_need_name(WD_NEED_CONFINE), "confinement");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_yes_is_full),
		cmocka_unit_test(no_lsm_is_partial),
		cmocka_unit_test(one_missing_hook_is_not_full),
		cmocka_unit_test(no_network_or_core_is_none),
		cmocka_unit_test(empty_is_none),
		cmocka_unit_test(add_refuses_overflow),
		cmocka_unit_test(absent_hook_is_still_full),
		cmocka_unit_test(get_finds_by_name),
	};

	return cmocka_run_group_tests_name("enforce_probe_verdict", tests, NULL, NULL);
}
