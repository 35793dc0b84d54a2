// SPDX-License-Identifier: GPL-2.0
/* Trivial LSM programs that `warden probe` loads and attaches one at a time: loading and attaching
 * is the only honest test of whether this kernel runs BPF LSM and each hook warden relies on. */
#include "wd_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The probes decide nothing. Returning 0 is safe: if an earlier program on the same hook denied,
 * the trampoline has already returned its error and these never run. */
#define WD_PROBE_HOOK(hook, prog)                                                                  \
	SEC("lsm/" #hook)                                                                          \
	int BPF_PROG(prog)                                                                         \
	{                                                                                          \
		return 0;                                                                          \
	}

WD_PROBE_HOOK(bprm_check_security, wd_p_bprm)
WD_PROBE_HOOK(mmap_file, wd_p_mmap_file)
WD_PROBE_HOOK(file_mprotect, wd_p_mprotect)
WD_PROBE_HOOK(file_open, wd_p_file_open)
WD_PROBE_HOOK(file_receive, wd_p_file_recv)
WD_PROBE_HOOK(path_link, wd_p_path_link)
WD_PROBE_HOOK(socket_create, wd_p_sk_create)
WD_PROBE_HOOK(socket_connect, wd_p_sk_conn)
WD_PROBE_HOOK(socket_sendmsg, wd_p_sk_send)
WD_PROBE_HOOK(unix_stream_connect, wd_p_unix_conn)
WD_PROBE_HOOK(unix_may_send, wd_p_unix_send)
WD_PROBE_HOOK(socket_setsockopt, wd_p_setsockopt)
WD_PROBE_HOOK(capable, wd_p_capable)
WD_PROBE_HOOK(ptrace_traceme, wd_p_traceme)
WD_PROBE_HOOK(sb_umount, wd_p_sb_umount)
WD_PROBE_HOOK(sb_pivotroot, wd_p_pivotroot)
WD_PROBE_HOOK(path_chroot, wd_p_chroot)
WD_PROBE_HOOK(path_mkdir, wd_p_mkdir)
WD_PROBE_HOOK(path_truncate, wd_p_truncate)
WD_PROBE_HOOK(task_alloc, wd_p_task_alloc)
WD_PROBE_HOOK(task_kill, wd_p_task_kill)
WD_PROBE_HOOK(ptrace_access_check, wd_p_ptrace)
WD_PROBE_HOOK(bpf, wd_p_bpf)
WD_PROBE_HOOK(userns_create, wd_p_userns)
WD_PROBE_HOOK(sb_mount, wd_p_sb_mount)
WD_PROBE_HOOK(move_mount, wd_p_move_mount)

/* bpf_d_path is allowed only in some hooks; file_open is one warden needs it in. */
SEC("lsm/file_open")
int BPF_PROG(wd_p_d_path, struct file *file)
{
	char buf[64];

	/* f_path is const in newer kernels; the helper does not write through it. */
	bpf_d_path((struct path *)&file->f_path, buf, sizeof(buf));
	return 0;
}

/* Task storage is how warden tags sandboxed tasks so they cannot leave by changing cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} wd_p_task_map SEC(".maps");

SEC("lsm/task_alloc")
int BPF_PROG(wd_p_task_store, struct task_struct *task, unsigned long clone_flags)
{
	bpf_task_storage_get(&wd_p_task_map, task, 0, 0);
	return 0;
}
