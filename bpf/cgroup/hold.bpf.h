/* SPDX-License-Identifier: GPL-2.0 */
/* Holding new cgroups that adoption rules match: a sandbox from the instant the cgroup exists,
 * before the daemon adopts it. Part of wd_cgroup.bpf.c, which includes it.
 *
 *   raw_tp/cgroup_mkdir  a new cgroup an adoption rule's pattern matches becomes a held sandbox
 *   raw_tp/cgroup_rmdir  a held cgroup removed before its adoption is forgotten
 */

/* ---- Holding new cgroups that adoption rules match -------------------------------------------
 * A cgroup others make (a runner's job, a pod's container) and an adoption rule matches is a
 * sandbox from the instant it exists: the cgroup_mkdir tracepoint runs before the directory is
 * visible to anyone (kernfs_activate() comes after it), so no process can be moved in first.
 * The daemon adopts it moments later (identity, state, events); until then the kernel enforces
 * the rule's policy (a slot the daemon compiled for the rule; slot 0, deny all, when the rule
 * names none). A held cgroup removed before the daemon adopted it is forgotten here. */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * WD_ADOPT_MAX);
	__type(key, __u32); /* bank * WD_ADOPT_MAX + the rule's index */
	__type(value, struct wd_adopt_pat);
} wd_adopt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* the bank in force: 0 or 1 */
} wd_adopt_bank SEC(".maps");

/* Matching cgroups the kernel could not hold (wd_sandboxes full), per CPU: the daemon reports
 * them; they are adopted, with a window, as before the hold. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wd_hold_fail SEC(".maps");

/* The path, and the matcher's state: in a map value, not on the stack, so that the verifier
 * sees unknown positions in the callback and checks it once, not step by step. */
struct wd_cg_path {
	char s[WD_CG_PATH_MAX];
	struct wd_glob g;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_cg_path);
} wd_cg_scratch SEC(".maps");

struct glob_ctx {
	struct wd_cg_path *buf;
	const char *pat;
};

static long glob_cb(__u64 i, void *arg)
{
	struct glob_ctx *c = arg;

	return wd_glob_step(&c->buf->g, c->pat, c->buf->s) ? 1 : 0;
}

/* cgroup v2 is hierarchy 0 ("0::/path" in /proc/PID/cgroup); v1 hierarchies have ids of their
 * own and ids of their cgroups may repeat v2's. */
static __always_inline bool on_v2(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == 0;
}

SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(wd_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	__u32 zero = 0, level = (__u32)BPF_CORE_READ(cgrp, level);
	struct wd_cg_path *buf = bpf_map_lookup_elem(&wd_cg_scratch, &zero);
	__u32 *bankp = bpf_map_lookup_elem(&wd_adopt_bank, &zero);
	__u32 base;
	__u64 cgid;

	if (!buf || !bankp || !on_v2(cgrp) || level == 0 || level >= WD_LEVELS_MAX)
		return 0;
	base = (*bankp & 1) * WD_ADOPT_MAX;
	if (bpf_probe_read_kernel_str(buf->s, sizeof(buf->s), path) <= 0)
		return 0;
	cgid = BPF_CORE_READ(cgrp, kn, id);
	/* Unrolled: the verifier does not follow a counter kept on the stack (it is the lookup's
	 * key) through bpf_loop() and would see the same state twice. */
#pragma unroll
	for (__u32 i = 0; i < WD_ADOPT_MAX; i++) {
		__u32 key = base + i;
		struct wd_adopt_pat *p = bpf_map_lookup_elem(&wd_adopt, &key);
		struct glob_ctx c = {.buf = buf, .pat = p ? p->pat : NULL};
		struct wd_sandbox sb = {.flags = WD_SB_HELD};
		__u64 *mask, *fail;
		long err;

		if (!p || p->level != level)
			continue;
		wd_glob_init(&buf->g);
		bpf_loop(WD_GLOB_STEPS_MAX, glob_cb, &c, 0);
		if (buf->g.result != 1)
			continue;
		/* The level first: a sandbox the kernel would not look for is no sandbox. */
		mask = bpf_map_lookup_elem(&wd_levels, &zero);
		if (mask)
			__sync_fetch_and_or(mask, 1ull << level);
		sb.policy_id = p->policy_id;
		err = bpf_map_update_elem(&wd_sandboxes, &cgid, &sb, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			fail = bpf_map_lookup_elem(&wd_hold_fail, &zero);
			if (fail)
				*fail += 1;
		}
		return 0;
	}
	return 0;
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(wd_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 cgid = BPF_CORE_READ(cgrp, kn, id);
	struct wd_sandbox *sb;

	if (!on_v2(cgrp))
		return 0;
	sb = bpf_map_lookup_elem(&wd_sandboxes, &cgid);
	if (sb && (sb->flags & WD_SB_HELD)) {
		bpf_map_delete_elem(&wd_sandboxes, &cgid);
		bpf_map_delete_elem(&wd_sb_lost, &cgid); /* one a revoked adoption left */
	}
	return 0;
}
