/* SPDX-License-Identifier: GPL-2.0 */
/* What warden's LSM and cgroup objects share: the maps both use (userspace creates them once and
 * hands the same fds to both objects), the sandbox lookup, network decisions and event emission. */
#ifndef WD_COMMON_H
#define WD_COMMON_H

#include "wd_bpf.h"
#include "warden/abi.h"

#define AF_UNIX	   1
#define AF_INET	   2
#define AF_INET6   10
#define AF_NETLINK 16

/* The cgroup levels (depths) sandbox cgroups are at: bit N set when some sandbox cgroup is at
 * level N (<cgroup2>/warden/sb-... is level 2; an adopted kubepods or systemd cgroup may be
 * deeper). Userspace sets a bit before it registers a sandbox at that level, never clears one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wd_levels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WD_SANDBOXES_MAX);
	__type(key, __u64); /* sandbox cgroup id */
	__type(value, struct wd_sandbox);
} wd_sandboxes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WD_POLICIES_MAX);
	__type(key, __u32);
	__type(value, struct wd_policy_cfg);
} wd_policies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct wd_net_key);
	__type(value, struct wd_net_rules);
} wd_net SEC(".maps");

/* One counter per rule id: how often each rule decided. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WD_RULES_MAX);
	__type(key, __u32);
	__type(value, __u64);
} wd_hits SEC(".maps");

/* 32 MiB: 320,000 of the cgroup hooks' short records, 55,000 full ones; at 2M events/s a
 * tenth of a second of a consumer held up (a VM's host, a page fault storm) before anything is
 * lost. A daemon that finds it pinned keeps the size it was created with. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20);
} wd_events SEC(".maps");

/* Reserve failures, per CPU: a full ring buffer is counted, never silent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wd_lost SEC(".maps");

/* Reserve failures per sandbox (keyed by its cgroup id) and per CPU. warden creates the entry
 * when it registers the sandbox and reads it before removing it, so no count is ever missed;
 * a failure in a sandbox without an entry is still in wd_lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, WD_SANDBOXES_MAX);
	__type(key, __u64);
	__type(value, __u64);
} wd_sb_lost SEC(".maps");

static __always_inline void wd_hit(__u32 rule_id)
{
	__u64 *n = bpf_map_lookup_elem(&wd_hits, &rule_id);

	if (n)
		*n += 1;
}

static __always_inline __u64 wd_level_mask(void)
{
	__u32 zero = 0;
	__u64 *m = bpf_map_lookup_elem(&wd_levels, &zero);

	return m ? *m : 0;
}

/* The sandbox a task belongs to through its cgroup: its shallowest ancestor that is a
 * sandbox, looked for only at the levels sandboxes are at. */
static __always_inline __u64 wd_cgroup_sandbox(struct wd_sandbox **sb)
{
	__u64 mask = wd_level_mask();

	*sb = NULL;
	if (!mask)
		return 0;
	for (int level = 1; level < WD_LEVELS_MAX; level++) {
		__u64 cgid;

		if (!(mask & (1ull << level)))
			continue;
		cgid = bpf_get_current_ancestor_cgroup_id(level);
		if (!cgid)
			return 0; /* the task's cgroup is shallower */
		*sb = bpf_map_lookup_elem(&wd_sandboxes, &cgid);
		if (*sb)
			return cgid;
	}
	return 0;
}

/* Fail closed: a sandbox whose policy slot is not valid gets an empty policy (deny all). */
static __always_inline struct wd_policy_cfg *wd_policy(__u32 policy_id)
{
	struct wd_policy_cfg *cfg = bpf_map_lookup_elem(&wd_policies, &policy_id);

	return cfg && (cfg->flags & WD_POL_VALID) ? cfg : NULL;
}

_Static_assert(__builtin_offsetof(struct wd_event, exe) == WD_EVENT_SHORT_SIZE,
	       "a short record ends where exe starts");

