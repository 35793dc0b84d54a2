// SPDX-License-Identifier: GPL-2.0
/* Test program (selftests-style): a producer for warden's ring buffer reader. Each run (through
 * BPF_PROG_TEST_RUN) writes the first out_size bytes of its packet as one record, or reserves
 * and discards one when discard is set. Returns 0 when the record went in, 1 when the ring
 * buffer was full. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} t_rb SEC(".maps");

__u32 out_size;
__u32 discard = 0;

SEC("socket")
int t_ringbuf_out(struct __sk_buff *skb)
{
	__u8 buf[64];
	__u32 n = out_size;
	void *r;

	if (discard) {
		r = bpf_ringbuf_reserve(&t_rb, 16, 0);
		if (!r)
			return 1;
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return 2;
	if (n > sizeof(buf))
		n = sizeof(buf);
	return bpf_ringbuf_output(&t_rb, buf, n, 0) ? 1 : 0;
}
