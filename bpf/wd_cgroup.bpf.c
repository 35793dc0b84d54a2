// SPDX-License-Identifier: GPL-2.0
/* Network enforcement through cgroup sock_addr hooks: the authoritative gate for connect (TCP
 * Fast Open included) and unconnected UDP sends, for every process in a sandbox cgroup and its
 * descendants, including which local listeners are the sandbox's own. Works on kernels without
 * BPF LSM. */
#include "wd_common.h"
#include "warden/glob.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* ---- Whose socket is it: the sandbox's own listeners -------------------------------------------
 * Every inet socket made by a process of a sandbox carries the sandbox's cgroup id (socket local
 * storage, set at socket(2) by wd_sock_owner below, attached with the other programs). "to:
 * sandbox" in a policy allows a connect or a datagram exactly when the socket the kernel would
 * deliver it to, found by the kernel's own lookup in the caller's network namespace, carries
 * the caller's sandbox: its own test server or database, never the node's credential agent or
 * resolver on the same loopback, nor another sandbox's server. Sockets made before the sandbox
 * existed, or outside it and passed in, carry nothing and are nobody's own. */
/* wd_sk.flags: the socket's last connect or send was allowed only because nothing listened
 * there on loopback; a packet of it that goes elsewhere (a NAT rule of the node rewrote it) is
 * no longer that, and needs an address rule. */
#define WD_SK_LOOPBACK_ONLY 0x1

struct wd_sk {
	__u64 owner; /* the sandbox cgroup id of the process that made the socket */
	__u32 flags; /* WD_SK_* */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wd_sk);
} wd_sk_owner SEC(".maps");

SEC("cgroup/sock_create")
int wd_sock_owner(struct bpf_sock *ctx)
{
	struct wd_sandbox *sb;
	__u64 cgid = wd_cgroup_sandbox(&sb);
	struct wd_sk *o;

	if (!cgid)
		return 1;
	o = bpf_sk_storage_get(&wd_sk_owner, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o)
		o->owner = cgid;
	return 1; /* tagging only: which sockets may be made is the LSM's socket_create */
}

/* A v4-mapped IPv6 address's IPv4 part (network order), or 0. */
static __always_inline __u32 mapped4(const __u32 w[4])
{
	return !w[0] && !w[1] && w[2] == bpf_htonl(0xffff) ? w[3] : 0;
}

/* The address of a sock_addr call as IPv6 or IPv4-mapped IPv6. */
static __always_inline void ctx_addr(struct bpf_sock_addr *ctx, bool v6, __u8 addr[16])
{
	if (v6) {
		__u32 w[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			      ctx->user_ip6[3]};

		__builtin_memcpy(addr, w, 16);
	} else {
		wd_v4mapped(addr, ctx->user_ip4);
	}
}

/* The unspecified destination @addr of a connect or send replaced by where it really goes
 * (wd_normalize_any). */
static __always_inline void normalize_dest(struct bpf_sock_addr *ctx, bool v6, bool send,
					   __u8 addr[16])
{
	struct bpf_sock *sk = ctx->sk;
	__u32 src4 = 0;
	bool v4_bound = false;

	/* The source a send names (IP_PKTINFO; on an IPv6 socket, a v4-mapped IPV6_PKTINFO,
	 * which a send to ::ffff:0.0.0.0 takes as its IPv4 source), else the bound one. */
	if (send && !v6) {
		src4 = ctx->msg_src_ip4;
	} else if (send) {
		__u32 m[4] = {ctx->msg_src_ip6[0], ctx->msg_src_ip6[1], ctx->msg_src_ip6[2],
			      ctx->msg_src_ip6[3]};

		src4 = mapped4(m);
	}
	if (!src4 && sk)
		src4 = sk->src_ip4;
	if (v6 && !send && sk) {
		__u32 b[4] = {sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3]};

		v4_bound = mapped4(b) != 0;
	}
	wd_normalize_any(addr, src4, v4_bound);
}

/* Who made the socket a connect or datagram to @addr:@port_be would reach: 1 and *@owner (0 for
 * nobody's) when a socket is there, 0 when none is (or the protocol has no such lookup). */