/* Reserves a record of @size bytes (sizeof(struct wd_event), or WD_EVENT_SHORT_SIZE: no exe or
 * path, which must then not be touched). */
static __always_inline struct wd_event *wd_event_reserve_n(__u16 type, __u64 cgid, __u64 size)
{
	struct wd_event *e = bpf_ringbuf_reserve(&wd_events, size, 0);
	__u32 zero = 0;

	if (!e) {
		__u64 *lost = bpf_map_lookup_elem(&wd_lost, &zero);

		if (lost)
			*lost += 1;
		lost = bpf_map_lookup_elem(&wd_sb_lost, &cgid);
		if (lost)
			*lost += 1;
		return NULL;
	}
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.type = type;
	e->hdr.size = size;
	e->hdr.ktime_ns = bpf_ktime_get_boot_ns();
	return e;
}

static __always_inline struct wd_event *wd_event_reserve(__u16 type, __u64 cgid)
{
	struct wd_event *e = wd_event_reserve_n(type, cgid, sizeof(*e));

	if (e) {
		e->exe[0] = '\0';
		e->path[0] = '\0';
	}
	return e;
}

/* Allowed actions are the bulk of events: they do not wake warden's reader each time (a wake-up
 * costs the acting task an interrupt); warden collects them on its short timer, or at once
 * when a denial wakes it or the buffer holds more than WD_WAKE_BYTES. Denials always wake. */
#define WD_WAKE_BYTES (256 << 10)

