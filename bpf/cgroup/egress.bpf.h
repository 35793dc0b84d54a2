/* SPDX-License-Identifier: GPL-2.0 */
/* Egress: every UDP datagram and TCP SYN a sandbox's socket sends, checked again as it leaves
 * with its real addresses: the connect and send hooks decide before the packet exists, and a
 * service that binds the port in between would take it. Part of wd_cgroup.bpf.c, which includes it
 * after the socket owner tag and its map.
 *
 *   cgroup_skb/egress  wd_egress and its wd_hold_egress twin (held sandboxes only)
 */

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
