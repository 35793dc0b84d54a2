// SPDX-License-Identifier: GPL-2.0
/* Test program (selftests-style): refuses IPv4 connects to one port from the cgroup it is attached
 * to and its descendants, so host tests can prove cgroup enforcement with a real child. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u16 deny_port = 0; /* host byte order */
__u64 denied = 0;
__u64 allowed = 0;

SEC("cgroup/connect4")
int wd_t_connect4(struct bpf_sock_addr *ctx)
{
	/* user_port is the kernel's copy of the sockaddr, in network byte order. */
	if (bpf_ntohs((__u16)ctx->user_port) == deny_port) {
		__sync_fetch_and_add(&denied, 1);
		return 0;
	}
	__sync_fetch_and_add(&allowed, 1);
	return 1;
}