static __always_inline void wd_event_submit(struct wd_event *e)
{
	/* FORCE: the kernel's own choice wakes only a reader that had caught up, and one that
	 * left allowed events unread since would sleep through the denial. */
	__u64 flags = BPF_RB_FORCE_WAKEUP;

	if (e->decision == WD_DEC_ALLOW &&
	    bpf_ringbuf_query(&wd_events, BPF_RB_AVAIL_DATA) < WD_WAKE_BYTES)
		flags = BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* Fills what every event says of its decision; the task's fields are zero. */
static __always_inline void wd_event_decision(struct wd_event *e, __u64 cgid, __u32 policy_id,
					      __u32 rule_id, __u8 decision, __u16 hook)
{
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	e->cgroup_id = cgid;
	e->policy_id = policy_id;
	e->rule_id = rule_id;
	e->pid = 0;
	e->tid = 0;
	e->uid = 0;
	e->decision = decision;
	e->hook = hook;
	e->ppid = 0;
	e->op = 0;
	e->family = 0;
	e->proto = 0;
	e->port = 0;
	e->lost = 0;
}

/* Fills what every hook knows about the acting task. */
static __always_inline void wd_event_task(struct wd_event *e, __u64 cgid, __u32 policy_id,
					  __u32 rule_id, __u8 decision, __u16 hook)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	wd_event_decision(e, cgid, policy_id, rule_id, decision, hook);
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* Network verdict for one destination by the address rules alone: WD_V_DENY when a deny rule
 * matches, else WD_V_ALLOW when an allow rule does, else WD_V_NONE (the caller may still allow
 * the sandbox's own listeners; otherwise nothing allowed it). @addr is IPv6 or IPv4-mapped
 * IPv6, so connect6 to ::ffff:a.b.c.d meets the IPv4 rules. */
static __always_inline __u8 wd_net_decide(__u32 policy_id, const __u8 addr[16], __u16 port,
					  __u8 proto, __u32 *rule_id)
{
	struct wd_net_key key = {.prefixlen = 32 + 128, .policy_id = policy_id};
	struct wd_net_rules *rules;
	__u8 verdict = WD_V_NONE;
	__u32 allow_rule = WD_RULE_DEFAULT;

	__builtin_memcpy(key.addr, addr, 16);
	*rule_id = WD_RULE_DEFAULT;
	rules = bpf_map_lookup_elem(&wd_net, &key);
	if (!rules)
		return WD_V_NONE;
	for (__u32 i = 0; i < WD_NET_RULES_MAX; i++) {
		struct wd_port_rule *r = &rules->r[i];

		if (i >= rules->n)
			break;
		if (port < r->port_lo || port > r->port_hi)
			continue;
		if (r->proto != WD_PROTO_ANY && r->proto != proto)
			continue;
		if (r->verdict == WD_V_DENY) {
			*rule_id = r->rule_id;
			return WD_V_DENY;
		}
		if (r->verdict == WD_V_ALLOW && verdict == WD_V_NONE) {
			verdict = WD_V_ALLOW;
			allow_rule = r->rule_id;
		}
	}
	if (verdict == WD_V_ALLOW)
		*rule_id = allow_rule;
	return verdict;
}

static __always_inline bool wd_is_v4mapped(const __u8 a[16])
{
	return !a[0] && !a[1] && !a[2] && !a[3] && !a[4] && !a[5] && !a[6] && !a[7] && !a[8] &&
	       !a[9] && a[10] == 0xff && a[11] == 0xff;
}

static __always_inline void wd_v4mapped(__u8 a[16], __u32 ip4_be)
{
	__builtin_memset(a, 0, 10);
	a[10] = 0xff;
	a[11] = 0xff;
	__builtin_memcpy(a + 12, &ip4_be, 4);
}

/* 0.0.0.0 (as ::ffff:0.0.0.0) or ::. */
static __always_inline bool wd_is_unspecified(const __u8 a[16])
{
	for (int i = wd_is_v4mapped(a) ? 12 : 0; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

/* The unspecified address reaches this host, and the rules must meet where it really goes:
 * - 0.0.0.0 (or ::ffff:0.0.0.0): the socket's own source address when it has one (bound, or
 *   given by IP_PKTINFO / a v4-mapped IPV6_PKTINFO on a send), else 127.0.0.1;
 * - :: : ::1, except a connect from a socket bound to a v4-mapped address, which goes to
 *   127.0.0.1.
 * @src4: that IPv4 source (network order), 0 for none; @v4_bound: the socket is bound to a
 * v4-mapped address and this is a connect. */
static __always_inline void wd_normalize_any(__u8 a[16], __u32 src4, bool v4_bound)
{
	bool v4 = wd_is_v4mapped(a);

	if (!wd_is_unspecified(a))
		return;
	if (v4 && src4) {
		__builtin_memcpy(a + 12, &src4, 4);
	} else if (v4 || v4_bound) {
		wd_v4mapped(a, 0);
		a[12] = 127;
		a[15] = 1;
	} else {
		a[15] = 1;
	}
}

/* The destination of a network event. */
static __always_inline void wd_event_dest(struct wd_event *e, const __u8 addr[16], __u16 port,
					  __u8 proto)
{
	e->family = wd_is_v4mapped(addr) ? AF_INET : AF_INET6;
	e->proto = proto;
	e->port = port;
	__builtin_memcpy(e->addr, addr, 16);
}

/* Counts the rule, reports a connect or send decided as @verdict (WD_V_NONE: nothing allowed
 * it), and says whether to refuse. Audit mode reports the would-be denial and allows. */
static __always_inline bool wd_net_report(__u64 cgid, struct wd_sandbox *sb,
					  struct wd_policy_cfg *cfg, const __u8 addr[16],
					  __u16 port, __u8 proto, __u16 hook, __u8 verdict,
					  __u32 rule_id)
{
	bool audit = cfg && (cfg->flags & WD_POL_AUDIT);
	__u8 decision = verdict == WD_V_ALLOW ? WD_DEC_ALLOW
			: audit		      ? WD_DEC_AUDIT_DENY
					      : WD_DEC_DENY;
	struct wd_event *e;

	wd_hit(rule_id);
	e = wd_event_reserve_n(WD_EV_CONNECT, cgid, WD_EVENT_SHORT_SIZE);
	if (e) {
		wd_event_task(e, cgid, sb->policy_id, rule_id, decision, hook);
		wd_event_dest(e, addr, port, proto);
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY;
}

#endif
