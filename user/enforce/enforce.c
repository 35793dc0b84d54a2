// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loads warden's BPF objects and writes policies and sandboxes into their maps. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "event/event.h"
#include "enforce/libbpf_log.h"
#include "hooks/hooks.h"
#include "policy/compile.h"
#include "enforce/probe.h"
#include "enforce/ringbuf.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

/* Files under a protected directory that get (device, inode) entries at most: enough for
 * credential stores, bounded so a huge tree cannot stall a sandbox's start. */
#define WD_DENY_DIR_FILES_MAX 4096
#define WD_DRAIN_BUDGET	      4096 /* records per wd_enforcer_drain() */

static int on_record(void *ctx, void *data, size_t size)
{
	struct wd_enforcer *e = ctx;
	struct wd_event buf;
	const struct wd_event *ev = wd_event_from_ring(data, size, &buf);

	if (!ev) {
		e->bad_records++;
		return 0;
	}
	if (e->on_event)
		e->on_event(e->on_event_ctx, ev);
	return 0;
}

/* The LSM object's copies of the shared maps become the cgroup object's. */
static int share_maps(struct wd_lsm_bpf *lsm, struct wd_cgroup_bpf *cg)
{
	const struct {
		struct bpf_map *to, *from;
	} shared[] = {
		{lsm->maps.wd_sandboxes, cg->maps.wd_sandboxes},
		{lsm->maps.wd_policies, cg->maps.wd_policies},
		{lsm->maps.wd_net, cg->maps.wd_net},
		{lsm->maps.wd_hits, cg->maps.wd_hits},
		{lsm->maps.wd_events, cg->maps.wd_events},
		{lsm->maps.wd_lost, cg->maps.wd_lost},
		{lsm->maps.wd_sb_lost, cg->maps.wd_sb_lost},
		{lsm->maps.wd_levels, cg->maps.wd_levels},
	};

	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		int err = bpf_map__reuse_fd(shared[i].to, bpf_map__fd(shared[i].from));

		if (err)
			return err;
	}
	return 0;
}

/* ---- Pinning (the daemon) ------------------------------------------------------------------- */

static int mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -errno : 0;
}

/* Pins need a BPF file system at (or above) @dir; systemd mounts one at /sys/fs/bpf, a bare
 * host or container may not have: then it is mounted there, mode 0700. Elsewhere a directory
 * that is not on one is -EMEDIUMTYPE (the wrong kind of file system), for the caller to say so. */
static int ensure_bpffs(const char *dir)
{
	char probe[PATH_MAX];
	struct statfs sf;

	snprintf(probe, sizeof(probe), "%s", dir);
	for (;;) {
		char *slash;

		if (statfs(probe, &sf) == 0 && sf.f_type == BPF_FS_MAGIC)
			return 0;
		if (access(probe, F_OK) == 0)
			break;
		slash = strrchr(probe, '/');
		if (!slash || slash == probe)
			return -ENOENT;
		*slash = '\0';
	}
	/* The first existing directory is not bpffs: mount one there if it is /sys/fs/bpf. */
	if (strcmp(probe, "/sys/fs/bpf"))
		return -EMEDIUMTYPE;
	if (mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return -errno;
	return 0;
}

/* Every map of @obj is pinned as DIR/maps/NAME: found there, it is reused (libbpf checks that
 * type, sizes and limits match), else created and pinned. */
static int set_pins(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map (map, obj) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/maps/%s", dir, bpf_map__name(map));
		if (bpf_map__set_pin_path(map, path))
			return -errno;
		/* One pinned by a build with another size (the ring buffer grew): reused as it
		 * is, with what it holds, rather than refused. The new size comes with new pins
		 * (a reboot, or the pins removed while no daemon runs). */
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(map) &&
		    info.max_entries != bpf_map__max_entries(map))
			bpf_map__set_max_entries(map, info.max_entries);
		close(fd);
	}
	return 0;
}

/* Attaches @prog and pins the link as @path, unless a link is pinned there already (a running
 * enforcement from before this process): then that one is kept and 1 returned. */
