// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: every program of warden's BPF objects (bpf/wd_lsm, wd_cgroup, probe_lsm, probe_cgroup)
 * has a name the kernel keeps whole. The kernel stores 15 characters of a program's name
 * (BPF_OBJ_NAME_LEN, NUL included) and libbpf cuts longer ones, so two programs that differ only
 * after the 15th character look the same in bpftool. The skeletons are opened without loading
 * (no root, no kernel needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "probe_cgroup.skel.h"
#include "probe_lsm.skel.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

#define NAME_MAX_KEPT (BPF_OBJ_NAME_LEN - 1)
#define PROGS_MAX     256

struct prog_name {
	const char *obj;
	const char *name;
};

/* The problems with @n program names: a name longer than the kernel keeps, and two names that
 * the kernel would show the same. Returns how many; prints each if @report. */
static int name_problems(const struct prog_name *p, size_t n, bool report)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (strlen(p[i].name) > NAME_MAX_KEPT) {
			if (report)
				print_error(
					"%s: program %s has %zu characters; the kernel keeps %d\n",
					p[i].obj, p[i].name, strlen(p[i].name), NAME_MAX_KEPT);
			bad++;
		}
		for (size_t j = 0; j < i; j++) {
			if (strncmp(p[i].name, p[j].name, NAME_MAX_KEPT) == 0) {
				if (report)
					print_error(
						"programs %s (%s) and %s (%s) both show as %.*s\n",
						p[j].name, p[j].obj, p[i].name, p[i].obj,
						NAME_MAX_KEPT, p[i].name);
				bad++;
			}
		}
	}
	return bad;
}

static void the_check_finds_cut_and_clashing_names(void **state)
{
	/* The names wd_cgroup had before they were shortened. */
	const struct prog_name cut[] = {
		{"wd_cgroup", "wd_hold_connect4"},
		{"wd_cgroup", "wd_hold_connect6"},
		{"wd_cgroup", "wd_hold_bind4"},
	};
	const struct prog_name clash[] = {
		{"wd_lsm", "wd_sock_create"},
		{"wd_cgroup", "wd_sock_create"},
	};
	const struct prog_name fine[] = {
		{"wd_cgroup", "wd_hold_conn4"},
		{"wd_cgroup", "wd_hold_conn6"},
		{"x", "fifteen_chars_x"},
	};

	assert_int_equal(name_problems(cut, 3, false),
			 3); /* two too long, and the two look the same */
	assert_int_equal(name_problems(clash, 2, false), 1);
	assert_int_equal(name_problems(fine, 3, false), 0);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static size_t add_programs(struct prog_name *p, size_t n, const char *obj_name,
			   struct bpf_object *obj)
{
	struct bpf_program *prog;
	size_t first = n;

	assert_non_null(obj);
	bpf_object__for_each_program (prog, obj) {
		assert_true(n < PROGS_MAX);
		p[n].obj = obj_name;
		p[n].name = bpf_program__name(prog);
		n++;
	}
	/* An empty walk would pass for the wrong reason. */
	assert_true(n > first);
	return n;
}

/* Across all four objects: bpftool lists the programs of every object side by side. */
static void every_program_name_is_kept_whole_and_distinct(void **state)
{
	struct prog_name p[PROGS_MAX];
	struct wd_lsm_bpf *lsm;
	struct wd_cgroup_bpf *cg;
	struct probe_lsm_bpf *plsm;
	struct probe_cgroup_bpf *pcg;
	size_t n = 0;

	libbpf_set_print(quiet);
	lsm = wd_lsm_bpf__open();
	cg = wd_cgroup_bpf__open();
	plsm = probe_lsm_bpf__open();
	pcg = probe_cgroup_bpf__open();
	assert_non_null(lsm);
	assert_non_null(cg);
	assert_non_null(plsm);
	assert_non_null(pcg);
	n = add_programs(p, n, "bpf/wd_lsm.bpf.c", lsm->obj);
	n = add_programs(p, n, "bpf/wd_cgroup.bpf.c", cg->obj);
	n = add_programs(p, n, "bpf/probe_lsm.bpf.c", plsm->obj);
	n = add_programs(p, n, "bpf/probe_cgroup.bpf.c", pcg->obj);
	assert_int_equal(name_problems(p, n, true), 0);
	probe_cgroup_bpf__destroy(pcg);
	probe_lsm_bpf__destroy(plsm);
	wd_cgroup_bpf__destroy(cg);
	wd_lsm_bpf__destroy(lsm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_check_finds_cut_and_clashing_names),
		cmocka_unit_test(every_program_name_is_kept_whole_and_distinct),
	};

	return cmocka_run_group_tests_name("bpf_names", tests, NULL, NULL);
}
