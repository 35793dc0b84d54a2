// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The LSM hooks warden attaches, for the loader and the probe alike (see lsm_hooks.h). */
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "warden/probe_abi.h"
#include "hooks/hooks.h"

#define HOOK(h, wp, pr, a, i, opt, n, act)                                                         \
	{                                                                                          \
		.hook = h, .prog = wp, .probe = pr, .arm = a, .id = i, .optional = opt, .need = n, \
		.action = act                                                                      \
	}

const struct wd_lsm_hook wd_lsm_hooks[] = {
	/* exec */
	HOOK("bprm_check_security", "wd_bprm_check", "wd_p_bprm", WD_ARM_BPRM, WD_HOOK_BPRM, false,
	     WD_NEED_EXEC, "execve of a test file"),
	HOOK("mmap_file", "wd_mmap_file", "wd_p_mmap_file", WD_ARM_MMAP_FILE, WD_HOOK_MMAP, false,
	     WD_NEED_EXEC, "mmap(PROT_EXEC) of a test file"),
	HOOK("file_mprotect", "wd_mprotect", "wd_p_mprotect", WD_ARM_MPROTECT, WD_HOOK_MPROTECT,
	     false, WD_NEED_EXEC, "mprotect(PROT_EXEC)"),
	/* files */
	HOOK("file_open", "wd_file_open", "wd_p_file_open", WD_ARM_FILE_OPEN, WD_HOOK_FILE_OPEN,
	     false, WD_NEED_FILE, "open of a test file"),
	HOOK("path_link", "wd_path_link", "wd_p_path_link", WD_ARM_PATH_LINK, WD_HOOK_PATH_LINK,
	     false, WD_NEED_FILE, "link(2)"),
	HOOK("path_truncate", "wd_truncate", "wd_p_truncate", WD_ARM_PATH_TRUNCATE,
	     WD_HOOK_TRUNCATE, false, WD_NEED_FILE, "truncate(2)"),
	HOOK("path_mkdir", "wd_mkdir", "wd_p_mkdir", WD_ARM_PATH_MKDIR, WD_HOOK_PATH_MKDIR, false,
	     WD_NEED_FILE, "mkdir(2)"),
	HOOK("path_unlink", "wd_path_unlink", "wd_p_unlink", WD_ARM_PATH_UNLINK,
	     WD_HOOK_PATH_UNLINK, false, WD_NEED_FILE, "unlink(2)"),
	HOOK("path_rmdir", "wd_path_rmdir", "wd_p_rmdir", WD_ARM_PATH_RMDIR, WD_HOOK_PATH_RMDIR,
	     false, WD_NEED_FILE, "rmdir(2)"),
	HOOK("path_mknod", "wd_path_mknod", "wd_p_mknod", WD_ARM_PATH_MKNOD, WD_HOOK_PATH_MKNOD,
	     false, WD_NEED_FILE, "mknod(2) of a FIFO"),
	HOOK("path_symlink", "wd_path_symlink", "wd_p_symlink", WD_ARM_PATH_SYMLINK,
	     WD_HOOK_PATH_SYMLINK, false, WD_NEED_FILE, "symlink(2)"),
	HOOK("path_rename", "wd_path_rename", "wd_p_rename", WD_ARM_PATH_RENAME,
	     WD_HOOK_PATH_RENAME, false, WD_NEED_FILE, "rename(2)"),
	HOOK("path_chmod", "wd_path_chmod", "wd_p_chmod", WD_ARM_PATH_CHMOD, WD_HOOK_PATH_CHMOD,
	     false, WD_NEED_FILE, "chmod(2)"),
	HOOK("path_chown", "wd_path_chown", "wd_p_chown", WD_ARM_PATH_CHOWN, WD_HOOK_PATH_CHOWN,
	     false, WD_NEED_FILE, "chown(2)"),
	HOOK("inode_setxattr", "wd_setxattr", "wd_p_setxattr", WD_ARM_SETXATTR,
	     WD_HOOK_INODE_SETXATTR, false, WD_NEED_FILE, "setxattr(2)"),
	HOOK("inode_removexattr", "wd_removexattr", "wd_p_rmxattr", WD_ARM_REMOVEXATTR,
	     WD_HOOK_INODE_REMOVEXATTR, false, WD_NEED_FILE, "removexattr(2)"),
	/* Linux 6.2 and later; before, ftruncate and ACLs meet path_truncate and setxattr. */
	HOOK("file_truncate", "wd_ftruncate", "wd_p_ftruncate", WD_ARM_FILE_TRUNCATE,
	     WD_HOOK_FILE_TRUNCATE, true, WD_NEED_FILE, "ftruncate(2)"),
	HOOK("inode_set_acl", "wd_set_acl", "wd_p_set_acl", WD_ARM_SET_ACL, WD_HOOK_INODE_SET_ACL,
	     true, WD_NEED_FILE, "setting a POSIX ACL"),
	HOOK("inode_remove_acl", "wd_remove_acl", "wd_p_remove_acl", WD_ARM_REMOVE_ACL,
	     WD_HOOK_INODE_REMOVE_ACL, true, WD_NEED_FILE, "removing a POSIX ACL"),
	/* sockets */
	HOOK("socket_create", "wd_sock_create", "wd_p_sk_create", WD_ARM_SOCK_CREATE,
	     WD_HOOK_SOCK_CREATE, false, WD_NEED_SOCKET, "socket(2)"),
	HOOK("socket_connect", "wd_sock_connect", "wd_p_sk_conn", WD_ARM_SOCK_CONNECT,
	     WD_HOOK_SOCK_CONNECT, false, WD_NEED_SOCKET, "connect(2)"),
	HOOK("socket_sendmsg", "wd_sock_sendmsg", "wd_p_sk_send", WD_ARM_SOCK_SENDMSG,
	     WD_HOOK_SOCK_SENDMSG, false, WD_NEED_SOCKET, "send(2)"),
	HOOK("unix_stream_connect", "wd_unix_connect", "wd_p_unix_conn", WD_ARM_UNIX_CONNECT,
	     WD_HOOK_UNIX_CONNECT, false, WD_NEED_SOCKET, "connect(2) to a unix stream socket"),
	HOOK("unix_may_send", "wd_unix_send", "wd_p_unix_send", WD_ARM_UNIX_SEND, WD_HOOK_UNIX_SEND,
	     false, WD_NEED_SOCKET, "send(2) on a unix datagram socket"),
	/* confinement */
	HOOK("socket_setsockopt", "wd_setsockopt", "wd_p_setsockopt", WD_ARM_SETSOCKOPT,
	     WD_HOOK_SETSOCKOPT, false, WD_NEED_CONFINE, "setsockopt(2)"),
	HOOK("file_receive", "wd_file_receive", "wd_p_file_recv", WD_ARM_FILE_RECEIVE,
	     WD_HOOK_FILE_RECEIVE, false, WD_NEED_CONFINE, "receiving a descriptor (SCM_RIGHTS)"),
	HOOK("task_alloc", "wd_task_alloc", "wd_p_task_alloc", WD_ARM_TASK_ALLOC,
	     WD_HOOK_TASK_ALLOC, false, WD_NEED_CONFINE, "fork(2)"),
	HOOK("capable", "wd_capable", "wd_p_capable", WD_ARM_CAPABLE, WD_HOOK_CAPABLE, false,
	     WD_NEED_CONFINE, "unshare(CLONE_NEWUTS), which needs CAP_SYS_ADMIN"),
	HOOK("bpf", "wd_bpf", "wd_p_bpf", WD_ARM_BPF, WD_HOOK_BPF, false, WD_NEED_CONFINE,
	     "bpf(BPF_MAP_GET_NEXT_ID)"),
	HOOK("task_kill", "wd_task_kill", "wd_p_task_kill", WD_ARM_TASK_KILL, WD_HOOK_TASK_KILL,
	     false, WD_NEED_CONFINE, "kill(2)"),
	HOOK("ptrace_access_check", "wd_ptrace", "wd_p_ptrace", WD_ARM_PTRACE, WD_HOOK_PTRACE,
	     false, WD_NEED_CONFINE, "ptrace(PTRACE_SEIZE)"),
	HOOK("ptrace_traceme", "wd_traceme", "wd_p_traceme", WD_ARM_TRACEME, WD_HOOK_PTRACE, false,
	     WD_NEED_CONFINE, "ptrace(PTRACE_TRACEME)"),
	HOOK("sb_mount", "wd_sb_mount", "wd_p_sb_mount", WD_ARM_SB_MOUNT, WD_HOOK_MOUNT, false,
	     WD_NEED_CONFINE, "mount(2) in a mount namespace of its own"),
	HOOK("sb_umount", "wd_sb_umount", "wd_p_sb_umount", WD_ARM_SB_UMOUNT, WD_HOOK_MOUNT, false,
	     WD_NEED_CONFINE, "umount(2) in a mount namespace of its own"),
	HOOK("move_mount", "wd_move_mount", "wd_p_move_mount", WD_ARM_MOVE_MOUNT, WD_HOOK_MOUNT,
	     false, WD_NEED_CONFINE, "move_mount(2) in a mount namespace of its own"),
	HOOK("sb_pivotroot", "wd_pivotroot", "wd_p_pivotroot", WD_ARM_PIVOTROOT, WD_HOOK_CHROOT,
	     false, WD_NEED_CONFINE, "pivot_root(2) in a mount namespace of its own"),
	HOOK("path_chroot", "wd_chroot", "wd_p_chroot", WD_ARM_CHROOT, WD_HOOK_CHROOT, false,
	     WD_NEED_CONFINE, "chroot(2)"),
	HOOK("userns_create", "wd_userns", "wd_p_userns", WD_ARM_USERNS, WD_HOOK_USERNS, false,
	     WD_NEED_CONFINE, "unshare(CLONE_NEWUSER)"),
	/* the node's keyrings and terminals */
	HOOK("key_alloc", "wd_key_alloc", "wd_p_key_alloc", WD_ARM_KEY_ALLOC,
	     WD_HOOK_KEY_PERMISSION, false, WD_NEED_CONFINE, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)"),
	HOOK("key_permission", "wd_key_perm", "wd_p_key_perm", WD_ARM_KEY_PERMISSION,
	     WD_HOOK_KEY_PERMISSION, false, WD_NEED_CONFINE, "keyctl(KEYCTL_DESCRIBE)"),
	HOOK("key_free", "wd_key_free", "wd_p_key_free", WD_ARM_KEY_FREE, WD_HOOK_KEY_PERMISSION,
	     false, WD_NEED_CONFINE, "letting go of a key it made (keyctl(KEYCTL_INVALIDATE))"),
	HOOK("file_ioctl", "wd_file_ioctl", "wd_p_file_ioctl", WD_ARM_FILE_IOCTL,
	     WD_HOOK_FILE_IOCTL, false, WD_NEED_CONFINE, "ioctl(FIONREAD) on a pipe"),
	HOOK("file_ioctl_compat", "wd_ioctl_compat", "wd_p_ioctl32", WD_ARM_FILE_IOCTL_COMPAT,
	     WD_HOOK_FILE_IOCTL_COMPAT, true, WD_NEED_CONFINE,
	     "a 32-bit ioctl(FIONREAD) on a pipe (int $0x80)"),
};