static int attach_pinned(struct bpf_program *prog, const char *path, struct bpf_link **out)
{
	struct bpf_link *l;
	int err;

	*out = NULL;
	if (access(path, F_OK) == 0)
		return 1;
	l = bpf_program__attach(prog);
	if (!l)
		return -errno;
	err = bpf_link__pin(l, path);
	if (err) {
		bpf_link__destroy(l);
		return err;
	}
	*out = l;
	return 0;
}

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

/* Links of LSM programs of other builds: unpinned once this build's are attached, so an
 * upgrade swaps the programs with both attached for a moment, never neither. */
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

		if (strncmp(de->d_name, "lsm_", 4) || (at && !strcmp(at + 1, id)))
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
		snprintf(path, sizeof(path), "%s/links/lsm_%s@%s", e->pin_dir,
			 bpf_program__name(prog), id);
		err = attach_pinned(prog, path, &l);
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

static int unlink_all(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dh = opendir(dir);
	int ret = 0;

	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dh))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) && !ret)
			ret = -errno;
	}
	closedir(dh);
	if (rmdir(dir) && errno != ENOENT && !ret)
		ret = -errno;
	return ret;
}

int wd_enforcer_unpin_all(const char *pin_dir)
{
	char dir[PATH_MAX];
	int a, b;

	/* Links first: enforcement ends with them; the maps go once nothing uses them. */
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	a = unlink_all(dir);
	snprintf(dir, sizeof(dir), "%s/maps", pin_dir);
	b = unlink_all(dir);
	if (rmdir(pin_dir) && errno != ENOENT && !a && !b)
		return -errno;
	return a ? a : b;
}

/* In the order wd_enforcer_attach_cgroup() attaches them. */
static const char *const cg_prog_names[] = {"sock_owner", "connect4", "connect6", "sendmsg4",
					    "sendmsg6",	  "bind4",    "bind6",	  "egress"};

/* ---- Holding new cgroups adoption rules match (bpf/wd_cgroup.bpf.c) -------------------------- */

static int update(struct bpf_map *map, const void *key, const void *val);
static uint64_t percpu_sum(struct bpf_map *map, uint32_t key);

/* Pins @l as @path, replacing what is pinned there in one rename: the old link (a daemon's
 * before this one, maybe of another build) goes only once the new one is attached. */
static int pin_replace(struct bpf_link *l, const char *path)
{
	char tmp[PATH_MAX + 8];
	int err;

	/* bpffs refuses names with a dot. */
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	err = bpf_link__pin(l, tmp);
	if (!err && rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	bpf_link__destroy(l); /* the pin holds it */
	return err;
}

int wd_enforcer_attach_hold(struct wd_enforcer *e)
{
	struct bpf_program *progs[] = {e->cg->progs.wd_cgroup_mkdir, e->cg->progs.wd_cgroup_rmdir};
	const char *names[] = {"hold_mkdir", "hold_rmdir"};

	if (!e->pin_dir[0])
		return -EINVAL;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char path[PATH_MAX];
		struct bpf_link *l = bpf_program__attach(progs[i]);
		int err;

		if (!l)
			return -errno;
		snprintf(path, sizeof(path), "%s/links/%s", e->pin_dir, names[i]);
		err = pin_replace(l, path);
		if (err)
			return err;
	}
	return 0;
}

int wd_enforcer_adopt_bank(struct wd_enforcer *e, uint32_t *bank)
{
	uint32_t zero = 0;

	if (bpf_map__lookup_elem(e->cg->maps.wd_adopt_bank, &zero, sizeof(zero), bank,
				 sizeof(*bank), 0))
		return -errno;
	*bank &= 1;
	return 0;
}

int wd_enforcer_set_adopt(struct wd_enforcer *e, uint32_t bank, uint32_t idx, const char *pat,
			  unsigned level, uint32_t policy_id)
{
	struct wd_adopt_pat ap = {.level = level, .policy_id = policy_id};
	uint32_t key = (bank & 1) * WD_ADOPT_MAX + idx;

	if (idx >= WD_ADOPT_MAX)
		return -ERANGE;
	if (!pat)
		return bpf_map__delete_elem(e->cg->maps.wd_adopt, &key, sizeof(key), 0) &&
				       errno != ENOENT
			       ? -errno
			       : 0;
	if (strlen(pat) >= sizeof(ap.pat) || level == 0 || level >= WD_LEVELS_MAX)
		return -ENAMETOOLONG;
	strcpy(ap.pat, pat);
	return update(e->cg->maps.wd_adopt, &key, &ap);
}

