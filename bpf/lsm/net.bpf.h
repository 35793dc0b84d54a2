/* SPDX-License-Identifier: GPL-2.0 */
/* Sockets: which families and protocols a sandbox may open, where sockets made outside it and
 * passed in may connect or send (inet sockets made inside are decided by the cgroup hooks,
 * bpf/wd_cgroup.bpf.c), and which unix sockets it may reach. Part of wd_lsm.bpf.c, which includes
 * it after the maps and the context it uses.
 *
 *   lsm/socket_create        families, raw sockets and IP protocols are policy
 *   lsm/socket_connect       a socket from outside: the address rules on the kernel's copy
 *   lsm/socket_sendmsg       the same for sends with a destination; no source routing
 *   lsm/socket_setsockopt    no IP options, IPv6 routing headers or SO_BROADCAST
 *   lsm/unix_stream_connect  unix sockets by path or abstract name: a connect never opens
 *                            the socket's file, so file_open does not see it
 *   lsm/unix_may_send        datagrams to unix sockets, the same way
 */

#define SOCK_TYPE_MASK 0xf
#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_PACKET    10
#define IPPROTO_ICMP   1
#define IPPROTO_TCP    6
#define IPPROTO_UDP    17
#define IPPROTO_ICMPV6 58
#define IPPROTO_SCTP   132
#define IPPROTO_MPTCP  262
#define SOL_IP	       0
#define SOL_SOCKET     1
#define SO_BROADCAST   6
#define SOL_IPV6       41
#define IP_OPTIONS     4
#define IP_RETOPTS     7
#define IPV6_2292RTHDR 5
#define IPV6_RTHDR     57

/* Raw and packet sockets see and forge traffic below the IP hooks: families and raw access
 * are policy. */
SEC("lsm/socket_create")
int BPF_PROG(wd_sock_create, int family, int type, int protocol, int kern, int ret)
{
	struct wd_event *e;
	struct wd_ctx c;
	__u8 decision;
	bool ok = false;
	int t = type & SOCK_TYPE_MASK;

	if (ret)
		return ret;
	if (kern || !wd_current(&c))
		return 0;
	if (c.cfg && family >= 0 && family < 64) {
		ok = c.cfg->families & (1ULL << family);
		/* Netlink sockets are raw or datagram by nature (getifaddrs() opens a raw one);
		 * raw is about seeing and forging packets below the IP hooks. */
		if (ok && (t == SOCK_RAW || t == SOCK_PACKET) && family != AF_NETLINK)
			ok = c.cfg->raw_families & (1ULL << family);
		/* Of the IP protocols, TCP, UDP and ping sockets: the ones every network hook
		 * knows. SCTP connectx and MPTCP's kernel-made subflows reach addresses that
		 * neither the connect hooks nor socket_connect see; UDP-Lite, DCCP and L2TP/IP
		 * have no lookup of their own listeners, and some no connect or send hook. */
		if (ok && (family == AF_INET || family == AF_INET6) && t != SOCK_RAW &&
		    t != SOCK_PACKET)
			ok = (t == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) ||
			     (t == SOCK_DGRAM &&
			      (protocol == 0 || protocol == IPPROTO_UDP ||
			       (family == AF_INET && protocol == IPPROTO_ICMP) ||
			       (family == AF_INET6 && protocol == IPPROTO_ICMPV6)));
	}
	decision = to_decision(&c, ok ? WD_V_ALLOW : WD_V_DENY);
	if (decision == WD_DEC_ALLOW)
		return 0;
	wd_hit(WD_RULE_DEFAULT);
	e = wd_event_reserve(WD_EV_SOCKET, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, wd_policy_id(&c), WD_RULE_DEFAULT, decision,
			      WD_HOOK_SOCK_CREATE);
		event_exe(e, &c);
		e->family = family;
		e->proto = t;
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

/* The kernel's copy of a destination address, as IPv6 or IPv4-mapped: 1 when there is one, 0
 * when the socket is not an IP socket, -1 when it is one but the address cannot be decided. */
static __always_inline int sockaddr_dest(struct socket *sock, struct sockaddr *sa, __u8 addr[16],
					 __u16 *port)
{
	__u16 sk_family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
	__u16 family = BPF_CORE_READ(sa, sa_family);

	if (sk_family != AF_INET && sk_family != AF_INET6)
		return 0;
	/* udp_sendmsg reads an AF_UNSPEC address as an IPv4 one. */
	if (family == 0 && sk_family == AF_INET)
		family = AF_INET;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		wd_v4mapped(addr, BPF_CORE_READ(in, sin_addr.s_addr));
		*port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
		return 1;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		bpf_probe_read_kernel(addr, 16, &in6->sin6_addr);
		*port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
		return 1;
	}
	/* An IPv6 socket treats AF_UNSPEC as "no address": the connected peer, checked at connect.
	 */
	if (family == 0)
		return 0;
	return -1;
}

