// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* x86_64 system call names by number (see syscall.h). Numbers come from the build's
 * <sys/syscall.h>, and are written out for calls newer than it. */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "lib/syscall.h"

#define N(name) [__NR_##name] = #name

static const char *const names[] = {
	N(open),
	N(ioctl),
	N(socket),
	N(socketpair),
	N(setsockopt),
	N(clone),
	N(chmod),
	N(fchmod),
	N(creat),
	N(mknod),
	N(setpriority),
	N(pivot_root),
	N(chroot),
	N(mount),
	N(umount2),
	N(init_module),
	N(delete_module),
	N(kexec_load),
	N(unshare),
	N(move_pages),
	N(migrate_pages),
	N(openat),
	N(mknodat),
	N(fchmodat),
	N(add_key),
	N(request_key),
	N(keyctl),
	N(ioprio_set),
	N(perf_event_open),
	N(prlimit64),
	N(name_to_handle_at),
	N(open_by_handle_at),
	N(setns),
	N(finit_module),
	N(memfd_create),
	N(kexec_file_load),
	N(bpf),
	N(userfaultfd),
	N(io_uring_setup),
	N(io_uring_enter),
	N(io_uring_register),
	N(open_tree),
	N(move_mount),
	N(fsopen),
	N(fsconfig),
	N(fsmount),
	N(fspick),
	N(clone3),
	N(openat2),
	N(mount_setattr),
	N(fchmodat2),
	N(open_tree_attr),
	N(ptrace),
	N(kill),
	N(setuid),
	N(setgid),
	N(mmap),
	N(mprotect),
	N(pkey_mprotect),
	N(shmat),
	/* Changes to the file system (a read-only mount's EROFS, sandbox/mounts.c). */
	N(mkdir),
	N(mkdirat),
	N(rmdir),
	N(unlink),
	N(unlinkat),
	N(rename),
	N(renameat),
	N(renameat2),
	N(link),
	N(linkat),
	N(symlink),
	N(symlinkat),
	N(chown),
	N(fchown),
	N(lchown),
	N(fchownat),
	N(truncate),
	N(ftruncate),
	N(utime),
	N(utimes),
	N(utimensat),
	N(futimesat),
	N(setxattr),
	N(lsetxattr),
	N(fsetxattr),
	N(removexattr),
	N(lremovexattr),
	N(fremovexattr),
	N(fallocate),
	N(copy_file_range),
};

const char *wd_syscall_name(unsigned nr)
{
	return nr < sizeof(names) / sizeof(names[0]) ? names[nr] : NULL;
}

const char *wd_errno_name(unsigned err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENOSYS:
		return "ENOSYS";
	case EINVAL:
		return "EINVAL";
	case EROFS:
		return "EROFS";
	default:
		return NULL;
	}
}