int wd_enforcer_adopt_switch(struct wd_enforcer *e, uint32_t bank)
{
	uint32_t zero = 0;

	bank &= 1;
	return update(e->cg->maps.wd_adopt_bank, &zero, &bank);
}

int wd_enforcer_adopt_slots(struct wd_enforcer *e, uint32_t *slots, size_t max)
{
	size_t n = 0;

	for (uint32_t key = 0; key < 2 * WD_ADOPT_MAX && n < max; key++) {
		struct wd_adopt_pat ap;

		if (bpf_map__lookup_elem(e->cg->maps.wd_adopt, &key, sizeof(key), &ap, sizeof(ap),
					 0) == 0)
			slots[n++] = ap.policy_id;
	}
	return (int)n;
}

uint64_t wd_enforcer_hold_failures(struct wd_enforcer *e)
{
	return percpu_sum(e->cg->maps.wd_hold_fail, 0);
}

int wd_enforcer_held(struct wd_enforcer *e, uint64_t cgid, uint32_t *policy_id)
{
	struct wd_sandbox sb;

	if (bpf_map__lookup_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &sb, sizeof(sb),
				 0) ||
	    !(sb.flags & WD_SB_HELD))
		return 0;
	if (policy_id)
		*policy_id = sb.policy_id;
	return 1;
}

int wd_enforcer_held_list(struct wd_enforcer *e, uint64_t *cgids, uint32_t *policy_ids, size_t max)
{
	struct bpf_map *m = e->cg->maps.wd_sandboxes;
	uint64_t key, next;
	void *prev = NULL;
	size_t n = 0;

	while (n < max && bpf_map__get_next_key(m, prev, &next, sizeof(next)) == 0) {
		uint32_t pid;

		key = next;
		prev = &key;
		if (wd_enforcer_held(e, key, &pid)) {
			cgids[n] = key;
			policy_ids[n++] = pid;
		}
	}
	return (int)n;
}

int wd_enforcer_hold(struct wd_enforcer *e, uint64_t cgid, uint32_t policy_id, bool only_held)
{
	struct wd_sandbox sb = {.policy_id = policy_id, .flags = WD_SB_HELD};

	if (only_held && !wd_enforcer_held(e, cgid, NULL))
		return -ENOENT;
	/* Never a new entry: one for a cgroup removed meanwhile would never go. */
	return bpf_map__update_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &sb, sizeof(sb),
				    BPF_EXIST)
		       ? -errno
		       : 0;
}

/* Attaches @prog to the cgroup @cgroup_fd and pins the link as @path, unless a link is pinned
 * there already (kept: enforcement outlives the daemon). */
static int attach_cgroup_pinned(struct bpf_program *prog, int cgroup_fd, const char *path)
{
	struct bpf_link *l;
	int err;

	if (access(path, F_OK) == 0)
		return 0;
	l = bpf_program__attach_cgroup(prog, cgroup_fd);
	if (!l)
		return -errno;
	err = bpf_link__pin(l, path);
	bpf_link__destroy(l); /* the pin holds it */
	return err;
}

static const char *const hold_prog_names[] = {"hold_sock_owner", "hold_connect4", "hold_connect6",
					      "hold_sendmsg4",	 "hold_sendmsg6", "hold_bind4",
					      "hold_bind6",	 "hold_egress"};

int wd_enforcer_attach_hold_cgroup(struct wd_enforcer *e, int cgroup_fd)
{
	/* The owner tag is the same program as for adopted sandboxes: it tags for any sandbox. */
	struct bpf_program *progs[] = {e->cg->progs.wd_sock_owner, e->cg->progs.wd_hold_conn4,
				       e->cg->progs.wd_hold_conn6, e->cg->progs.wd_hold_send4,
				       e->cg->progs.wd_hold_send6, e->cg->progs.wd_hold_bind4,
				       e->cg->progs.wd_hold_bind6, e->cg->progs.wd_hold_egress};
	struct stat st;

	_Static_assert(sizeof(progs) / sizeof(progs[0]) ==
			       sizeof(hold_prog_names) / sizeof(hold_prog_names[0]),
		       "a pin name for every program");
	if (!e->pin_dir[0])
		return -EINVAL;
	if (fstat(cgroup_fd, &st))
		return -errno;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char path[PATH_MAX];
		int err;

		snprintf(path, sizeof(path), "%s/links/%s_%llu", e->pin_dir, hold_prog_names[i],
			 (unsigned long long)st.st_ino);
		err = attach_cgroup_pinned(progs[i], cgroup_fd, path);
		if (err)
			return err;
	}
	return 0;
}