static __always_inline int listener_owner(struct bpf_sock_addr *ctx, const __u8 addr[16],
					  __u16 port_be, __u8 proto, __u64 *owner)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	struct wd_sk *o;
	__u32 len;

	if (wd_is_v4mapped(addr)) {
		__builtin_memcpy(&t.ipv4.daddr, addr + 12, 4);
		t.ipv4.dport = port_be;
		len = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.daddr, addr, 16);
		t.ipv6.dport = port_be;
		len = sizeof(t.ipv6);
	}
	if (proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	else if (proto == IPPROTO_UDP)
		sk = bpf_sk_lookup_udp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	else
		return 0;
	if (!sk)
		return 0;
	o = bpf_sk_storage_get(&wd_sk_owner, sk, 0, 0);
	*owner = o ? o->owner : 0;
	bpf_sk_release(sk);
	return 1;
}

/* ---- Connects and sends --------------------------------------------------------------------- */

static __always_inline bool is_loopback(const __u8 a[16])
{
	if (wd_is_v4mapped(a))
		return a[12] == 127;
	for (int i = 0; i < 15; i++)
		if (a[i])
			return false;
	return a[15] == 1;
}

/* Multicast (224.0.0.0/4, ff00::/8): delivered to every member, not to the one socket a lookup
 * finds. */
static __always_inline bool is_multicast(const __u8 a[16])
{
	return wd_is_v4mapped(a) ? (a[12] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* Refusing from a sock_addr program returns EPERM to the caller. The address rules decide
 * first (deny wins); what they leave open, "to: sandbox" allows when the receiving socket is
 * this sandbox's own, or when nothing is there on loopback (the kernel then answers as it
 * does, ECONNREFUSED, or drops the datagram; wd_egress checks again when the packet leaves).
 * The unspecified address is written back as the address decided on, so the kernel goes
 * exactly there. */
static __always_inline int decide(struct bpf_sock_addr *ctx, __u64 cgid, struct wd_sandbox *sb,
				  bool v6, bool send, __u16 hook)
{
	struct wd_policy_cfg *cfg = wd_policy(sb->policy_id);
	__u16 port_be = (__u16)ctx->user_port, port = bpf_ntohs(port_be);
	__u8 addr[16], proto = (__u8)ctx->protocol, verdict = WD_V_DENY;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u64 owner = 0;
	bool any, nothing = false;

	ctx_addr(ctx, v6, addr);
	any = wd_is_unspecified(addr);
	if (any)
		normalize_dest(ctx, v6, send, addr);
	if (any && v6) {
		__u32 w[4];

		__builtin_memcpy(w, addr, 16);
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	} else if (any) {
		__u32 a4;

		__builtin_memcpy(&a4, addr + 12, 4);
		ctx->user_ip4 = a4;
	}
	if (cfg) {
		verdict = wd_net_decide(sb->policy_id, addr, port, proto, &rule_id);
		/* The sandbox's own listeners are TCP and UDP ones, found by one lookup:
		 * multicast reaches every member, and other protocols have no lookup. */
		if (verdict == WD_V_NONE && cfg->sandbox_rule &&
		    (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && !is_multicast(addr)) {
			int found = listener_owner(ctx, addr, port_be, proto, &owner);

			if (found && owner == cgid) {
				verdict = WD_V_ALLOW;
				rule_id = cfg->sandbox_rule;
			} else if (!found && is_loopback(addr)) {
				verdict = WD_V_ALLOW;
				rule_id = cfg->sandbox_rule;
				nothing = true;
			}
		}
	}
	if (ctx->sk) {
		struct wd_sk *m = bpf_sk_storage_get(&wd_sk_owner, ctx->sk, 0, 0);

		if (m && nothing)
			m->flags |= WD_SK_LOOPBACK_ONLY;
		else if (m)
			m->flags &= ~WD_SK_LOOPBACK_ONLY;
	}
	return wd_net_report(cgid, sb, cfg, addr, port, proto, hook, verdict, rule_id) ? 0 : 1;
}

/* The sandbox a sock_addr call is decided for, or 0 and in *@answer what to return without
 * deciding. These programs are attached to sandbox cgroups: a socket that reaches them belongs
 * to a sandbox, so not finding it (a cgroup namespace hiding the real depth, say) refuses. The
 * @held versions are attached where cgroups the kernel holds may appear (below): they decide for
 * held sandboxes only, and leave everything else (other cgroups, sandboxes with programs of
 * their own once adopted) to the programs attached there, if any. */
static __always_inline __u64 find_sandbox(bool held, struct wd_sandbox **sb, int *answer)
{
	__u64 cgid = wd_cgroup_sandbox(sb);

	*answer = held ? 1 : 0;
	if (!cgid || (held && !((*sb)->flags & WD_SB_HELD)))
		return 0;
	return cgid;
}

static __always_inline int gate(struct bpf_sock_addr *ctx, bool v6, bool send, __u16 hook,
				bool held)
{
	struct wd_sandbox *sb;
	int answer;
	__u64 cgid = find_sandbox(held, &sb, &answer);

	return cgid ? decide(ctx, cgid, sb, v6, send, hook) : answer;
}

SEC("cgroup/connect4")
int wd_connect4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, false, WD_HOOK_CONNECT4, false);
}

