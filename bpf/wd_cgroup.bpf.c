// SPDX-License-Identifier: GPL-2.0
/* Network enforcement through cgroup sock_addr hooks: the authoritative gate for connect (TCP
 * Fast Open included) and unconnected UDP sends, for every process in a sandbox cgroup and its
 * descendants, including which local listeners are the sandbox's own. Works on kernels without
 * BPF LSM.
 *
 * One BPF object, one file per concern, included at the end of this one:
 *   wd_cgroup.bpf.c       (this file) the owner tag every socket a sandbox makes carries
 *                         (cgroup/sock_create), which tells its own listeners from the node's
 *   cgroup/connect.bpf.h  connects and sends (cgroup/connect4/6, cgroup/sendmsg4/6)
 *   cgroup/egress.bpf.h   every datagram and SYN checked again as it leaves (cgroup_skb/egress)
 *   cgroup/bind.bpf.h     no joining another owner's port (cgroup/bind4/6)
 *   cgroup/hold.bpf.h     new cgroups adoption rules match (raw_tp/cgroup_mkdir, cgroup_rmdir)
 *   cgroup/device.bpf.h   no block device opened or made (cgroup/dev)
 *   cgroup/unix.bpf.h     unix sockets by path and name (cgroup/connect_unix, sendmsg_unix;
 *                         Linux 6.7+, optional, attached where BPF LSM is missing)
 *   cgroup/scevents.bpf.h rung 3's seccomp refusals as events (raw_tp/sys_exit; attached only
 *                         while rung 3 may run)
 * The gates come twice: their wd_hold_* twins are attached where cgroups the kernel holds may
 * appear, and decide for held sandboxes only. Program names fit in 15 characters, all the kernel
 * keeps of a name (tests/unit/test_bpf_names.c checks). */
#include "wd_common.h"
#include "wd_rules.h"
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

/* The programs, by concern (see the top of this file). */
#include "cgroup/connect.bpf.h"
#include "cgroup/egress.bpf.h"
#include "cgroup/bind.bpf.h"
#include "cgroup/hold.bpf.h"
#include "cgroup/device.bpf.h"
#include "cgroup/unix.bpf.h"
#include "cgroup/scevents.bpf.h"