void wd_enforcer_unpin_hold_cgroups(struct wd_enforcer *e, const uint64_t *keep, size_t n)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", e->pin_dir);
	d = e->pin_dir[0] ? opendir(dir) : NULL;
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *us = strrchr(de->d_name, '_');
		unsigned long long ino;
		bool kept = false;

		if (strncmp(de->d_name, "hold_", 5) || !us || sscanf(us + 1, "%llu", &ino) != 1)
			continue;
		for (size_t i = 0; i < n; i++)
			kept |= keep[i] == ino;
		if (kept)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

void wd_enforcer_unpin_cgroup(struct wd_enforcer *e, uint64_t cgid)
{
	char path[PATH_MAX];

	if (!e->pin_dir[0])
		return;
	for (size_t i = 0; i < sizeof(cg_prog_names) / sizeof(cg_prog_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/links/cg_%llu_%s", e->pin_dir,
			 (unsigned long long)cgid, cg_prog_names[i]);
		unlink(path);
	}
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

static void open_lsm(struct wd_enforcer *e, const struct wd_enforcer_opts *o)
{
	struct wd_lsm_bpf *lsm;
	int err;

	wd_libbpf_clear();
	lsm = wd_lsm_bpf__open();
	if (!lsm) {
		snprintf(e->lsm_error, sizeof(e->lsm_error), "open: %s", strerror(errno));
		return;
	}
	skip_absent_hooks(lsm->obj);
	err = e->pin_dir[0] ? set_pins(lsm->obj, e->pin_dir) : share_maps(lsm, e->cg);
	if (!err)
		err = wd_lsm_bpf__load(lsm);
	if (err) {
		snprintf(e->lsm_error, sizeof(e->lsm_error),
			 "loading the LSM programs failed: %s%s%s%s", strerror(-err),
			 wd_libbpf_last()[0] ? " (" : "", wd_libbpf_last(),
			 wd_libbpf_last()[0] ? ")" : "");
		wd_lsm_bpf__destroy(lsm);
		return;
	}
	err = e->pin_dir[0] ? attach_lsm_pinned(e, lsm) : wd_lsm_bpf__attach(lsm);
	if (err) {
		snprintf(e->lsm_error, sizeof(e->lsm_error),
			 "attaching the LSM programs failed: %s", strerror(-err));
		wd_lsm_bpf__destroy(lsm);
		return;
	}
	e->lsm = lsm;
}

int wd_enforcer_open(struct wd_enforcer *e, const struct wd_enforcer_opts *o)
{
	int err;

	memset(e, 0, sizeof(*e));
	wd_libbpf_log_init(o->verbose);
	e->on_event = o->on_event;
	e->on_event_ctx = o->on_event_ctx;
	snprintf(e->lsm_error, sizeof(e->lsm_error), "not requested");

	if (o->pin_dir) {
		char dir[PATH_MAX];

		err = ensure_bpffs(o->pin_dir);
		if (err)
			return err;
		snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", o->pin_dir);
		snprintf(dir, sizeof(dir), "%s/maps", o->pin_dir);
		err = mkdir_p(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/links", o->pin_dir);
		if (!err)
			err = mkdir_p(dir, 0700);
		if (err)
			return err;
	}
	e->cg = wd_cgroup_bpf__open();
	if (!e->cg)
		return -errno;
	err = e->pin_dir[0] ? set_pins(e->cg->obj, e->pin_dir) : 0;
	if (!err)
		err = wd_cgroup_bpf__load(e->cg);
	if (err)
		goto fail;
	if (o->want_lsm) {
		if (wd_probe_lsm_enforcing(o->verbose, e->lsm_probe, sizeof(e->lsm_probe),
					   e->lsm_missing, sizeof(e->lsm_missing)))
			open_lsm(e, o);
		else
			snprintf(e->lsm_error, sizeof(e->lsm_error), "%s", e->lsm_probe);
	}
	e->rb = wd_ringbuf_new(bpf_map__fd(e->cg->maps.wd_events), on_record, e);
	if (!e->rb) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	wd_enforcer_close(e);
	return err;
}

int wd_enforcer_attach_cgroup(struct wd_enforcer *e, int cgroup_fd)
{
	/* The owner tag first: a socket made once the gates are attached must carry it. */
	struct bpf_program *progs[] = {e->cg->progs.wd_sock_owner, e->cg->progs.wd_connect4,
				       e->cg->progs.wd_connect6,   e->cg->progs.wd_sendmsg4,
				       e->cg->progs.wd_sendmsg6,   e->cg->progs.wd_bind4,
				       e->cg->progs.wd_bind6,	   e->cg->progs.wd_egress};
	struct bpf_link **links[] = {&e->cg->links.wd_sock_owner, &e->cg->links.wd_connect4,
				     &e->cg->links.wd_connect6,	  &e->cg->links.wd_sendmsg4,
				     &e->cg->links.wd_sendmsg6,	  &e->cg->links.wd_bind4,
				     &e->cg->links.wd_bind6,	  &e->cg->links.wd_egress};

	_Static_assert(sizeof(progs) / sizeof(progs[0]) ==
			       sizeof(cg_prog_names) / sizeof(cg_prog_names[0]),
		       "a pin name for every program");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *l;

		if (e->pin_dir[0]) {
			char path[PATH_MAX];
			struct stat st;
			int err;

			/* Pinned per sandbox cgroup, so enforcement outlives the daemon. */
			if (fstat(cgroup_fd, &st))
				return -errno;
			snprintf(path, sizeof(path), "%s/links/cg_%llu_%s", e->pin_dir,
				 (unsigned long long)st.st_ino, cg_prog_names[i]);
			err = attach_cgroup_pinned(progs[i], cgroup_fd, path);
			if (err)
				return err;
			continue;
		}
		l = bpf_program__attach_cgroup(progs[i], cgroup_fd);
		if (!l)
			return -errno;
		/* The skeleton destroys its links on close. */
		bpf_link__destroy(*links[i]);
		*links[i] = l;
	}
	return 0;
}

static int update(struct bpf_map *map, const void *key, const void *val)
{
	return bpf_map__update_elem(map, key, bpf_map__key_size(map), val, bpf_map__value_size(map),
				    BPF_ANY)
		       ? -errno
		       : 0;
}

/* Adds an inode entry, merging DENY verdicts with one already there. */
static int put_inode(struct wd_enforcer *e, const struct wd_inode_key *k,
		     const struct wd_file_rule *r)
{
	struct bpf_map *map = e->lsm->maps.wd_file_inode;
	struct wd_file_rule cur;

	if (bpf_map__lookup_elem(map, k, sizeof(*k), &cur, sizeof(cur), 0) == 0) {
		for (int op = 0; op < WD_OP_NR; op++) {
			if (r->verdict[op] == WD_V_DENY && cur.verdict[op] != WD_V_DENY) {
				cur.verdict[op] = WD_V_DENY;
				cur.rule_id[op] = r->rule_id[op];
			}
		}
		return update(map, k, &cur);
	}
	return update(map, k, r);
}

static void inode_key(struct wd_inode_key *k, uint32_t policy_id, const struct stat *st)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = policy_id;
	/* The kernel's s_dev encoding, not glibc's. */
	k->dev = major(st->st_dev) << 20 | minor(st->st_dev);
	k->ino = st->st_ino;
}

