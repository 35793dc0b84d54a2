// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the one table of LSM hooks (user/hooks/hooks.c) and the BPF objects cannot drift. Every
 * SEC("lsm/...") program of bpf/wd_lsm.bpf.c and bpf/probe_lsm.bpf.c must be in the table (on
 * its hook), and every table entry must have its programs in both objects. The objects are the
 * skeletons' embedded ELF bytes, opened without loading (no root, no kernel needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "warden/probe_abi.h"
#include "event/event.h"
#include "hooks/hooks.h"
#include "probe_lsm.skel.h"
#include "wd_lsm.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static struct bpf_object *open_elf(const void *bytes, size_t size, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = name);
	struct bpf_object *obj;

	libbpf_set_print(quiet);
	obj = bpf_object__open_mem(bytes, size, &o);
	assert_non_null(obj);
	return obj;
}

static struct bpf_object *wd_lsm_obj(void)
{
	size_t n;
	const void *p = wd_lsm_bpf__elf_bytes(&n);

	return open_elf(p, n, "wd_lsm_bpf");
}

static struct bpf_object *probe_obj(void)
{
	size_t n;
	const void *p = probe_lsm_bpf__elf_bytes(&n);

	return open_elf(p, n, "probe_lsm_bpf");
}

/* The hook a program is on, from its section name; NULL if it is no LSM program. */
static const char *lsm_hook_of(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return strncmp(sec, "lsm/", 4) == 0 ? sec + 4 : NULL;
}

static void every_warden_program_is_in_the_table(void **state)
{
	struct bpf_object *obj = wd_lsm_obj();
	struct bpf_program *prog;
	int bad = 0;

	bpf_object__for_each_program (prog, obj) {
		const char *hook = lsm_hook_of(prog);
		const struct wd_lsm_hook *h;

		if (!hook)
			continue;
		h = wd_lsm_hook_by_prog(bpf_program__name(prog));
		if (!h) {
			print_error("bpf/wd_lsm.bpf.c: program %s (lsm/%s) is not in "
				    "user/hooks/hooks.c\n",
				    bpf_program__name(prog), hook);
			bad++;
		} else if (strcmp(h->hook, hook) != 0) {
			print_error("bpf/wd_lsm.bpf.c: program %s is on lsm/%s, the table says "
				    "lsm/%s\n",
				    bpf_program__name(prog), hook, h->hook);
			bad++;
		}
	}
	bpf_object__close(obj);
	assert_int_equal(bad, 0);
}

static void every_probe_program_is_in_the_table(void **state)
{
	struct bpf_object *obj = probe_obj();
	struct bpf_program *prog;
	int bad = 0;

	bpf_object__for_each_program (prog, obj) {
		const char *hook = lsm_hook_of(prog), *name = bpf_program__name(prog);
		const struct wd_lsm_hook *h;
		const char *want = NULL;

		if (!hook)
			continue;
		h = wd_lsm_hook_by_probe(name);
		if (h)
			want = h->hook;
		for (size_t i = 0; !want && i < wd_lsm_features_n; i++)
			if (strcmp(wd_lsm_features[i].probe, name) == 0)
				want = wd_lsm_features[i].hook;
		if (!want) {
			print_error("bpf/probe_lsm.bpf.c: program %s (lsm/%s) is not in "
				    "user/hooks/hooks.c\n",
				    name, hook);
			bad++;
		} else if (strcmp(want, hook) != 0) {
			print_error("bpf/probe_lsm.bpf.c: program %s is on lsm/%s, the table says "
				    "lsm/%s\n",
				    name, hook, want);
			bad++;
		}
	}
	bpf_object__close(obj);
	assert_int_equal(bad, 0);
}

static void every_entry_has_its_programs(void **state)
{
	struct bpf_object *wd = wd_lsm_obj(), *pr = probe_obj();
	int bad = 0;

	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];

		if (!h->prog || !bpf_object__find_program_by_name(wd, h->prog)) {
			print_error(
				"user/hooks/hooks.c: lsm/%s: no program %s in bpf/wd_lsm.bpf.c\n",
				h->hook, h->prog ? h->prog : "(none)");
			bad++;
		}
		if (!bpf_object__find_program_by_name(pr, h->probe)) {
			print_error("user/hooks/hooks.c: lsm/%s: no program %s in "
				    "bpf/probe_lsm.bpf.c\n",
				    h->hook, h->probe);
			bad++;
		}
	}
	for (size_t i = 0; i < wd_lsm_features_n; i++)
		if (!bpf_object__find_program_by_name(pr, wd_lsm_features[i].probe)) {
			print_error("user/hooks/hooks.c: feature %s: no program %s in "
				    "bpf/probe_lsm.bpf.c\n",
				    wd_lsm_features[i].name, wd_lsm_features[i].probe);
			bad++;
		}
	bpf_object__close(wd);
	bpf_object__close(pr);
	assert_int_equal(bad, 0);
}

