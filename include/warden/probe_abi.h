/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by bpf/probe_lsm.bpf.c and user/hooks/hooks.c: which probe program the test child's
 * next action is for ("armed"), and the errno the armed program answers with. */
#ifndef WD_PROBE_ABI_H
#define WD_PROBE_ABI_H

/* ENOANO ("No anode"): nothing in the kernel returns it for the actions the probe takes, so
 * seeing it means the probe program decided. */
#define WD_PROBE_ERRNO 55

enum wd_probe_arm {
	WD_ARM_NONE = 0,
	WD_ARM_BPRM,
	WD_ARM_MMAP_FILE,
	WD_ARM_MPROTECT,
	WD_ARM_FILE_OPEN,
	WD_ARM_PATH_LINK,
	WD_ARM_PATH_TRUNCATE,
	WD_ARM_PATH_MKDIR,
	WD_ARM_PATH_UNLINK,
	WD_ARM_PATH_RMDIR,
	WD_ARM_PATH_MKNOD,
	WD_ARM_PATH_SYMLINK,
	WD_ARM_PATH_RENAME,
	WD_ARM_PATH_CHMOD,
	WD_ARM_PATH_CHOWN,
	WD_ARM_SETXATTR,
	WD_ARM_REMOVEXATTR,
	WD_ARM_FILE_TRUNCATE,
	WD_ARM_SET_ACL,
	WD_ARM_REMOVE_ACL,
	WD_ARM_SOCK_CREATE,
	WD_ARM_SOCK_CONNECT,
	WD_ARM_SOCK_SENDMSG,
	WD_ARM_SETSOCKOPT,
	WD_ARM_UNIX_CONNECT,
	WD_ARM_UNIX_SEND,
	WD_ARM_FILE_RECEIVE,
	WD_ARM_TASK_ALLOC,
	WD_ARM_CAPABLE,
	WD_ARM_BPF,
	WD_ARM_TASK_KILL,
	WD_ARM_PTRACE,
	WD_ARM_TRACEME,
	WD_ARM_SB_MOUNT,
	WD_ARM_SB_UMOUNT,
	WD_ARM_MOVE_MOUNT,
	WD_ARM_PIVOTROOT,
	WD_ARM_CHROOT,
	WD_ARM_USERNS,
	WD_ARM_KEY_ALLOC,
	WD_ARM_KEY_PERMISSION,
	WD_ARM_KEY_FREE,
	WD_ARM_FILE_IOCTL,
	WD_ARM_FILE_IOCTL_COMPAT,
	WD_ARM_NR,
};

#endif