SEC("cgroup/connect6")
int wd_connect6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, false, WD_HOOK_CONNECT6, false);
}

SEC("cgroup/sendmsg4")
int wd_sendmsg4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, true, WD_HOOK_SENDMSG4, false);
}

SEC("cgroup/sendmsg6")
int wd_sendmsg6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, true, WD_HOOK_SENDMSG6, false);
}

SEC("cgroup/connect4")
int wd_hold_connect4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, false, WD_HOOK_CONNECT4, true);
}

SEC("cgroup/connect6")
int wd_hold_connect6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, false, WD_HOOK_CONNECT6, true);
}

SEC("cgroup/sendmsg4")
int wd_hold_sendmsg4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, true, WD_HOOK_SENDMSG4, true);
}

SEC("cgroup/sendmsg6")
int wd_hold_sendmsg6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, true, WD_HOOK_SENDMSG6, true);
}

/* ---- Packets: the socket that really receives -----------------------------------------------
 * The connect and send hooks look up the receiving socket before the packet exists, with no
 * source address: a connected UDP socket is decided once and then sends on, to whatever binds
 * its peer's port later; a node service that starts between a check and its packet would take
 * it. So every UDP datagram and every TCP SYN a sandbox's socket sends is checked again as it
 * leaves, with the kernel's lookup on its real addresses and ports: reaching a socket on this
 * node that another owner made (the node, another sandbox) needs an address rule. Nothing found
 * (a remote peer, nothing listening) is left to the hooks above. */
#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* The sandbox of the socket a packet belongs to, from the socket's cgroup (softirq and timers
 * send too: the current task is not the sender). */
static __always_inline __u64 skb_sandbox(struct __sk_buff *skb, struct wd_sandbox **sb)
{
	__u64 mask = wd_level_mask();

	*sb = NULL;
	for (int level = 1; level < WD_LEVELS_MAX; level++) {
		__u64 cgid;

		if (!(mask & (1ull << level)))
			continue;
		cgid = bpf_skb_ancestor_cgroup_id(skb, level);
		if (!cgid)
			return 0;
		*sb = bpf_map_lookup_elem(&wd_sandboxes, &cgid);
		if (*sb)
			return cgid;
	}
	return 0;
}

struct pkt {
	struct bpf_sock_tuple t;
	__u32 len; /* of the tuple: IPv4 or IPv6 */
	__u8 daddr[16];
	__u16 dport;
	__u8 proto;
};

