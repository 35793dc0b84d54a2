// SPDX-License-Identifier: GPL-2.0
/* LSM programs `warden probe` (and the daemon and `warden run` before they claim enforcement)
 * attaches to see each hook act: a program refuses only while it is armed (wd_p_arm) and only
 * for tasks of the probe's own throwaway cgroup (wd_p_cgid), with an errno nothing else returns
 * for the test child's action, and counts its calls. A kernel that loads and attaches LSM
 * programs without running them (bpf missing from the active LSM list) shows zero calls. */
#include "wd_bpf.h"
#include "warden/probe_abi.h"

char LICENSE[] SEC("license") = "GPL";

__u64 wd_p_cgid;
__u32 wd_p_arm;
__u64 wd_p_calls[WD_ARM_NR];

#define CAP_SYS_ADMIN 21

static __always_inline int seen(__u32 arm)
{
	if (wd_p_arm != arm || !wd_p_cgid || bpf_get_current_cgroup_id() != wd_p_cgid)
		return 0;
	if (arm < WD_ARM_NR)
		__sync_fetch_and_add(&wd_p_calls[arm], 1);
	return -WD_PROBE_ERRNO;
}

/* If an earlier program on the same hook refused, the trampoline has already returned its error
 * and these never run: they decide only for the probe's child. Names fit in 15 characters, all
 * the kernel keeps of a name. */
