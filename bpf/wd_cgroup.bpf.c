// SPDX-License-Identifier: GPL-2.0
/* Network enforcement through cgroup sock_addr hooks: the authoritative gate for connect (TCP
 * Fast Open included) and unconnected UDP sends, for every process in a sandbox cgroup and its
 * descendants. Works on kernels without BPF LSM. */
#include "wd_common.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* Refusing from a sock_addr program returns EPERM to the caller. */
static __always_inline int gate(struct bpf_sock_addr *ctx, bool v6, __u16 hook)
{
	struct wd_sandbox *sb;
	__u64 cgid = wd_cgroup_sandbox(&sb);
	__u8 addr[16];

	/* These programs are attached to sandbox cgroups only: a socket that reaches them belongs
	 * to a sandbox, so not finding it (a cgroup namespace hiding the real depth, say) must
	 * refuse, not allow. */
	if (!cgid)
		return 0;
	if (v6) {
		__u32 w[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			      ctx->user_ip6[3]};

		__builtin_memcpy(addr, w, 16);
	} else {
		wd_v4mapped(addr, ctx->user_ip4);
	}
	return wd_net_gate(cgid, sb, addr, bpf_ntohs((__u16)ctx->user_port), (__u8)ctx->protocol,
			   hook)
		       ? 0
		       : 1;
}

SEC("cgroup/connect4")
int wd_connect4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, WD_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int wd_connect6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, WD_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int wd_sendmsg4(struct bpf_sock_addr *ctx)
{
	return gate(ctx, false, WD_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int wd_sendmsg6(struct bpf_sock_addr *ctx)
{
	return gate(ctx, true, WD_HOOK_SENDMSG6);
}
