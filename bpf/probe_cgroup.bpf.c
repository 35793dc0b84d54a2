// SPDX-License-Identifier: GPL-2.0
/* The programs of the cgroup trial (user/enforce/probe_cgroup.c): attached to a throwaway cgroup
 * whose only task is the trial's child (the exec tracepoint: to the node, acting on that cgroup
 * only), each refuses what the child tries through its hook, so that the trial sees the hook run
 * rather than assuming it from a load and an attach. Nothing else is ever in that cgroup. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The test cgroup's id, set by the loader. */
const volatile __u64 wd_p_trial_cgid = 0;

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

/* The exec second line of rungs 3 and 4 (wd_exec_tp in bpf/lsm/exec.bpf.h): an exec in the test
 * cgroup is killed before the new program runs. Every exec of the node passes here while the
 * trial lasts; only the test cgroup's are touched. */
SEC("raw_tp/sched_process_exec")
int wd_p_exec_kill(struct bpf_raw_tracepoint_args *ctx)
{
	if (wd_p_trial_cgid && bpf_get_current_cgroup_id() == wd_p_trial_cgid)
		bpf_send_signal(9);
	return 0;
}