/* nftw has no context argument: the walk in progress. */
static struct {
	struct wd_enforcer *e;
	const struct wd_deny_dir *dir;
	uint32_t policy_id;
	size_t files;
	int err;
} walk;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const struct wd_deny_dir *d = walk.dir;
	struct wd_file_rule r = d->rule;
	struct wd_inode_key k;
	bool any = false;

	if (type != FTW_F)
		return 0;
	if (++walk.files > WD_DENY_DIR_FILES_MAX)
		return 1;
	/* Exec denials are about where code comes from, not which file: only read and write
	 * denials follow a file wherever it is linked. */
	r.verdict[WD_OP_EXEC] = WD_V_NONE;
	if (d->except && strncmp(path, d->except, strlen(d->except)) == 0)
		for (int op = 0; op < WD_OP_NR; op++)
			if (d->except_ops & (1 << op))
				r.verdict[op] = WD_V_NONE;
	for (int op = 0; op < WD_OP_NR; op++)
		any |= r.verdict[op] == WD_V_DENY;
	if (!any)
		return 0;
	inode_key(&k, walk.policy_id, st);
	walk.err = put_inode(walk.e, &k, &r);
	return walk.err ? 1 : 0;
}

static int load_file_rules(struct wd_enforcer *e, const struct wd_compiled *c)
{
	struct stat st;
	int err;

	for (size_t i = 0; i < c->n_exact; i++)
		if ((err = update(e->lsm->maps.wd_file_exact, &c->exact[i].key, &c->exact[i].rule)))
			return err;
	for (size_t i = 0; i < c->n_prefix; i++)
		if ((err = update(e->lsm->maps.wd_file_prefix, &c->prefix[i].key,
				  &c->prefix[i].rule)))
			return err;
	for (size_t i = 0; i < c->n_proc; i++)
		if ((err = update(e->lsm->maps.wd_proc_name, &c->proc[i].key, &c->proc[i].rule)))
			return err;
	/* Protected files by identity: a hardlink or bind mount of /etc/shadow is /etc/shadow. */
	for (size_t i = 0; i < c->n_inode; i++) {
		struct wd_inode_key k;

		if (stat(c->inode[i].path, &st))
			continue; /* nothing there to protect (yet): the path rule still holds */
		inode_key(&k, c->policy_id, &st);
		if ((err = put_inode(e, &k, &c->inode[i].rule)))
			return err;
	}
	for (size_t i = 0; i < c->n_deny_dirs; i++) {
		walk.e = e;
		walk.dir = &c->deny_dirs[i];
		walk.policy_id = c->policy_id;
		walk.files = 0;
		walk.err = 0;
		nftw(c->deny_dirs[i].path, walk_one, 16, FTW_PHYS | FTW_MOUNT);
		if (walk.err)
			return walk.err;
	}
	return 0;
}

