// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policies and sandboxes written into the maps: a compiled policy's entries (path, prefix,
 * inode, process name, abstract socket and network rules) under its slot, the slot switched on
 * last; clearing a slot; the sandbox map and the cgroup levels the kernel looks at. */
#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "policy/compile.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

/* Files under a protected directory that get (device, inode) entries at most: enough for
 * credential stores, bounded so a huge tree cannot stall a sandbox's start. */
#define WD_DENY_DIR_FILES_MAX 4096

int wd_enf_update(struct bpf_map *map, const void *key, const void *val)
{
	return bpf_map__update_elem(map, key, bpf_map__key_size(map), val, bpf_map__value_size(map),
				    BPF_ANY)
		       ? -errno
		       : 0;
}

void wd_enf_inode_merge(struct wd_file_rule *cur, const struct wd_file_rule *r)
{
	for (int op = 0; op < WD_OP_NR; op++) {
		if (r->verdict[op] == WD_V_DENY && cur->verdict[op] != WD_V_DENY) {
			cur->verdict[op] = WD_V_DENY;
			cur->rule_id[op] = r->rule_id[op];
		}
	}
}

/* The object holding the maps only the LSM programs decide with (file identities, process
 * names): the LSM object, or where it is not loaded, its exec tracepoint's instance. */
static struct wd_lsm_bpf *lsm_obj(struct wd_enforcer *e)
{
	return e->lsm ? e->lsm : e->exec_tp;
}

/* Adds an inode entry, merging DENY verdicts with one already there. */
static int put_inode(struct wd_enforcer *e, const struct wd_inode_key *k,
		     const struct wd_file_rule *r)
{
	struct bpf_map *map = lsm_obj(e)->maps.wd_file_inode;
	struct wd_file_rule cur;

	if (bpf_map__lookup_elem(map, k, sizeof(*k), &cur, sizeof(cur), 0) == 0) {
		wd_enf_inode_merge(&cur, r);
		return wd_enf_update(map, k, &cur);
	}
	return wd_enf_update(map, k, r);
}

void wd_enf_inode_key(struct wd_inode_key *k, uint32_t policy_id, const struct stat *st)
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

bool wd_enf_deny_dir_rule(const struct wd_deny_dir *d, const char *path, struct wd_file_rule *r)
{
	bool any = false;

	*r = d->rule;
	/* Exec denials are about where code comes from, not which file: only read and write
	 * denials follow a file wherever it is linked. */
	r->verdict[WD_OP_EXEC] = WD_V_NONE;
	if (d->except && strncmp(path, d->except, strlen(d->except)) == 0)
		for (int op = 0; op < WD_OP_NR; op++)
			if (d->except_ops & (1 << op))
				r->verdict[op] = WD_V_NONE;
	for (int op = 0; op < WD_OP_NR; op++)
		any |= r->verdict[op] == WD_V_DENY;
	return any;
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct wd_file_rule r;
	struct wd_inode_key k;

	if (type != FTW_F)
		return 0;
	if (++walk.files > WD_DENY_DIR_FILES_MAX)
		return 1;
	if (!wd_enf_deny_dir_rule(walk.dir, path, &r))
		return 0;
	wd_enf_inode_key(&k, walk.policy_id, st);
	walk.err = put_inode(walk.e, &k, &r);
	return walk.err ? 1 : 0;
}

/* The path rules, in the cgroup object's maps (the LSM object shares them): its unix socket
 * programs decide with them too. */
static int load_path_rules(struct wd_enforcer *e, const struct wd_compiled *c)
{
	int err;

	for (size_t i = 0; i < c->n_exact; i++)
		if ((err = wd_enf_update(e->cg->maps.wd_file_exact, &c->exact[i].key,
					 &c->exact[i].rule)))
			return err;
	for (size_t i = 0; i < c->n_prefix; i++)
		if ((err = wd_enf_update(e->cg->maps.wd_file_prefix, &c->prefix[i].key,
					 &c->prefix[i].rule)))
			return err;
	return 0;
}

