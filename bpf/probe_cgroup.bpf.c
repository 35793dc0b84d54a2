// SPDX-License-Identifier: GPL-2.0
/* The cgroup programs of the cgroup trial (user/enforce/probe_cgroup.c): attached to a
 * throwaway cgroup whose only task is the trial's child, each refuses what the child tries
 * through its hook, so that the trial sees the hook run rather than assuming it from a load and
 * an attach. Nothing else is ever in that cgroup. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/connect4")
int wd_p_connect4(struct bpf_sock_addr *ctx)
{
	return 0;
}

SEC("cgroup/connect6")
int wd_p_connect6(struct bpf_sock_addr *ctx)
{
	return 0;
}

SEC("cgroup/sendmsg4")
int wd_p_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 0;
}

SEC("cgroup/sendmsg6")
int wd_p_sendmsg6(struct bpf_sock_addr *ctx)
{
	return 0;
}

/* Block devices only, as warden's own program (bpf/cgroup/device.bpf.h): the child's mknod of
 * one is refused, its /dev/null still opens. */
SEC("cgroup/dev")
int wd_p_device(struct bpf_cgroup_dev_ctx *ctx)
{
	return (ctx->access_type & 0xffff) == 1 /* BPF_DEVCG_DEV_BLOCK */ ? 0 : 1;
}

/* Linux 6.7 and later; sections libbpf 1.1 does not know: the loader sets their types, and
 * loads them only where the kernel has the attach types. */
SEC("cgroup/connect_unix")
int wd_p_cg_uconn(struct bpf_sock_addr *ctx)
{
	return 0;
}

SEC("cgroup/sendmsg_unix")
int wd_p_cg_usend(struct bpf_sock_addr *ctx)
{
	return 0;
}