/* 1: a UDP datagram, a TCP SYN or a packet of another protocol (ping), parsed (the ports only
 * for TCP and UDP); 0: a packet of an established TCP connection (let through); -1: cannot
 * tell. */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *p, __u32 sk_proto)
{
	__u32 off;
	__u8 nexthdr;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return -1;
		nexthdr = ip.protocol;
		off = ip.ihl * 4;
		p->t.ipv4.saddr = ip.saddr;
		p->t.ipv4.daddr = ip.daddr;
		p->len = sizeof(p->t.ipv4);
		wd_v4mapped(p->daddr, ip.daddr);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return -1;
		nexthdr = ip6.nexthdr;
		off = sizeof(ip6);
		__builtin_memcpy(p->t.ipv6.saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->t.ipv6.daddr, &ip6.daddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
		p->len = sizeof(p->t.ipv6);
		/* Extension headers before TCP or UDP (hop-by-hop, destination options) are not
		 * walked: such a packet of a TCP or UDP socket cannot be told, so it is refused. */
		if (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_UDP &&
		    (sk_proto == IPPROTO_TCP || sk_proto == IPPROTO_UDP))
			return -1;
	} else {
		return -1; /* an IP socket's packet that is neither IPv4 nor IPv6 */
	}
	p->proto = nexthdr;
	if (nexthdr == IPPROTO_UDP) {
		struct udphdr uh;

		if (bpf_skb_load_bytes(skb, off, &uh, sizeof(uh)))
			return -1;
		p->dport = uh.dest;
		if (p->len == sizeof(p->t.ipv4)) {
			p->t.ipv4.sport = uh.source;
			p->t.ipv4.dport = uh.dest;
		} else {
			p->t.ipv6.sport = uh.source;
			p->t.ipv6.dport = uh.dest;
		}
		return 1;
	}
	if (nexthdr == IPPROTO_TCP) {
		__u8 th[14];

		if (bpf_skb_load_bytes(skb, off, th, sizeof(th)))
			return -1;
		if (!(th[13] & TCP_FLAG_SYN) || (th[13] & TCP_FLAG_ACK))
			return 0; /* not a new connection */
		__builtin_memcpy(&p->dport, th + 2, 2);
		if (p->len == sizeof(p->t.ipv4)) {
			__builtin_memcpy(&p->t.ipv4.sport, th, 2);
			p->t.ipv4.dport = p->dport;
		} else {
			__builtin_memcpy(&p->t.ipv6.sport, th, 2);
			p->t.ipv6.dport = p->dport;
		}
		return 1;
	}
	return 1; /* another protocol: the address alone */
}

static __always_inline int egress(struct __sk_buff *skb, bool held_only)
{
	struct wd_policy_cfg *cfg;
	struct wd_sandbox *sb;
	struct bpf_sock *sk, *own;
	struct wd_sk *o, *mine;
	struct pkt p = {};
	__u32 rule_id = WD_RULE_DEFAULT;
	__u64 cgid, owner;
	struct wd_event *e;
	__u8 verdict, decision;
	int r;

	/* The packet first: most are of established TCP connections, let through without
	 * looking for the sandbox. */
	own = skb->sk;
	if (own)
		own = bpf_sk_fullsock(own);
	if (!own)
		return 1; /* the kernel's answers on a connection's behalf (a listener's SYN-ACK) */
	r = parse(skb, &p, own->protocol);
	if (r == 0)
		return 1;
	cgid = skb_sandbox(skb, &sb);
	if (!cgid)
		return held_only ? 1 : 0;
	if (held_only && !(sb->flags & WD_SB_HELD))
		return 1;
	cfg = wd_policy(sb->policy_id);
	/* TCP and UDP to one socket: the socket the kernel finds decides, as the connect and
	 * send hooks did. Multicast reaches every member and other protocols (ping, anything a
	 * socket family lets through) have no such lookup: the address rules alone. */
	if (r > 0 && (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP) && !is_multicast(p.daddr)) {
		/* Constant sizes: the verifier wants to see the tuple's length. */
		bool v4 = p.len == sizeof(p.t.ipv4);

		if (p.proto == IPPROTO_TCP && v4)
			sk = bpf_sk_lookup_tcp(skb, &p.t, sizeof(p.t.ipv4), BPF_F_CURRENT_NETNS, 0);
		else if (p.proto == IPPROTO_TCP)
			sk = bpf_sk_lookup_tcp(skb, &p.t, sizeof(p.t.ipv6), BPF_F_CURRENT_NETNS, 0);
		else if (v4)
			sk = bpf_sk_lookup_udp(skb, &p.t, sizeof(p.t.ipv4), BPF_F_CURRENT_NETNS, 0);
		else
			sk = bpf_sk_lookup_udp(skb, &p.t, sizeof(p.t.ipv6), BPF_F_CURRENT_NETNS, 0);
		if (!sk) {
			/* Nothing here: a remote peer the hooks decided on, or loopback where
			 * nothing listens; but not a packet that a NAT rule of the node took
			 * from such a loopback destination to another one. */
			mine = bpf_sk_storage_get(&wd_sk_owner, own, 0, 0);
			if (!(mine && (mine->flags & WD_SK_LOOPBACK_ONLY)) || is_loopback(p.daddr))
				return 1;
		} else {
			o = bpf_sk_storage_get(&wd_sk_owner, sk, 0, 0);
			owner = o ? o->owner : 0;
			bpf_sk_release(sk);
			if (owner == cgid)
				return 1;
		}
	}
	/* Another owner's socket, a rewritten destination, or a packet that cannot be told: only
	 * an address rule lets it through. */
	verdict = cfg && r > 0 ? wd_net_decide(sb->policy_id, p.daddr, bpf_ntohs(p.dport), p.proto,
					       &rule_id)
			       : WD_V_DENY;
	if (verdict == WD_V_ALLOW)
		return 1; /* the connect or send hook reported it */
	decision = cfg && (cfg->flags & WD_POL_AUDIT) ? WD_DEC_AUDIT_DENY : WD_DEC_DENY;
	wd_hit(rule_id);
	/* Reported without a process (the kernel may send from any context) but with the
	 * socket's owner uid. */
	e = wd_event_reserve_n(WD_EV_CONNECT, cgid, WD_EVENT_SHORT_SIZE);
	if (e) {
		wd_event_decision(e, cgid, sb->policy_id, rule_id, decision, WD_HOOK_EGRESS);
		e->uid = bpf_get_socket_uid(skb);
		wd_event_dest(e, p.daddr, bpf_ntohs(p.dport), p.proto);
		wd_event_submit(e);
	}
	/* A dropped datagram's sender gets EPERM. A dropped SYN's connect(2) waits out the
	 * kernel's SYN retries (ETIMEDOUT): TCP passes no other error of a SYN's transmission
	 * back, and 6.1 lets no cgroup_skb program choose the error. Only a node's NAT rule or a
	 * race brings a SYN here that the connect hook let through. */
	return decision == WD_DEC_DENY ? 0 : 1;
}