/* Whether @sk was made in the current task's sandbox (its cgroup, set when it was made, lies
 * in the sandbox): such an inet socket is governed by the sandbox's cgroup hooks, and a unix
 * socket of the sandbox is one of its own services. */
static __always_inline bool sock_is_own(struct wd_ctx *c, struct sock *sk)
{
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);

	return cg && cgroup_sandbox(cg) == c->cgid;
}

/* Inet sockets made in the sandbox are decided by its cgroup hooks (bpf/wd_cgroup.bpf.c), which
 * alone can tell the sandbox's own listeners from the node's; these LSM hooks decide on the
 * acting task for sockets made elsewhere and passed in, by the address rules alone ("to:
 * sandbox" cannot be established here, so loopback is refused unless a rule names it). They
 * report only what they refuse. */
static __always_inline int sock_gate(struct socket *sock, struct sockaddr *sa, __u16 hook)
{
	__u32 rule_id = WD_RULE_DEFAULT, src4 = 0;
	struct wd_event *e;
	struct wd_ctx c;
	__u16 port = 0;
	__u8 addr[16] = {}, proto, verdict = WD_V_DENY, decision;
	int have;

	if (!sa || !wd_current(&c))
		return 0;
	have = sockaddr_dest(sock, sa, addr, &port);
	if (have == 0)
		return 0;
	proto = BPF_CORE_READ(sock, sk, sk_protocol);
	/* The cgroup hooks decide TCP and UDP; ping's sends do not all pass them. */
	if (have > 0 && c.cfg && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    sock_is_own(&c, BPF_CORE_READ(sock, sk)))
		return 0;
	if (have > 0 && c.cfg) {
		struct in6_addr b6 = BPF_CORE_READ(sock, sk, __sk_common.skc_v6_rcv_saddr);
		bool v4_bound = !b6.in6_u.u6_addr32[0] && !b6.in6_u.u6_addr32[1] &&
				b6.in6_u.u6_addr32[2] == bpf_htonl(0xffff);

		bool any = wd_is_unspecified(addr);

		src4 = BPF_CORE_READ(sock, sk, __sk_common.skc_rcv_saddr);
		wd_normalize_any(addr, src4, v4_bound && hook == WD_HOOK_SOCK_CONNECT);
		verdict = wd_net_decide(c.sb->policy_id, addr, port, proto, &rule_id);
		/* A send's IP_PKTINFO source, which the unspecified address would go to, is not
		 * seen here: such a send on a socket from outside is refused. */
		if (any && hook == WD_HOOK_SOCK_SENDMSG)
			verdict = WD_V_DENY, rule_id = WD_RULE_DEFAULT;
	}
	decision = to_decision(&c, verdict);
	if (decision == WD_DEC_ALLOW)
		return 0;
	wd_hit(rule_id);
	e = wd_event_reserve(WD_EV_CONNECT, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, wd_policy_id(&c), rule_id, decision, hook);
		event_exe(e, &c);
		wd_event_dest(e, addr, port, proto);
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

/* ---- Unix sockets: by path, by abstract name, or the sandbox's own ---------------------------
 * A connect or datagram to a unix socket never opens the socket's file, so file_open does not
 * see it: these hooks decide on the receiving socket the kernel found. A socket bound to a path
 * meets the policy's "unix:" rules on the path it is bound at (resolved from its dentry and
 * mount, as the caller sees it, and by device and inode for the protected ones); an abstract
 * one meets the "abstract:" rules on its name. Deny wins; what no rule speaks of is allowed
 * only when the socket was made in this sandbox and the policy says "to: sandbox". */

/* The rules' verdict on the unix socket @other; its name for the event goes to s->buf. */
static __always_inline __u8 unix_rules(struct wd_ctx *c, struct unix_sock *u, __u32 *rule_id,
				       struct wd_scratch **sp)
{
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
	__u32 policy_id = wd_policy_id(c);
	struct wd_file_facts f;
	struct wd_scratch *s;
	bool escaped = false;
	__u8 v = WD_V_NONE;

	*rule_id = WD_RULE_DEFAULT;
	if (dentry) {
		s = walk_facts(dentry, BPF_CORE_READ(u, path.mnt), false, policy_id, &f, &escaped);
		*sp = s;
		if (!s)
			return WD_V_DENY;
		if (f.len <= 0 || escaped) {
			/* Not resolvable as the caller sees it: only the inode can speak. */
			f.exact = NULL;
			f.prefix = NULL;
			s->buf[0] = '\0';
		}
		fold(f.inode, WD_OP_UNIX, &v, rule_id);
		fold(f.exact, WD_OP_UNIX, &v, rule_id);
		fold(f.prefix, WD_OP_UNIX, &v, rule_id);
		/* A socket file the files rules deny reading or writing is refused too. */
		if (v != WD_V_DENY) {
			__u32 id = WD_RULE_DEFAULT;

			if (decide_op(&f, WD_OP_READ, &id) == WD_V_DENY && id != WD_RULE_DEFAULT)
				v = WD_V_DENY, *rule_id = id;
			else if (decide_op(&f, WD_OP_WRITE, &id) == WD_V_DENY &&
				 id != WD_RULE_DEFAULT)
				v = WD_V_DENY, *rule_id = id;
		}
		return v;
	}
	/* Abstract: sun_path starts with a NUL; the name is what follows, len bytes in all with
	 * the family. */
	{
		struct unix_address *addr = BPF_CORE_READ(u, addr);
		__u32 zero = 0;
		int len;

		s = bpf_map_lookup_elem(&wd_scratch_map, &zero);
		*sp = s;
		if (!s)
			return WD_V_DENY;
		s->buf[0] = '\0';
		if (!addr)
			return WD_V_NONE; /* unnamed (a socketpair's peer): reached through an fd */
		len = BPF_CORE_READ(addr, len) - (int)sizeof(__u16) - 1;
		if (len <= 0 || len > WD_ABSTRACT_NAME_MAX)
			return WD_V_NONE;
		s->buf[0] = '@';
		bpf_probe_read_kernel(s->buf + 1, len & 0x7f, (char *)&addr->name[0].sun_path[1]);
		s->buf[1 + (len & 0x7f)] = '\0';
		return wd_abstract_rules(policy_id, s->buf + 1, len, rule_id);
	}
}

static __always_inline int unix_gate(struct sock *other, __u16 hook)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct wd_scratch *s = NULL;
	struct wd_event *e;
	struct wd_ctx c;
	__u32 rule_id = WD_RULE_DEFAULT;
	__u8 v = WD_V_DENY, decision;

	if (!other || !wd_current(&c))
		return 0;
	if (c.cfg) {
		v = unix_rules(&c, u, &rule_id, &s);
		if (v == WD_V_NONE && !BPF_CORE_READ(u, path.dentry) && !BPF_CORE_READ(u, addr))
			return 0; /* no name: not a service anyone can look up */
		if (v == WD_V_NONE && c.cfg->sandbox_rule && sock_is_own(&c, other)) {
			v = WD_V_ALLOW;
			rule_id = c.cfg->sandbox_rule;
		}
	}
	decision = to_decision(&c, v);
	if (decision == WD_DEC_ALLOW)
		return 0;
	wd_hit(rule_id);
	e = wd_event_reserve(WD_EV_CONNECT, c.cgid);
	if (e) {
		wd_event_task(e, c.cgid, wd_policy_id(&c), rule_id, decision, hook);
		event_exe(e, &c);
		e->family = AF_UNIX;
		if (s && s->buf[0])
			bpf_probe_read_kernel_str(e->path, sizeof(e->path), s->buf);
		else
			bpf_probe_read_kernel_str(
				e->path, sizeof(e->path),
				BPF_CORE_READ(u, path.dentry, d_name.name)); /* at least its name */
		wd_event_submit(e);
	}
	return decision == WD_DEC_DENY ? -EPERM : 0;
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(wd_unix_connect, struct sock *sock, struct sock *other, struct sock *newsk, int ret)
{
	if (ret)
		return ret;
	return unix_gate(other, WD_HOOK_UNIX_CONNECT);
}

/* Datagrams to a protected unix socket. */
SEC("lsm/unix_may_send")
int BPF_PROG(wd_unix_send, struct socket *sock, struct socket *other, int ret)
{
	if (ret)
		return ret;
	return unix_gate(BPF_CORE_READ(other, sk), WD_HOOK_UNIX_SEND);
}

SEC("lsm/socket_connect")
int BPF_PROG(wd_sock_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return sock_gate(sock, address, WD_HOOK_SOCK_CONNECT);
}

/* Source routing (IP_RETOPTS, IPv6 routing headers) sends a packet to the first hop it names,
 * not to the destination the gates decided on. */
static __always_inline bool routes_elsewhere(struct msghdr *msg)
{
	__u64 len = BPF_CORE_READ(msg, msg_controllen), off = 0;
	void *ctl = BPF_CORE_READ(msg, msg_control);

	if (!len)
		return false;
	if (!ctl || BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user))
		return true; /* not the kernel's copy: cannot decide, refuse */
	for (int i = 0; i < 16; i++) {
		struct cmsghdr h;

		if (off + sizeof(h) > len)
			return false;
		if (bpf_probe_read_kernel(&h, sizeof(h), ctl + off))
			return true;
		if ((h.cmsg_level == SOL_IP && h.cmsg_type == IP_RETOPTS) ||
		    (h.cmsg_level == SOL_IPV6 &&
		     (h.cmsg_type == IPV6_RTHDR || h.cmsg_type == IPV6_2292RTHDR)))
			return true;
		if (h.cmsg_len < sizeof(h))
			return false;
		off += (h.cmsg_len + 7) & ~7ULL;
	}
	return off < len; /* more control messages than we read: refuse */
}

/* sendto/sendmsg with a destination, TCP Fast Open included. */
SEC("lsm/socket_sendmsg")
int BPF_PROG(wd_sock_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (routes_elsewhere(msg) && wd_current(&c))
		return confine(&c, WD_HOOK_SETSOCKOPT, IP_RETOPTS, 0, true);
	return sock_gate(sock, BPF_CORE_READ(msg, msg_name), WD_HOOK_SOCK_SENDMSG);
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(wd_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	struct wd_ctx c;

	if (ret)
		return ret;
	if (!((level == SOL_IP && optname == IP_OPTIONS) ||
	      (level == SOL_IPV6 && (optname == IPV6_RTHDR || optname == IPV6_2292RTHDR)) ||
	      (level == SOL_SOCKET && optname == SO_BROADCAST)))
		return 0;
	if (!wd_current(&c))
		return 0;
	/* target: the option's level, so that events tell SO_BROADCAST from IP options. */
	return confine(&c, WD_HOOK_SETSOCKOPT, optname, level, true);
}