const size_t wd_lsm_hooks_n = sizeof(wd_lsm_hooks) / sizeof(wd_lsm_hooks[0]);

const struct wd_lsm_feature wd_lsm_features[] = {
	{"bpf_d_path", "wd_p_d_path", "file_open", "usable in lsm/file_open"},
	{"task_storage", "wd_p_task_store", "task_alloc", "usable in lsm/task_alloc"},
};

const size_t wd_lsm_features_n = sizeof(wd_lsm_features) / sizeof(wd_lsm_features[0]);

const struct wd_lsm_hook *wd_lsm_hook_by_hook(const char *name)
{
	for (size_t i = 0; name && i < wd_lsm_hooks_n; i++)
		if (strcmp(wd_lsm_hooks[i].hook, name) == 0)
			return &wd_lsm_hooks[i];
	return NULL;
}

const struct wd_lsm_hook *wd_lsm_hook_by_prog(const char *name)
{
	for (size_t i = 0; name && i < wd_lsm_hooks_n; i++)
		if (strcmp(wd_lsm_hooks[i].prog, name) == 0)
			return &wd_lsm_hooks[i];
	return NULL;
}

const struct wd_lsm_hook *wd_lsm_hook_by_probe(const char *name)
{
	for (size_t i = 0; name && i < wd_lsm_hooks_n; i++)
		if (strcmp(wd_lsm_hooks[i].probe, name) == 0)
			return &wd_lsm_hooks[i];
	return NULL;
}