/* The slot's abstract socket rules, all WD_ABSTRACT_MAX entries: the ones after the list end it
 * (verdict WD_V_NONE), so nothing of a policy that had the slot before remains. */
static int load_abstract(struct wd_enforcer *e, uint32_t policy_id,
			 const struct wd_abstract_rule *v, size_t n)
{
	for (uint32_t i = 0; i < WD_ABSTRACT_MAX; i++) {
		struct wd_abstract_rule none = {0};
		uint32_t key = policy_id * WD_ABSTRACT_MAX + i;
		int err = update(e->lsm->maps.wd_unix_abstract, &key, i < n ? &v[i] : &none);

		if (err)
			return err;
	}
	return 0;
}

int wd_enforcer_load_policy(struct wd_enforcer *e, const struct wd_compiled *c)
{
	struct wd_policy_cfg cfg = c->cfg;
	int err;

	if (c->policy_id >= WD_POLICIES_MAX)
		return -EINVAL;
	for (size_t i = 0; i < c->n_net; i++)
		if ((err = update(e->cg->maps.wd_net, &c->net[i].key, &c->net[i].rules)))
			return err;
	if (e->lsm && (err = load_file_rules(e, c)))
		return err;
	if (e->lsm && (err = load_abstract(e, c->policy_id, c->abstract, c->n_abstract)))
		return err;
	/* Last: the slot becomes valid only when every entry is in place. */
	cfg.flags |= WD_POL_VALID;
	return update(e->cg->maps.wd_policies, &c->policy_id, &cfg);
}

void wd_enforcer_unload_policy(struct wd_enforcer *e, const struct wd_compiled *c)
{
	struct wd_policy_cfg off = {0};

	if (c->policy_id >= WD_POLICIES_MAX)
		return;
	update(e->cg->maps.wd_policies, &c->policy_id, &off);
	for (size_t i = 0; i < c->n_net; i++)
		bpf_map__delete_elem(e->cg->maps.wd_net, &c->net[i].key, sizeof(c->net[i].key), 0);
	if (!e->lsm)
		return;
	for (size_t i = 0; i < c->n_exact; i++)
		bpf_map__delete_elem(e->lsm->maps.wd_file_exact, &c->exact[i].key,
				     sizeof(c->exact[i].key), 0);
	for (size_t i = 0; i < c->n_prefix; i++)
		bpf_map__delete_elem(e->lsm->maps.wd_file_prefix, &c->prefix[i].key,
				     sizeof(c->prefix[i].key), 0);
	for (size_t i = 0; i < c->n_proc; i++)
		bpf_map__delete_elem(e->lsm->maps.wd_proc_name, &c->proc[i].key,
				     sizeof(c->proc[i].key), 0);
	load_abstract(e, c->policy_id, NULL, 0);
}