SEC("cgroup_skb/egress")
int wd_egress(struct __sk_buff *skb)
{
	return egress(skb, false);
}

SEC("cgroup_skb/egress")
int wd_hold_egress(struct __sk_buff *skb)
{
	return egress(skb, true);
}

/* ---- Binds: no joining another owner's port ---------------------------------------------------
 * SO_REUSEPORT lets a second socket of the same user bind a port a listener holds and take a
 * share of its connections; with SO_REUSEADDR two UDP sockets share a port. A sandbox's root
 * joining the node's credential agent that way would receive some of its clients and, worse,
 * make its own connects look like ones to "its own" listener. So a sandbox may bind a port
 * only where no socket of another owner (the node, another sandbox) is found: confinement, in
 * audit mode too. The port is busy anyway when the other socket does not share it. */
static __always_inline int bind_decide(struct bpf_sock_addr *ctx, __u64 cgid, struct wd_sandbox *sb,
				       bool v6, __u16 hook)
{
	__u16 port_be = (__u16)ctx->user_port;
	__u8 addr[16], proto = (__u8)ctx->protocol;
	__u64 owner = 0;
	struct wd_event *e;

	if (!port_be)
		return 1; /* the kernel picks a free port */
	ctx_addr(ctx, v6, addr);
	if (!listener_owner(ctx, addr, port_be, proto, &owner) || owner == cgid)
		return 1;
	wd_hit(WD_RULE_DEFAULT);
	e = wd_event_reserve_n(WD_EV_CONFINE, cgid, WD_EVENT_SHORT_SIZE);
	if (e) {
		wd_event_task(e, cgid, sb->policy_id, WD_RULE_DEFAULT, WD_DEC_DENY, hook);
		wd_event_dest(e, addr, bpf_ntohs(port_be), proto);
		wd_event_submit(e);
	}
	return 0;
}

static __always_inline int bind_gate(struct bpf_sock_addr *ctx, bool v6, __u16 hook, bool held)
{
	struct wd_sandbox *sb;
	int answer;
	__u64 cgid = find_sandbox(held, &sb, &answer);

	return cgid ? bind_decide(ctx, cgid, sb, v6, hook) : answer;
}

SEC("cgroup/bind4")
int wd_bind4(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, false, WD_HOOK_BIND4, false);
}

SEC("cgroup/bind6")
int wd_bind6(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, true, WD_HOOK_BIND6, false);
}

SEC("cgroup/bind4")
int wd_hold_bind4(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, false, WD_HOOK_BIND4, true);
}

SEC("cgroup/bind6")
int wd_hold_bind6(struct bpf_sock_addr *ctx)
{
	return bind_gate(ctx, true, WD_HOOK_BIND6, true);
}

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
