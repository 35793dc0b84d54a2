// SPDX-License-Identifier: GPL-2.0
/* Trivial cgroup sock_addr programs that `warden probe` attaches to a throwaway cgroup to learn
 * whether network enforcement through cgroup hooks works here. They allow everything. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/connect4")
int wd_p_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect6")
int wd_p_connect6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int wd_p_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg6")
int wd_p_sendmsg6(struct bpf_sock_addr *ctx)
{
	return 1;
}