/* Deletes every key of @map whose policy id (a __u32 at @off in the key) is @policy_id: the
 * keys are collected in one walk, then deleted (deleting during the walk would restart it). */
static int clear_map(struct bpf_map *map, size_t off, uint32_t policy_id)
{
	size_t ksz = bpf_map__key_size(map), n = 0, cap = 0;
	uint8_t *keys = NULL, *cur = NULL, *next;
	int err = 0;

	next = malloc(ksz);
	if (!next)
		return -ENOMEM;
	while (bpf_map__get_next_key(map, cur, next, ksz) == 0) {
		if (memcmp(next + off, &policy_id, sizeof(policy_id)) == 0) {
			if (n == cap) {
				uint8_t *k = realloc(keys, (cap = cap ? 2 * cap : 64) * ksz);

				if (!k) {
					err = -ENOMEM;
					break;
				}
				keys = k;
			}
			memcpy(keys + n * ksz, next, ksz);
			n++;
		}
		if (!cur && !(cur = malloc(ksz))) {
			err = -ENOMEM;
			break;
		}
		memcpy(cur, next, ksz);
	}
	for (size_t i = 0; !err && i < n; i++)
		bpf_map__delete_elem(map, keys + i * ksz, ksz, 0);
	free(keys);
	free(cur);
	free(next);
	return err;
}

int wd_enforcer_clear_slot(struct wd_enforcer *e, uint32_t policy_id)
{
	struct wd_policy_cfg off = {0};
	int err;

	if (policy_id >= WD_POLICIES_MAX)
		return -EINVAL;
	err = update(e->cg->maps.wd_policies, &policy_id, &off);
	if (!err)
		err = clear_map(e->cg->maps.wd_net, offsetof(struct wd_net_key, policy_id),
				policy_id);
	if (!err && e->lsm)
		err = clear_map(e->lsm->maps.wd_file_exact, offsetof(struct wd_path_key, policy_id),
				policy_id);
	if (!err && e->lsm)
		err = clear_map(e->lsm->maps.wd_file_prefix,
				offsetof(struct wd_prefix_key, policy_id), policy_id);
	if (!err && e->lsm)
		err = clear_map(e->lsm->maps.wd_file_inode,
				offsetof(struct wd_inode_key, policy_id), policy_id);
	if (!err && e->lsm)
		err = clear_map(e->lsm->maps.wd_proc_name, offsetof(struct wd_proc_key, policy_id),
				policy_id);
	if (!err && e->lsm)
		err = load_abstract(e, policy_id, NULL, 0);
	return err;
}

void wd_enforcer_reset_hits(struct wd_enforcer *e, uint32_t first, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *zeros = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*zeros)) : NULL;

	for (uint32_t id = first; zeros && id < first + n && id < WD_RULES_MAX; id++)
		bpf_map__update_elem(e->cg->maps.wd_hits, &id, sizeof(id), zeros,
				     (size_t)ncpu * sizeof(*zeros), 0);
	free(zeros);
}

int wd_enforcer_add_level(struct wd_enforcer *e, unsigned level)
{
	uint32_t zero = 0;
	uint64_t mask = 0;

	if (level == 0 || level >= WD_LEVELS_MAX)
		return -ERANGE;
	if (bpf_map__lookup_elem(e->cg->maps.wd_levels, &zero, sizeof(zero), &mask, sizeof(mask),
				 0))
		return -errno;
	if (mask & (1ull << level))
		return 0;
	/* Read, or, write: the hold program's atomic or of a level can be lost in between, so
	 * the daemon sets its rules' levels here before the kernel may hold at them. */
	mask |= 1ull << level;
	return bpf_map__update_elem(e->cg->maps.wd_levels, &zero, sizeof(zero), &mask, sizeof(mask),
				    0)
		       ? -errno
		       : 0;
}

