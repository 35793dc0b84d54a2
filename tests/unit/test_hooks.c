// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the one table of hooks (user/hooks/hooks.c) and the BPF objects cannot drift. Every
 * program of bpf/wd_lsm.bpf.c and bpf/wd_cgroup.bpf.c must have its row (on its hook), every
 * SEC("lsm/...") program of bpf/probe_lsm.bpf.c must stand for a row or a feature, every row
 * must name programs that exist, and every enum wd_hook id must have the one row whose hook
 * events of that id are named by. The objects are the skeletons' embedded ELF bytes, opened
 * without loading (no root, no kernel needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "warden/probe_abi.h"
#include "event/event.h"
#include "hooks/hooks.h"
#include "probe_lsm.skel.h"
#include "wd_cgroup.skel.h"
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

static struct bpf_object *wd_cgroup_obj(void)
{
	size_t n;
	const void *p = wd_cgroup_bpf__elf_bytes(&n);

	return open_elf(p, n, "wd_cgroup_bpf");
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

static const char *const obj_file[] = {
	[WD_OBJ_LSM] = "bpf/wd_lsm.bpf.c",
	[WD_OBJ_CGROUP] = "bpf/wd_cgroup.bpf.c",
};

/* The section a row's program must be in: SEC("lsm/HOOK") for an LSM row, SEC(HOOK) else. */
static const char *row_section(const struct wd_hook_row *h, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", h->obj == WD_OBJ_LSM && h->probe ? "lsm/" : "", h->hook);
	return buf;
}

/* The section of a row's program of its own on rung 2: SEC("?fmod_ret/FN"), autoload off (libbpf
 * drops the '?'). */
static const char *fr_section(const struct wd_hook_row *h, char *buf, size_t size)
{
	snprintf(buf, size, "fmod_ret/%s", h->fn ? h->fn : "(no target)");
	return buf;
}

/* Every program of @obj has its row, on the hook it is attached to. */
static int programs_have_rows(struct bpf_object *obj, enum wd_bpf_obj which)
{
	struct bpf_program *prog;
	int bad = 0;

	bpf_object__for_each_program (prog, obj) {
		const char *sec = bpf_program__section_name(prog), *name = bpf_program__name(prog);
		const struct wd_hook_row *h = wd_hook_by_prog(which, name);
		char want[128];

		if (h && h->fr_prog && strcmp(h->fr_prog, name) == 0) {
			if (strcmp(fr_section(h, want, sizeof(want)), sec) != 0 ||
			    bpf_program__autoload(prog)) {
				print_error("%s: program %s is on %s, the table says ?%s\n",
					    obj_file[which], name, sec, want);
				bad++;
			}
			continue;
		}
		if (!h) {
			print_error("%s: program %s (%s) has no row in user/hooks/hooks.c\n",
				    obj_file[which], name, sec);
			bad++;
		} else if (strcmp(row_section(h, want, sizeof(want)), sec) != 0) {
			print_error("%s: program %s is on %s, the table says %s\n", obj_file[which],
				    name, sec, want);
			bad++;
		}
	}
	return bad;
}

static void every_warden_program_is_in_the_table(void **state)
{
	struct bpf_object *lsm = wd_lsm_obj(), *cg = wd_cgroup_obj();
	int bad = programs_have_rows(lsm, WD_OBJ_LSM) + programs_have_rows(cg, WD_OBJ_CGROUP);

	bpf_object__close(lsm);
	bpf_object__close(cg);
	assert_int_equal(bad, 0);
}

static void every_probe_program_is_in_the_table(void **state)
{
	struct bpf_object *obj = probe_obj();
	struct bpf_program *prog;
	int bad = 0;

	bpf_object__for_each_program (prog, obj) {
		const char *hook = lsm_hook_of(prog), *name = bpf_program__name(prog);
		const struct wd_hook_row *h;
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

static void every_row_has_its_programs(void **state)
{
	struct bpf_object *wd[] = {[WD_OBJ_LSM] = wd_lsm_obj(), [WD_OBJ_CGROUP] = wd_cgroup_obj()};
	struct bpf_object *pr = probe_obj();
	int bad = 0;

	for (size_t i = 0; i < wd_hooks_n; i++) {
		const struct wd_hook_row *h = &wd_hooks[i];
		struct bpf_program *prog;
		char want[128];

		if (h->obj != WD_OBJ_LSM && h->obj != WD_OBJ_CGROUP) {
			print_error("user/hooks/hooks.c: %s: no object\n", h->hook);
			bad++;
			continue;
		}
		prog = h->prog ? bpf_object__find_program_by_name(wd[h->obj], h->prog) : NULL;
		if (!prog) {
			print_error("user/hooks/hooks.c: %s: no program %s in %s\n", h->hook,
				    h->prog ? h->prog : "(none)", obj_file[h->obj]);
			bad++;
		} else if (strcmp(bpf_program__section_name(prog),
				  row_section(h, want, sizeof(want))) != 0) {
			print_error("user/hooks/hooks.c: %s: program %s is on %s\n", want, h->prog,
				    bpf_program__section_name(prog));
			bad++;
		}
		if (h->fr_prog) {
			prog = bpf_object__find_program_by_name(wd[h->obj], h->fr_prog);
			if (!prog || strcmp(bpf_program__section_name(prog),
					    fr_section(h, want, sizeof(want))) != 0) {
				print_error("user/hooks/hooks.c: %s: no program %s on %s in %s\n",
					    h->hook, h->fr_prog, fr_section(h, want, sizeof(want)),
					    obj_file[h->obj]);
				bad++;
			}
		}
		if (h->obj == WD_OBJ_LSM && i < wd_lsm_hooks_n &&
		    (!h->probe || !bpf_object__find_program_by_name(pr, h->probe))) {
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
	bpf_object__close(wd[WD_OBJ_LSM]);
	bpf_object__close(wd[WD_OBJ_CGROUP]);
	bpf_object__close(pr);
	assert_int_equal(bad, 0);
}

/* Every id of enum wd_hook has exactly one row that names its events, and names are not
 * shared: what events carry reads back to the id. */
static void every_hook_id_has_its_row(void **state)
{
	int bad = 0;

	for (unsigned id = 1; id < WD_HOOK_NR; id++) {
		const char *name = NULL;
		int n = 0;

		for (size_t i = 0; i < wd_hooks_n; i++)
			if (wd_hooks[i].id == id && wd_hooks[i].names) {
				name = wd_hooks[i].event_name ? wd_hooks[i].event_name
							      : wd_hooks[i].hook;
				n++;
			}
		if (n != 1) {
			print_error("include/warden/abi.h: hook id %u has %d rows that name it in "
				    "user/hooks/hooks.c (want 1)\n",
				    id, n);
			bad++;
			continue;
		}
		if (!wd_hook_name(id) || strcmp(wd_hook_name(id), name) != 0 ||
		    wd_hook_id(name) != id) {
			print_error("hook id %u: named %s, which reads back as %u\n", id, name,
				    wd_hook_id(name));
			bad++;
		}
	}
	for (size_t i = 0; i < wd_hooks_n; i++) {
		const struct wd_hook_row *h = &wd_hooks[i];

		/* A row sends events of an id the ABI has, or none at all (id 0); the row
		 * that names an id sends some. */
		if (h->id >= WD_HOOK_NR || (!h->id && (h->events || h->names)) ||
		    (h->names && !h->events)) {
			print_error("user/hooks/hooks.c: %s (%s): id %u, events %#x\n", h->hook,
				    h->prog, h->id, h->events);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_null(wd_hook_name(0));
	assert_null(wd_hook_name(WD_HOOK_NR));
	assert_null(wd_hook_name(999));
	assert_int_equal(wd_hook_id("nope"), 0);
	assert_int_equal(wd_hook_id(NULL), 0);
	assert_string_equal(wd_hook_name(WD_HOOK_MOUNT), "sb_mount");
	assert_string_equal(wd_hook_name(WD_HOOK_CONNECT4), "cgroup/connect4");
	assert_string_equal(wd_hook_name(WD_HOOK_EGRESS), "cgroup_skb/egress");
	/* The sys_exit program's events name the seccomp filter, whose refusals they are. */
	assert_string_equal(wd_hook_name(WD_HOOK_SECCOMP), "seccomp");
	assert_int_equal(wd_hook_id("seccomp"), WD_HOOK_SECCOMP);
	assert_int_equal(wd_hook_id("raw_tp/sys_exit"), 0);
	/* Sends are the sendmsg hooks' and unix_may_send's; a row that sends sends connects. */
	for (unsigned id = 0; id < WD_HOOK_NR + 2; id++)
		assert_int_equal(wd_hook_sends(id),
				 id == WD_HOOK_SENDMSG4 || id == WD_HOOK_SENDMSG6 ||
					 id == WD_HOOK_SOCK_SENDMSG || id == WD_HOOK_UNIX_SEND);
	for (size_t i = 0; i < wd_hooks_n; i++)
		if (wd_hooks[i].sends)
			assert_true(wd_hooks[i].events & WD_EVK(WD_EV_CONNECT));
}

/* The loader and the probe walk the first wd_lsm_hooks_n rows: exactly the LSM hooks (the LSM
 * object's tracepoint program, rungs 3 and 4, comes after them). */
static void lsm_rows_first(void **state)
{
	assert_ptr_equal(wd_lsm_hooks, wd_hooks);
	assert_true(wd_lsm_hooks_n < wd_hooks_n);
	for (size_t i = 0; i < wd_hooks_n; i++)
		assert_int_equal(wd_hooks[i].obj == WD_OBJ_LSM && wd_hooks[i].probe,
				 i < wd_lsm_hooks_n);
}

/* A record of each kind a row says its hook sends converts to that action, under the row's
 * name. */
static void events_convert_under_their_name(void **state)
{
	static const struct {
		unsigned type;
		Warden__V1__Event__ActionCase action;
	} kinds[] = {
		{WD_EV_EXEC, WARDEN__V1__EVENT__ACTION_EXEC},
		{WD_EV_FILE, WARDEN__V1__EVENT__ACTION_FILE_OPEN},
		{WD_EV_MMAP, WARDEN__V1__EVENT__ACTION_EXEC_MAPPING},
		{WD_EV_CONNECT, WARDEN__V1__EVENT__ACTION_CONNECT},
		{WD_EV_SOCKET, WARDEN__V1__EVENT__ACTION_SOCKET_CREATE},
		{WD_EV_CONFINE, WARDEN__V1__EVENT__ACTION_CONFINEMENT},
	};
	struct wd_pb_event *pe = malloc(sizeof(*pe));
	struct wd_event_ctx ctx = {.node = "n"};
	unsigned all = 0;

	assert_non_null(pe);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		all |= WD_EVK(kinds[k].type);
	for (size_t i = 0; i < wd_hooks_n; i++) {
		const struct wd_hook_row *h = &wd_hooks[i];

		assert_int_equal(h->events & ~all, 0);
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			struct wd_event e;

			if (!(h->events & WD_EVK(kinds[k].type)))
				continue;
			memset(&e, 0, sizeof(e));
			e.hdr.version = WD_ABI_VERSION;
			e.hdr.type = kinds[k].type;
			e.hdr.size = sizeof(e);
			e.hook = h->id;
			e.family = AF_INET;
			assert_int_equal(wd_event_to_pb(&e, &ctx, pe), 0);
			assert_int_equal(pe->ev.action_case, kinds[k].action);
			assert_string_equal(pe->ev.hook, wd_hook_name(h->id));
			/* A send is a send whichever program of the id reports it. */
			if (kinds[k].type == WD_EV_CONNECT)
				assert_int_equal(pe->ev.connect->is_send, h->sends);
		}
	}
	free(pe);
}

/* Each hook once, each probe program armed by a value of its own, ids in the ABI's range. */
static void entries_are_distinct(void **state)
{
	bool armed[WD_ARM_NR] = {0};

	assert_true(wd_lsm_hooks_n <= 64); /* probe.c's per-hook arrays */
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_hook_row *h = &wd_lsm_hooks[i];

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
		/* Events name their hook id: where the row names it, by this hook's name
		 * (sb_umount and move_mount report as sb_mount). */
		if (h->names)
			assert_int_equal(wd_hook_id(h->hook), h->id);
	}
	/* Every arm value is used: a probe program armed by nothing would never be seen. */
	for (unsigned a = WD_ARM_NONE + 1; a < WD_ARM_NR; a++)
		assert_true(armed[a]);
	assert_null(wd_lsm_hook_by_hook("no_such_hook"));
}

/* The parameters of BTF function @fn: their count, or -1 if it is not in @btf; @ret: its return
 * type id (0: void), @types: up to 8 parameter type ids. */
static int fn_params(const struct btf *btf, const char *fn, __u32 *ret, __u32 *types)
{
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
	const struct btf_type *proto;
	const struct btf_param *p;
	int n;

	if (id < 0)
		return -1;
	proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	*ret = proto->type;
	n = btf_vlen(proto);
	p = btf_params(proto);
	for (int i = 0; i < n && i < 8; i++)
		types[i] = p[i].type;
	return n;
}

/* Rung 2 (no bpf in the LSM list): every LSM row names the kernel function its program is
 * attached to as fmod_ret, a security_* one (the kernel lets fmod_ret modify those). A row
 * without one would leave its hook silently unenforced there. Against this kernel's BTF, where
 * it can be read: the function takes the hook's arguments, or the row has a program of its own
 * (fr_prog); fentry exactly where it returns nothing. */
static void every_lsm_row_has_a_rung2_target(void **state)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int bad = 0, checked = 0;

	if (libbpf_get_error(vmlinux))
		vmlinux = NULL;
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_hook_row *h = &wd_lsm_hooks[i];
		__u32 fr = 0, hr = 0, ft[8] = {0}, ht[8] = {0};
		char lsm_fn[96];
		int nf, nh;

		if (!h->fn || strncmp(h->fn, "security_", 9) != 0) {
			print_error("user/hooks/hooks.c: lsm/%s: no fmod_ret target (a security_* "
				    "function): the hook would go unenforced on rung 2\n",
				    h->hook);
			bad++;
			continue;
		}
		assert_ptr_equal(wd_lsm_hook_prog(h, WD_MECH_LSM), h->prog);
		assert_ptr_equal(wd_lsm_hook_prog(h, WD_MECH_FMODRET),
				 h->fr_prog ? h->fr_prog : h->prog);
		if (!vmlinux)
			continue;
		snprintf(lsm_fn, sizeof(lsm_fn), "bpf_lsm_%s", h->hook);
		nh = fn_params(vmlinux, lsm_fn, &hr, ht);
		nf = fn_params(vmlinux, h->fn, &fr, ft);
		if (nh < 0 && h->optional)
			continue;
		checked++;
		/* Not every kernel makes a bpf_lsm_ function of every hook (6.18 has no
		 * bpf_lsm_key_free): then only the target is checked. */
		if (nf < 0) {
			print_error("lsm/%s: %s is not in this kernel's BTF\n", h->hook, h->fn);
			bad++;
			continue;
		}
		if (h->fentry != (fr == 0)) {
			print_error("lsm/%s: %s %s, the row says %s\n", h->hook, h->fn,
				    fr ? "returns a value" : "returns nothing",
				    h->fentry ? "fentry" : "fmod_ret");
			bad++;
		}
		if (!h->fr_prog && nh >= 0 && (nf != nh || memcmp(ft, ht, sizeof(ft)) != 0)) {
			print_error("lsm/%s: %s takes other arguments than the hook (%d, %d): it "
				    "needs a program of its own (fr_prog)\n",
				    h->hook, h->fn, nf, nh);
			bad++;
		}
	}
	btf__free(vmlinux);
	if (vmlinux)
		assert_true(checked > 30);
	assert_int_equal(bad, 0);
	assert_string_equal(wd_mech_name(WD_MECH_LSM), "bpf-lsm");
	assert_string_equal(wd_mech_name(WD_MECH_FMODRET), "fmod_ret");
	assert_string_equal(wd_mech_name(WD_MECH_NONE), "none");
	/* Events of the rung-2 program are those of its hook's row. */
	assert_ptr_equal(wd_lsm_hook_by_prog("wd_mmap_fr"), wd_lsm_hook_by_hook("mmap_file"));
}

/* The kernel's own hooks of newer kernels are marked optional; the others are not. */
static void optional_hooks(void **state)
{
	const char *opt[] = {"file_truncate", "inode_set_acl", "inode_remove_acl",
			     "file_ioctl_compat"};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		const struct wd_hook_row *h = wd_lsm_hook_by_hook(opt[i]);

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
		{WD_HOOK_SECCOMP, 250, "", "confinement: refused by warden's seccomp filter"},
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
		cmocka_unit_test(every_row_has_its_programs),
		cmocka_unit_test(every_hook_id_has_its_row),
		cmocka_unit_test(lsm_rows_first),
		cmocka_unit_test(events_convert_under_their_name),
		cmocka_unit_test(entries_are_distinct),
		cmocka_unit_test(optional_hooks),
		cmocka_unit_test(every_lsm_row_has_a_rung2_target),
		cmocka_unit_test(confinement_texts),
	};

	return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
