/* SPDX-License-Identifier: GPL-2.0 */
/* The policy's path rules and abstract socket names, and their lookups, shared by both objects:
 * the LSM object decides files, exec, xattrs and unix sockets with them (bpf/lsm/
 * file_rules.bpf.h), the cgroup object unix sockets by the path a connect or send names
 * (bpf/cgroup/unix.bpf.h, where BPF LSM is missing). Userspace creates the maps once, with the
 * cgroup object, and hands the same fds to the LSM object. */
#ifndef WD_RULES_H
#define WD_RULES_H

#include "wd_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct wd_path_key);
	__type(value, struct wd_file_rule);
} wd_file_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct wd_prefix_key);
	__type(value, struct wd_file_rule);
} wd_file_prefix SEC(".maps");

/* Deny wins over allow, allow over nothing; the rule that set the verdict is kept. */
static __always_inline void fold(struct wd_file_rule *r, __u32 op, __u8 *v, __u32 *rule_id)
{
	__u8 rv;

	if (!r || op >= WD_OP_NR)
		return;
	rv = r->verdict[op];
	if (rv == WD_V_DENY && *v != WD_V_DENY) {
		*v = WD_V_DENY;
		*rule_id = r->rule_id[op];
	} else if (rv == WD_V_ALLOW && *v == WD_V_NONE) {
		*v = WD_V_ALLOW;
		*rule_id = r->rule_id[op];
	}
}

/* The exact rule for the path @path (NUL-terminated, at most WD_PATH_MAX bytes), built in @k
 * (in a map value: keys are too big for the stack). */
static __always_inline struct wd_file_rule *wd_exact_rule(struct wd_path_key *k, __u32 policy_id,
							  const char *path)
{
	__builtin_memset(k->path, 0, sizeof(k->path));
	k->policy_id = policy_id;
	bpf_probe_read_kernel_str(k->path, sizeof(k->path), path);
	return bpf_map_lookup_elem(&wd_file_exact, k);
}

/* The prefix rule for the path @path, built in @k. @as_dir: read it as a directory, which
 * meets its own prefix rule ("/home/u/.ssh" meets "/home/u/.ssh/"), unless it is "/" or fills
 * the key. */
static __always_inline struct wd_file_rule *wd_prefix_rule(struct wd_prefix_key *k, __u32 policy_id,
							   const char *path, bool as_dir)
{
	__u32 at;
	long n;

	__builtin_memset(k->path, 0, sizeof(k->path));
	k->policy_id = policy_id;
	n = bpf_probe_read_kernel_str(k->path, sizeof(k->path), path);
	if (n <= 0 || n > WD_PREFIX_MAX)
		return NULL;
	/* Characters without the NUL, masked so the verifier sees the bound (252 is no power of
	 * 2; n is at most 252 anyway). */
	at = (__u32)(n - 1) & 0xff;
	if (as_dir && at > 1 && at < WD_PREFIX_MAX - 1)
		k->path[at++] = '/';
	k->prefixlen = 32 + 8 * at;
	return bpf_map_lookup_elem(&wd_file_prefix, k);
}

/* ---- Abstract unix sockets by name ("abstract:" rules) ---- */

struct wd_abs_match {
	const char *name; /* the socket's name, in scratch */
	__u32 len;
	__u32 base; /* policy_id * WD_ABSTRACT_MAX */
	__u8 verdict;
	__u32 rule_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WD_POLICIES_MAX *WD_ABSTRACT_MAX);
	__type(key, __u32);
	__type(value, struct wd_abstract_rule);
} wd_unix_abstract SEC(".maps");

static long abs_rule_cb(__u64 i, void *arg)
{
	struct wd_abs_match *m = arg;
	__u32 key = m->base + (__u32)i;
	struct wd_abstract_rule *r = bpf_map_lookup_elem(&wd_unix_abstract, &key);
	__u32 n;

	if (!r || r->verdict == WD_V_NONE)
		return 1; /* the end of the policy's list */
	n = r->len;
	if (n > WD_ABSTRACT_NAME_MAX || (r->prefix ? m->len < n : m->len != n))
		return 0;
	for (__u32 j = 0; j < WD_ABSTRACT_NAME_MAX; j++) {
		if (j >= n)
			break;
		if (r->name[j] != m->name[j])
			return 0;
	}
	if (r->verdict == WD_V_DENY) {
		m->verdict = WD_V_DENY;
		m->rule_id = r->rule_id;
		return 1;
	}
	if (m->verdict == WD_V_NONE) {
		m->verdict = WD_V_ALLOW;
		m->rule_id = r->rule_id;
	}
	return 0;
}

/* The verdict of the "abstract:" rules of @policy_id on the name @name (@len bytes, without the
 * leading NUL; in a map value or kernel memory): deny wins, WD_V_NONE when no rule names it. */
static __always_inline __u8 wd_abstract_rules(__u32 policy_id, const char *name, __u32 len,
					      __u32 *rule_id)
{
	struct wd_abs_match m = {.base = policy_id * WD_ABSTRACT_MAX, .name = name, .len = len};

	*rule_id = WD_RULE_DEFAULT;
	if (policy_id >= WD_POLICIES_MAX)
		return WD_V_NONE;
	bpf_loop(WD_ABSTRACT_MAX, abs_rule_cb, &m, 0);
	*rule_id = m.rule_id;
	return m.verdict;
}

#endif