#define WD_PROBE_HOOK(hook, prog, arm)                                                             \
	SEC("lsm/" #hook)                                                                          \
	int BPF_PROG(prog)                                                                         \
	{                                                                                          \
		return seen(arm);                                                                  \
	}

WD_PROBE_HOOK(bprm_check_security, wd_p_bprm, WD_ARM_BPRM)
WD_PROBE_HOOK(file_mprotect, wd_p_mprotect, WD_ARM_MPROTECT)
WD_PROBE_HOOK(file_open, wd_p_file_open, WD_ARM_FILE_OPEN)
WD_PROBE_HOOK(path_link, wd_p_path_link, WD_ARM_PATH_LINK)
WD_PROBE_HOOK(path_truncate, wd_p_truncate, WD_ARM_PATH_TRUNCATE)
WD_PROBE_HOOK(path_mkdir, wd_p_mkdir, WD_ARM_PATH_MKDIR)
WD_PROBE_HOOK(path_unlink, wd_p_unlink, WD_ARM_PATH_UNLINK)
WD_PROBE_HOOK(path_rmdir, wd_p_rmdir, WD_ARM_PATH_RMDIR)
WD_PROBE_HOOK(path_mknod, wd_p_mknod, WD_ARM_PATH_MKNOD)
WD_PROBE_HOOK(path_symlink, wd_p_symlink, WD_ARM_PATH_SYMLINK)
WD_PROBE_HOOK(path_rename, wd_p_rename, WD_ARM_PATH_RENAME)
WD_PROBE_HOOK(path_chmod, wd_p_chmod, WD_ARM_PATH_CHMOD)
WD_PROBE_HOOK(path_chown, wd_p_chown, WD_ARM_PATH_CHOWN)
WD_PROBE_HOOK(inode_setxattr, wd_p_setxattr, WD_ARM_SETXATTR)
WD_PROBE_HOOK(inode_removexattr, wd_p_rmxattr, WD_ARM_REMOVEXATTR)
/* Linux 6.2 and later only: the probe leaves them out where the kernel has no such hook. */
WD_PROBE_HOOK(file_truncate, wd_p_ftruncate, WD_ARM_FILE_TRUNCATE)
WD_PROBE_HOOK(inode_set_acl, wd_p_set_acl, WD_ARM_SET_ACL)
WD_PROBE_HOOK(inode_remove_acl, wd_p_remove_acl, WD_ARM_REMOVE_ACL)
WD_PROBE_HOOK(socket_create, wd_p_sk_create, WD_ARM_SOCK_CREATE)
WD_PROBE_HOOK(socket_connect, wd_p_sk_conn, WD_ARM_SOCK_CONNECT)
WD_PROBE_HOOK(socket_sendmsg, wd_p_sk_send, WD_ARM_SOCK_SENDMSG)
WD_PROBE_HOOK(socket_setsockopt, wd_p_setsockopt, WD_ARM_SETSOCKOPT)
WD_PROBE_HOOK(unix_stream_connect, wd_p_unix_conn, WD_ARM_UNIX_CONNECT)
WD_PROBE_HOOK(unix_may_send, wd_p_unix_send, WD_ARM_UNIX_SEND)
WD_PROBE_HOOK(file_receive, wd_p_file_recv, WD_ARM_FILE_RECEIVE)
WD_PROBE_HOOK(task_alloc, wd_p_task_alloc, WD_ARM_TASK_ALLOC)
WD_PROBE_HOOK(bpf, wd_p_bpf, WD_ARM_BPF)
WD_PROBE_HOOK(task_kill, wd_p_task_kill, WD_ARM_TASK_KILL)
WD_PROBE_HOOK(ptrace_access_check, wd_p_ptrace, WD_ARM_PTRACE)
WD_PROBE_HOOK(ptrace_traceme, wd_p_traceme, WD_ARM_TRACEME)
WD_PROBE_HOOK(sb_mount, wd_p_sb_mount, WD_ARM_SB_MOUNT)
WD_PROBE_HOOK(sb_umount, wd_p_sb_umount, WD_ARM_SB_UMOUNT)
WD_PROBE_HOOK(move_mount, wd_p_move_mount, WD_ARM_MOVE_MOUNT)
WD_PROBE_HOOK(sb_pivotroot, wd_p_pivotroot, WD_ARM_PIVOTROOT)
WD_PROBE_HOOK(path_chroot, wd_p_chroot, WD_ARM_CHROOT)
WD_PROBE_HOOK(userns_create, wd_p_userns, WD_ARM_USERNS)
WD_PROBE_HOOK(key_permission, wd_p_key_perm, WD_ARM_KEY_PERMISSION)
WD_PROBE_HOOK(file_ioctl, wd_p_file_ioctl, WD_ARM_FILE_IOCTL)
/* 6.8 and later (and some distribution kernels): only where the kernel has it. */
WD_PROBE_HOOK(file_ioctl_compat, wd_p_ioctl32, WD_ARM_FILE_IOCTL_COMPAT)

/* key_free cannot refuse: it is seen running for the key the test child made (and let go)
 * while it is armed. */
__u64 wd_p_key;

SEC("lsm/key_alloc")
int BPF_PROG(wd_p_key_alloc, struct key *key)
{
	if (wd_p_arm == WD_ARM_KEY_FREE && wd_p_cgid && bpf_get_current_cgroup_id() == wd_p_cgid) {
		wd_p_key = (__u64)key;
		return 0;
	}
	return seen(WD_ARM_KEY_ALLOC);
}

SEC("lsm/key_free")
int BPF_PROG(wd_p_key_free, struct key *key)
{
	if (wd_p_key && (__u64)key == wd_p_key) {
		__sync_fetch_and_add(&wd_p_calls[WD_ARM_KEY_FREE], 1);
		wd_p_key = 0;
	}
	return 0;
}

/* Anonymous mappings pass here too (file NULL): only the test file's mapping is the action. */
SEC("lsm/mmap_file")
int BPF_PROG(wd_p_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags)
{
	return file ? seen(WD_ARM_MMAP_FILE) : 0;
}

/* The child's action is unshare(CLONE_NEWUTS), which asks for CAP_SYS_ADMIN; capable() turns
 * any error into EPERM, so the call count tells that this program decided. */
SEC("lsm/capable")
int BPF_PROG(wd_p_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts)
{
	return cap == CAP_SYS_ADMIN ? seen(WD_ARM_CAPABLE) : 0;
}

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