/* Each hook once, each probe program armed by a value of its own, ids in the ABI's range. */
static void entries_are_distinct(void **state)
{
	bool armed[WD_ARM_NR] = {0};

	assert_true(wd_lsm_hooks_n <= 64); /* probe.c's per-hook arrays */
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];

		assert_true(h->arm > WD_ARM_NONE && h->arm < WD_ARM_NR);
		assert_false(armed[h->arm]);
		armed[h->arm] = true;
		assert_true(h->id > 0 && h->id < WD_HOOK_NR);
		assert_non_null(h->action);
		assert_true(h->need == WD_NEED_EXEC || h->need == WD_NEED_FILE ||
			    h->need == WD_NEED_SOCKET || h->need == WD_NEED_CONFINE);
		assert_ptr_equal(wd_lsm_hook_by_hook(h->hook), h);
		assert_ptr_equal(wd_lsm_hook_by_probe(h->probe), h);
		assert_ptr_equal(wd_lsm_hook_by_prog(h->prog), h);
		/* Events name their hook id: where the event table names an id by this hook's
		 * name, it is this entry's id (sb_umount and move_mount report as sb_mount). */
		if (wd_pb_hook_id(h->hook))
			assert_int_equal(wd_pb_hook_id(h->hook), h->id);
	}
	/* Every arm value is used: a probe program armed by nothing would never be seen. */
	for (unsigned a = WD_ARM_NONE + 1; a < WD_ARM_NR; a++)
		assert_true(armed[a]);
	assert_null(wd_lsm_hook_by_hook("no_such_hook"));
}

/* The kernel's own hooks of newer kernels are marked optional; the others are not. */
static void optional_hooks(void **state)
{
	const char *opt[] = {"file_truncate", "inode_set_acl", "inode_remove_acl",
			     "file_ioctl_compat"};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		const struct wd_lsm_hook *h = wd_lsm_hook_by_hook(opt[i]);

		assert_non_null(h);
		assert_true(h->optional);
	}
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		n += wd_lsm_hooks[i].optional;
	assert_int_equal(n, sizeof(opt) / sizeof(opt[0]));
	assert_true(wd_lsm_hook_in_kernel(NULL, &wd_lsm_hooks[0]));
}

/* A confinement denial's rule text names what was refused, per hook. */
static void confinement_texts(void **state)
{
	static const struct {
		uint16_t hook, port;
		const char *path, *text;
	} cases[] = {
		{WD_HOOK_USERNS, 0, "", "confinement: a sandbox cannot create user namespaces"},
		{WD_HOOK_TASK_KILL, 9, "",
		 "confinement: a sandbox cannot signal processes outside it"},
		{WD_HOOK_MOUNT, 0, "",
		 "confinement: a sandbox cannot mount, unmount or move mounts"},
		{WD_HOOK_MOUNT, 1, "", "confinement: a sandbox cannot create cgroups"},
		{WD_HOOK_CHROOT, 0, "", "confinement: a sandbox cannot chroot or pivot_root"},
		{WD_HOOK_BPF, 5, "", "confinement: a sandbox cannot use bpf(2)"},
		{WD_HOOK_TASK_ALLOC, 0, "",
		 "confinement: a sandbox cannot start processes in another cgroup"},
		{WD_HOOK_FILE_OPEN, 0, "/sys/fs/cgroup/cgroup.procs",
		 "confinement: a sandbox cannot change cgroup or write to cgroup files"},
		{WD_HOOK_FILE_OPEN, 0, "/dev/sda",
		 "confinement: a sandbox cannot open block devices"},
		{WD_HOOK_FILE_RECEIVE, 0, "",
		 "confinement: a sandbox cannot receive sockets from outside it"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wd_event e;

		memset(&e, 0, sizeof(e));
		e.hdr.type = WD_EV_CONFINE;
		e.hook = cases[i].hook;
		e.port = cases[i].port;
		snprintf(e.path, sizeof(e.path), "%s", cases[i].path);
		assert_string_equal(wd_confine_text(&e), cases[i].text);
	}
	/* No confinement hook reads "cannot change cgroup" unless it is about cgroups. */
	for (uint16_t id = 1; id < WD_HOOK_NR; id++) {
		struct wd_event e;

		memset(&e, 0, sizeof(e));
		e.hdr.type = WD_EV_CONFINE;
		e.hook = id;
		if (id != WD_HOOK_FILE_OPEN)
			assert_null(strstr(wd_confine_text(&e), "change cgroup"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_warden_program_is_in_the_table),
		cmocka_unit_test(every_probe_program_is_in_the_table),
		cmocka_unit_test(every_entry_has_its_programs),
		cmocka_unit_test(entries_are_distinct),
		cmocka_unit_test(optional_hooks),
		cmocka_unit_test(confinement_texts),
	};

	return cmocka_run_group_tests_name("lsm_hooks", tests, NULL, NULL);
}