bool wd_lsm_hook_in_kernel(const struct btf *vmlinux, const struct wd_lsm_hook *h)
{
	char fn[96];

	if (!vmlinux)
		return true;
	snprintf(fn, sizeof(fn), "bpf_lsm_%s", h->hook);
	return btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) >= 0;
}

/* What was opened: the event's path says which of the file systems file_open confines. */
static const char *confine_open_text(const struct wd_event *e)
{
	char path[sizeof(e->path) + 1];

	memcpy(path, e->path, sizeof(e->path));
	path[sizeof(e->path)] = '\0';
	if (strstr(path, "/cgroup"))
		return "confinement: a sandbox cannot change cgroup or write to cgroup files";
	if (strncmp(path, "/sys/fs/bpf", 11) == 0)
		return "confinement: a sandbox cannot open the BPF file system (warden's pinned "
		       "programs and maps)";
	if (strncmp(path, "/dev/", 5) == 0)
		return "confinement: a sandbox cannot open block devices";
	return "confinement: a sandbox cannot write to cgroup files, open the BPF file system "
	       "or open block devices";
}

/* A change to the file system refused whatever the write rules say: in cgroupfs or bpffs, or to a
 * device node (the record's path names it). */
static const char *confine_change_text(const struct wd_event *e)
{
	if (strncmp(e->path, "/dev/", 5) == 0)
		return "confinement: a sandbox cannot rename, remove or change device nodes";
	if (strncmp(e->path, "/sys/fs/bpf", 11) == 0)
		return "confinement: a sandbox cannot change the BPF file system";
	return "confinement: a sandbox cannot change device nodes, cgroup or BPF file systems";
}

