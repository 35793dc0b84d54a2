/* SPDX-License-Identifier: GPL-2.0 */
/* Resolving a path in BPF the way the kernel's d_path() does, for the hooks where bpf_d_path is
 * not allowed (path_rename, path_unlink, path_mkdir, ... on 6.1: only hooks on the kernel's
 * sleepable list may call it). The walk goes from a dentry up to the task's root, crossing mount
 * points, under bpf_loop; its result is the same string bpf_d_path gives for the same path and
 * root (tests/host/test_path_walk.c compares them over a generated tree).
 *
 * The kernel takes rename_lock and mount_lock to read a consistent chain; BPF cannot. A rename
 * racing the walk can only move names between places the sandbox may already change (moving
 * anything in or out of a protected place is itself decided by these rules), and a sandbox
 * cannot mount. A walk that does not finish (too long, too deep, a failed read) is an error,
 * and the callers refuse the change (fail closed). */
#ifndef WD_PATH_H
#define WD_PATH_H

#include "wd_bpf.h"

#define WD_WALK_BUF   4096 /* bytes of a resolved path, NUL included: d_path's PATH_MAX */
#define WD_WALK_STEPS 4096 /* dentries and mount crossings: a 4095-byte path has at most 2047 */
#define WD_DNAME_MAX  255

#define ENAMETOOLONG 36
#define EFAULT	     14
#define ENOENT	     2

struct wd_walk_buf {
	/* The path is prepended from the end, as the kernel does; WD_DNAME_MAX + 1 bytes of slack
	 * let the verifier see that a name copy at any position in range stays inside. */
	char back[WD_WALK_BUF + WD_DNAME_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_walk_buf);
} wd_walk_map SEC(".maps");

struct wd_walk {
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	int pos; /* the path is back[pos .. WD_WALK_BUF - 1] */
	int err; /* 0, -ENAMETOOLONG, -EFAULT */
	bool done;
	bool escaped; /* the dentry is not below its mount's root (d_path then gives "/") */
	bool global;  /* reached the root of the mount tree, not the task's root */
};

static __always_inline struct mount *wd_real_mount(struct vfsmount *m)
{
	return (struct mount *)((void *)m - bpf_core_field_offset(struct mount, mnt));
}

/* d_unlinked(): not a root, and no longer hashed. */
static __always_inline bool wd_d_unlinked(struct dentry *d)
{
	return BPF_CORE_READ(d, d_parent) != d && !BPF_CORE_READ(d, d_hash.pprev);
}

static long wd_walk_step(__u32 i, struct wd_walk *w)
{
	struct wd_walk_buf *b;
	struct dentry *d = w->dentry, *parent;
	struct mount *m = w->mnt;
	const unsigned char *name;
	__u32 zero = 0, len;
	int pos;

	if (d == w->root_dentry && &m->mnt == w->root_mnt) {
		w->done = true;
		return 1;
	}
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		struct mount *parent_mnt = BPF_CORE_READ(m, mnt_parent);

		if (parent_mnt != m) {
			w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
			w->mnt = parent_mnt;
			return 0;
		}
		/* The root of the whole tree, outside the task's root (a chroot): d_path gives
		 * the path from there. */
		w->global = true;
		w->done = true;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d) {
		w->escaped = true;
		w->done = true;
		return 1;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	pos = w->pos - (int)len - 1;
	if (len > WD_DNAME_MAX || pos < 0) {
		w->err = -ENAMETOOLONG;
		return 1;
	}
	b = bpf_map_lookup_elem(&wd_walk_map, &zero);
	if (!b) {
		w->err = -EFAULT;
		return 1;
	}
	if (len && bpf_probe_read_kernel(&b->back[(pos + 1) & (WD_WALK_BUF - 1)],
					 len & WD_DNAME_MAX, name)) {
		w->err = -EFAULT;
		return 1;
	}
	b->back[pos & (WD_WALK_BUF - 1)] = '/';
	w->pos = pos;
	w->dentry = parent;
	return 0;
}

/* Resolves (@dentry on mount @vfsmnt) relative to the current task's root into @out (at least
 * WD_WALK_BUF bytes). Returns the length with the NUL, as bpf_d_path does, or -ENAMETOOLONG
 * (too long, or deeper than WD_WALK_STEPS), -EFAULT. @escaped, if given, is set when the dentry
 * was not below its mount's root: the result is then "/", as d_path's, and decides nothing. */
static __noinline long wd_path_walk(struct dentry *dentry, struct vfsmount *vfsmnt, char *out,
				    bool *escaped)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct wd_walk w = {};
	struct wd_walk_buf *b;
	__u32 zero = 0, start, len;
	int pos = WD_WALK_BUF - 1;

	if (escaped)
		*escaped = false;
	b = bpf_map_lookup_elem(&wd_walk_map, &zero);
	if (!b || !dentry || !vfsmnt || !out)
		return -EFAULT;
	b->back[WD_WALK_BUF - 1] = '\0';
	if (wd_d_unlinked(dentry)) {
		const char del[] = " (deleted)";

		pos -= sizeof(del) - 1;
		for (int i = 0; i < (int)sizeof(del) - 1; i++)
			b->back[(pos + i) & (WD_WALK_BUF - 1)] = del[i];
	}
	w.dentry = dentry;
	w.mnt = wd_real_mount(vfsmnt);
	w.root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	w.pos = pos;
	bpf_loop(WD_WALK_STEPS, wd_walk_step, &w, 0);
	if (w.err)
		return w.err;
	if (!w.done)
		return -ENAMETOOLONG;
	if (w.escaped) {
		/* d_path drops what it prepended and gives "/" (with the " (deleted)" tail). */
		w.pos = pos;
		if (escaped)
			*escaped = true;
	}
	if (w.pos == pos) {
		/* Nothing prepended: the root itself. */
		if (w.pos < 1)
			return -ENAMETOOLONG;
		w.pos -= 1;
		b->back[w.pos & (WD_WALK_BUF - 1)] = '/';
	}
	if (w.pos < 0 || w.pos > WD_WALK_BUF - 1)
		return -ENAMETOOLONG;
	start = (__u32)w.pos & (WD_WALK_BUF - 1);
	len = WD_WALK_BUF - start; /* 1 .. WD_WALK_BUF, NUL included */
	if (bpf_probe_read_kernel(out, len, &b->back[start]))
		return -EFAULT;
	return len;
}

#endif