int wd_enforcer_add_sandbox(struct wd_enforcer *e, uint64_t cgid, unsigned level,
			    uint32_t policy_id)
{
	struct wd_sandbox sb = {.policy_id = policy_id};
	int ncpu = libbpf_num_possible_cpus(), err;
	uint64_t *zeros;

	/* The level first: a sandbox the kernel would not look for is no sandbox. */
	err = wd_enforcer_add_level(e, level);
	if (err)
		return err;

	/* The loss counter first, so that no event of the sandbox can be lost uncounted; a
	 * sandbox switched to another policy keeps its count. */
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	zeros = calloc(ncpu, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	err = bpf_map__update_elem(e->cg->maps.wd_sb_lost, &cgid, sizeof(cgid), zeros,
				   ncpu * sizeof(*zeros), BPF_NOEXIST) &&
			      errno != EEXIST
		      ? -errno
		      : 0;
	free(zeros);
	return err ? err : update(e->cg->maps.wd_sandboxes, &cgid, &sb);
}

int wd_enforcer_del_sandbox(struct wd_enforcer *e, uint64_t cgid)
{
	int err =
		bpf_map__delete_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), 0) ? -errno : 0;

	bpf_map__delete_elem(e->cg->maps.wd_sb_lost, &cgid, sizeof(cgid), 0);
	return err;
}

int wd_enforcer_events_fd(struct wd_enforcer *e)
{
	return wd_ringbuf_fd(e->rb);
}

int wd_enforcer_drain(struct wd_enforcer *e)
{
	/* Consuming does not end while records keep coming: a budget per drain keeps the
	 * caller's loop (signals, the control socket, the command's exit) served. */
	return wd_ringbuf_consume(e->rb, WD_DRAIN_BUDGET);
}

int wd_enforcer_drain_all(struct wd_enforcer *e)
{
	int n;

	while ((n = wd_enforcer_drain(e)) >= WD_DRAIN_BUDGET)
		;
	return n < 0 ? n : 0;
}

static uint64_t percpu_sum(struct bpf_map *map, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *vals;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (bpf_map__lookup_elem(map, &key, sizeof(key), vals, ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

uint64_t wd_enforcer_lost(struct wd_enforcer *e)
{
	return percpu_sum(e->cg->maps.wd_lost, 0);
}

uint64_t wd_enforcer_lost_cpu(struct wd_enforcer *e, uint64_t *per_cpu, int ncpu)
{
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (bpf_map__lookup_elem(e->cg->maps.wd_lost, &zero, sizeof(zero), per_cpu,
				 ncpu * sizeof(*per_cpu), 0))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += per_cpu[i];
	return sum;
}

void wd_lost_detail(char *buf, size_t size, const uint64_t *per_cpu, int ncpu)
{
	size_t off = (size_t)snprintf(buf, size, "kernel ring buffer full; lost so far per CPU:");

	for (int i = 0; i < ncpu && off < size; i++)
		if (per_cpu[i])
			off += (size_t)snprintf(buf + off, size - off, " cpu%d=%llu", i,
						(unsigned long long)per_cpu[i]);
}

uint64_t wd_enforcer_sandbox_lost(struct wd_enforcer *e, uint64_t cgid)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *vals;

	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return 0;
	if (bpf_map__lookup_elem(e->cg->maps.wd_sb_lost, &cgid, sizeof(cgid), vals,
				 ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

uint64_t wd_enforcer_hits(struct wd_enforcer *e, uint32_t rule_id)
{
	return percpu_sum(e->cg->maps.wd_hits, rule_id);
}

void wd_enforcer_close(struct wd_enforcer *e)
{
	wd_ringbuf_free(e->rb);
	e->rb = NULL;
	/* Closing a pinned link's handle leaves the link: the pin holds it. */
	for (int i = 0; i < e->n_lsm_links; i++)
		bpf_link__destroy(e->lsm_links[i]);
	e->n_lsm_links = 0;
	wd_lsm_bpf__destroy(e->lsm);
	e->lsm = NULL;
	wd_cgroup_bpf__destroy(e->cg);
	e->cg = NULL;
}
