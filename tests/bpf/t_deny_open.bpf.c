// SPDX-License-Identifier: GPL-2.0
/* Test program (selftests-style): an LSM file_open program that refuses one inode to tasks of one
 * cgroup, so vm tests can prove the BPF LSM test bed denies for real. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 target_cgid = 0;
const volatile __u64 target_ino = 0;
const volatile __u32 target_dev = 0; /* kernel dev_t encoding: major << 20 | minor */
__u64 denied = 0;

SEC("lsm/file_open")
int BPF_PROG(wd_t_deny_open, struct file *file, int ret)
{
	struct inode *inode;

	if (ret)
		return ret;
	if (bpf_get_current_cgroup_id() != target_cgid)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if (BPF_CORE_READ(inode, i_ino) != target_ino ||
	    BPF_CORE_READ(inode, i_sb, s_dev) != target_dev)
		return 0;
	__sync_fetch_and_add(&denied, 1);
	return -EACCES;
}