const char *wd_confine_text(const struct wd_event *e)
{
	switch (e->hook) {
	case WD_HOOK_PATH_CHMOD:
	case WD_HOOK_PATH_MKNOD:
		if (!e->path[0])
			return "confinement: a sandbox cannot make setuid or setgid files";
		return confine_change_text(e);
	case WD_HOOK_PATH_UNLINK:
	case WD_HOOK_PATH_RMDIR:
	case WD_HOOK_PATH_MKDIR:
	case WD_HOOK_PATH_SYMLINK:
	case WD_HOOK_PATH_RENAME:
	case WD_HOOK_PATH_CHOWN:
	case WD_HOOK_INODE_SETXATTR:
	case WD_HOOK_INODE_REMOVEXATTR:
	case WD_HOOK_FILE_TRUNCATE:
	case WD_HOOK_INODE_SET_ACL:
	case WD_HOOK_INODE_REMOVE_ACL:
		return confine_change_text(e);
	case WD_HOOK_FILE_OPEN:
		return confine_open_text(e);
	case WD_HOOK_TASK_ALLOC:
		return "confinement: a sandbox cannot start processes in another cgroup";
	case WD_HOOK_CAPABLE:
		return "confinement: a sandbox cannot use capabilities that reach around its "
		       "enforcement";
	case WD_HOOK_BPF:
		return "confinement: a sandbox cannot use bpf(2)";
	case WD_HOOK_TASK_KILL:
		return "confinement: a sandbox cannot signal processes outside it";
	case WD_HOOK_PTRACE:
		return "confinement: a sandbox cannot trace processes outside it or be traced by "
		       "them";
	case WD_HOOK_MOUNT:
		return e->port ? "confinement: a sandbox cannot create cgroups"
			       : "confinement: a sandbox cannot mount, unmount or move mounts";
	case WD_HOOK_CHROOT:
		return "confinement: a sandbox cannot chroot or pivot_root";
	case WD_HOOK_USERNS:
		return "confinement: a sandbox cannot create user namespaces";
	case WD_HOOK_SETSOCKOPT:
		if (e->lost == 1) /* SOL_SOCKET: SO_BROADCAST */
			return "confinement: a sandbox cannot send broadcasts";
		return "confinement: a sandbox cannot use source routing";
	case WD_HOOK_FILE_RECEIVE:
		return "confinement: a sandbox cannot receive sockets from outside it";
	case WD_HOOK_PATH_LINK:
		if (e->path[0])
			return confine_change_text(e);
		return "confinement: a sandbox cannot hardlink protected files";
	case WD_HOOK_TRUNCATE:
		if (e->path[0])
			return confine_change_text(e);
		return "confinement: a sandbox cannot truncate files by path";
	case WD_HOOK_KEY_PERMISSION:
		return "confinement: a sandbox cannot use keys or keyrings made outside it";
	case WD_HOOK_FILE_IOCTL:
	case WD_HOOK_FILE_IOCTL_COMPAT:
		return "confinement: a sandbox cannot push input into a terminal";
	case WD_HOOK_BIND4:
	case WD_HOOK_BIND6:
		return "confinement: a sandbox cannot bind a port a socket outside it holds";
	default:
		return "confinement: refused in every sandbox, whatever the policy";
	}
}

const char *wd_default_rule_text(const struct wd_event *e)
{
	return e->hdr.type == WD_EV_CONFINE ? wd_confine_text(e) : "default: no rule allows it";
}