/* What only the LSM object decides with: process names, protected files by identity. */
static int load_file_rules(struct wd_enforcer *e, const struct wd_compiled *c)
{
	struct stat st;
	int err;

	for (size_t i = 0; i < c->n_proc; i++)
		if ((err = wd_enf_update(lsm_obj(e)->maps.wd_proc_name, &c->proc[i].key,
					 &c->proc[i].rule)))
			return err;
	/* Protected files by identity: a hardlink or bind mount of /etc/shadow is /etc/shadow. */
	for (size_t i = 0; i < c->n_inode; i++) {
		struct wd_inode_key k;

		if (stat(c->inode[i].path, &st))
			continue; /* nothing there to protect (yet): the path rule still holds */
		wd_enf_inode_key(&k, c->policy_id, &st);
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
		int err = wd_enf_update(e->cg->maps.wd_unix_abstract, &key, i < n ? &v[i] : &none);

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
		if ((err = wd_enf_update(e->cg->maps.wd_net, &c->net[i].key, &c->net[i].rules)))
			return err;
	if ((err = load_path_rules(e, c)))
		return err;
	if (lsm_obj(e) && (err = load_file_rules(e, c)))
		return err;
	if ((err = load_abstract(e, c->policy_id, c->abstract, c->n_abstract)))
		return err;
	/* Last: the slot becomes valid only when every entry is in place. */
	cfg.flags |= WD_POL_VALID;
	return wd_enf_update(e->cg->maps.wd_policies, &c->policy_id, &cfg);
}

void wd_enforcer_unload_policy(struct wd_enforcer *e, const struct wd_compiled *c)
{
	struct wd_policy_cfg off = {0};

	if (c->policy_id >= WD_POLICIES_MAX)
		return;
	wd_enf_update(e->cg->maps.wd_policies, &c->policy_id, &off);
	for (size_t i = 0; i < c->n_net; i++)
		bpf_map__delete_elem(e->cg->maps.wd_net, &c->net[i].key, sizeof(c->net[i].key), 0);
	for (size_t i = 0; i < c->n_exact; i++)
		bpf_map__delete_elem(e->cg->maps.wd_file_exact, &c->exact[i].key,
				     sizeof(c->exact[i].key), 0);
	for (size_t i = 0; i < c->n_prefix; i++)
		bpf_map__delete_elem(e->cg->maps.wd_file_prefix, &c->prefix[i].key,
				     sizeof(c->prefix[i].key), 0);
	load_abstract(e, c->policy_id, NULL, 0);
	for (size_t i = 0; lsm_obj(e) && i < c->n_proc; i++)
		bpf_map__delete_elem(lsm_obj(e)->maps.wd_proc_name, &c->proc[i].key,
				     sizeof(c->proc[i].key), 0);
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
	err = wd_enf_update(e->cg->maps.wd_policies, &policy_id, &off);
	if (!err)
		err = clear_map(e->cg->maps.wd_net, offsetof(struct wd_net_key, policy_id),
				policy_id);
	if (!err)
		err = clear_map(e->cg->maps.wd_file_exact, offsetof(struct wd_path_key, policy_id),
				policy_id);
	if (!err)
		err = clear_map(e->cg->maps.wd_file_prefix,
				offsetof(struct wd_prefix_key, policy_id), policy_id);
	if (!err && lsm_obj(e))
		err = clear_map(lsm_obj(e)->maps.wd_file_inode,
				offsetof(struct wd_inode_key, policy_id), policy_id);
	if (!err && lsm_obj(e))
		err = clear_map(lsm_obj(e)->maps.wd_proc_name,
				offsetof(struct wd_proc_key, policy_id), policy_id);
	if (!err)
		err = load_abstract(e, policy_id, NULL, 0);
	return err;
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
	struct wd_sandbox sb = {.policy_id = policy_id}, cur;
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
	/* A switch to another policy keeps the seccomp mark: the processes keep their filter. */
	if (!bpf_map__lookup_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &cur, sizeof(cur),
				  0))
		sb.flags |= cur.flags & WD_SB_SECCOMP;
	return err ? err : wd_enf_update(e->cg->maps.wd_sandboxes, &cgid, &sb);
}

int wd_enforcer_del_sandbox(struct wd_enforcer *e, uint64_t cgid)
{
	int err =
		bpf_map__delete_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), 0) ? -errno : 0;

	bpf_map__delete_elem(e->cg->maps.wd_sb_lost, &cgid, sizeof(cgid), 0);
	return err;
}
