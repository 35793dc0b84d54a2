// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The LSM object (bpf/wd_lsm.bpf.c: exec, file, sockets, confinement): loaded only where the
 * probe sees its hooks enforce, on the cgroup object's maps, without the hooks this kernel lacks;
 * each program attached the way the probe saw its hook refuse: BPF LSM, or fmod_ret on the
 * security_* function calling the hook (rung 2, retargeted at open: one object for both);
 * pinned, one set of links per build, so an upgrade replaces the programs without a gap. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "enforce/libbpf_log.h"
#include "enforce/probe.h"
#include "hooks/hooks.h"
#include "lib/cleanup.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

WD_DEFINE_FREEP(wd_lsm_bpf, struct wd_lsm_bpf, wd_lsm_bpf__destroy)

/* An id of the LSM programs this binary carries (FNV-1a of the BPF object), so that a daemon
 * of another build replaces the pinned programs instead of keeping them. WARDEN_BUILD_ID
 * overrides it (tests simulate an upgrade with it). */
static void build_id(char *buf, size_t size)
{
	const char *env = getenv("WARDEN_BUILD_ID");
	const unsigned char *p;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n;

	if (env && *env) {
		snprintf(buf, size, "%.16s", env);
		return;
	}
	p = wd_lsm_bpf__elf_bytes(&n);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	snprintf(buf, size, "%016llx", (unsigned long long)h);
}

/* Links of LSM programs of other builds (lsm_* and, rung 2, fmr_*): unpinned once this build's are
 * attached, so an upgrade swaps the programs with both attached for a moment, never neither. */
static int unpin_other_builds(const char *pin_dir, const char *id)
{
	int n = 0;
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		const char *at = strrchr(de->d_name, '@');

		if ((strncmp(de->d_name, "lsm_", 4) && strncmp(de->d_name, "fmr_", 4)) ||
		    (at && !strcmp(at + 1, id)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n += unlink(path) == 0;
	}
	closedir(d);
	return n;
}

static int attach_lsm_pinned(struct wd_enforcer *e, struct wd_lsm_bpf *lsm)
{
	struct bpf_program *prog;
	char path[PATH_MAX], id[20];
	bool attached = false;

	build_id(id, sizeof(id));
	bpf_object__for_each_program (prog, lsm->obj) {
		struct bpf_link *l;
		int err;

		if (!bpf_program__autoload(prog))
			continue; /* a hook this kernel does not have */
		if (e->n_lsm_links == (int)(sizeof(e->lsm_links) / sizeof(e->lsm_links[0])))
			return -E2BIG;
		/* Rung 2's links are named apart: a program is attached one way or the other. */
		snprintf(path, sizeof(path), "%s/links/%s_%s@%s", e->pin_dir,
			 bpf_program__type(prog) == BPF_PROG_TYPE_LSM ? "lsm" : "fmr",
			 bpf_program__name(prog), id);
		err = wd_enf_attach_pinned(prog, path, &l);
		if (err < 0)
			return err;
		if (err == 1) {
			e->readopted = true;
		} else {
			e->lsm_links[e->n_lsm_links++] = l;
			attached = true;
		}
	}
	if (attached)
		e->replaced = unpin_other_builds(e->pin_dir, id);
	return 0;
}

/* LSM hooks newer kernels added (file_truncate, inode_set_acl in 6.2; the optional entries of
 * user/hooks/hooks.c): a program for one this kernel does not have (no bpf_lsm_<hook> in its BTF)
 * is not loaded, and not attached; what it covers, older kernels cover with another hook. Any
 * other hook missing fails the load, as it must. */
static void skip_absent_hooks(struct bpf_object *obj)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *prog;

	if (libbpf_get_error(vmlinux))
		return; /* the load then fails and says why */
	bpf_object__for_each_program (prog, obj) {
		const struct wd_lsm_hook *h = wd_lsm_hook_by_prog(bpf_program__name(prog));

		if (h && h->optional && !wd_lsm_hook_in_kernel(vmlinux, h))
			bpf_program__set_autoload(prog, false);
	}
	btf__free(vmlinux);
}

/* Not pinned: every program that loaded gets its link, kept in the skeleton (destroyed with it).
 * An explicit loop, not wd_lsm_bpf__attach(), which skips retargeted programs (mech.c). */
static int attach_lsm(struct wd_lsm_bpf *lsm)
{
	const struct bpf_object_skeleton *sk = lsm->skeleton;

	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *prog = *sk->progs[i].prog;

		if (!bpf_program__autoload(prog))
			continue;
		*sk->progs[i].link = wd_enf_attach_prog(prog);
		if (!*sk->progs[i].link)
			return -errno;
	}
	return 0;
}

/* Each program the way the probe saw its hook refuse (e->lsm_mech): as it is (BPF LSM), or
 * retargeted to fmod_ret; a hook with a program of its own on rung 2 (h->fr_prog) runs that one
 * instead. Then the object knows (wd_mech) where exec decisions may call bpf_d_path. */
static int choose_mechs(struct wd_enforcer *e, struct wd_lsm_bpf *lsm)
{
	struct bpf_program *prog;
	bool lsm_used = false, fr_used = false;

	bpf_object__for_each_program (prog, lsm->obj) {
		const char *name = bpf_program__name(prog);
		const struct wd_lsm_hook *h = wd_lsm_hook_by_prog(name);
		enum wd_mech m;
		int err;

		if (!h)
			continue;
		m = (enum wd_mech)e->lsm_mech[h - wd_lsm_hooks];
		if (!bpf_program__autoload(prog) && strcmp(name, h->prog) == 0)
			continue; /* a hook this kernel does not have */
		bpf_program__set_autoload(prog, strcmp(name, wd_lsm_hook_prog(h, m)) == 0);
		if (!bpf_program__autoload(prog))
			continue;
		lsm_used |= m == WD_MECH_LSM;
		fr_used |= m == WD_MECH_FMODRET;
		if (m == WD_MECH_FMODRET && !h->fr_prog && (err = wd_enf_retarget(prog, h)))
			return err;
	}
	lsm->rodata->wd_mech = fr_used ? WD_MECH_FMODRET : WD_MECH_LSM;
	snprintf(e->lsm_mechanism, sizeof(e->lsm_mechanism), "%s%s%s",
		 lsm_used ? wd_mech_name(WD_MECH_LSM) : "", lsm_used && fr_used ? "+" : "",
		 fr_used ? wd_mech_name(WD_MECH_FMODRET) : "");
	return 0;
}

static void open_lsm(struct wd_enforcer *e)
{
	_cleanup_with_(wd_lsm_bpfp) struct wd_lsm_bpf *lsm = NULL;
	int err;

	wd_libbpf_clear();
	lsm = wd_lsm_bpf__open();
	if (!lsm) {
		snprintf(e->lsm_error, sizeof(e->lsm_error), "open: %s", strerror(errno));
		return;
	}
	skip_absent_hooks(lsm->obj);
	err = choose_mechs(e, lsm);
	if (err) {
		snprintf(e->lsm_error, sizeof(e->lsm_error),
			 "attaching the LSM programs as fmod_ret failed: %s", strerror(-err));
		return;
	}
	err = e->pin_dir[0] ? wd_enf_set_pins(lsm->obj, e->pin_dir) : wd_enf_share_maps(lsm, e->cg);
	if (!err)
		err = wd_lsm_bpf__load(lsm);
	if (err) {
		snprintf(e->lsm_error, sizeof(e->lsm_error),
			 "loading the LSM programs failed: %s%s%s%s", strerror(-err),
			 wd_libbpf_last()[0] ? " (" : "", wd_libbpf_last(),
			 wd_libbpf_last()[0] ? ")" : "");
		return;
	}
	err = e->pin_dir[0] ? attach_lsm_pinned(e, lsm) : attach_lsm(lsm);
	if (err) {
		snprintf(e->lsm_error, sizeof(e->lsm_error),
			 "attaching the LSM programs failed: %s", strerror(-err));
		return;
	}
	e->lsm = TAKE_PTR(lsm);
}

void wd_enf_lsm_open(struct wd_enforcer *e, const struct wd_enforcer_opts *o)
{
	enum wd_mech mech[64] = {0};

	if (!o->want_lsm)
		return;
	if (wd_probe_lsm_enforcing(o->verbose, e->lsm_probe, sizeof(e->lsm_probe), e->lsm_missing,
				   sizeof(e->lsm_missing), &e->lsm_hooks_why, mech)) {
		for (size_t i = 0; i < wd_lsm_hooks_n && i < sizeof(e->lsm_mech); i++)
			e->lsm_mech[i] = (uint8_t)mech[i];
		open_lsm(e);
	} else
		snprintf(e->lsm_error, sizeof(e->lsm_error), "%s", e->lsm_probe);
}
