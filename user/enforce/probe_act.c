// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe's test child: for each LSM hook, the action that meets it (an exec, an open, a
 * mount, a ptrace ...), taken in the probe's throwaway cgroup; what would change the child
 * itself runs in a grandchild. Each result is 0 or the errno the action got. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "enforce/probe_internal.h"
#include "warden/probe_abi.h"

/* ioctl(2) as a 32-bit process makes it (int $0x80 reaches the kernel's compat entry from
 * 64-bit code too): -errno or the result. */
static long ioctl32(int fd, unsigned int cmd, unsigned int arg)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "0"(54L /* __NR_ioctl on i386 */), "b"((long)fd), "c"((long)cmd),
			   "d"((long)arg)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
#else
	(void)fd, (void)cmd, (void)arg;
	return -ENOSYS;
#endif
}

static int res(long r)
{
	return r < 0 ? errno : 0;
}

static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	return 0;
}

/* Runs @arm's action in a grandchild (what would change the caller: namespaces, chroot,
 * tracing); its exit status is the result. */
static int in_grandchild(unsigned arm, const struct act_paths *ap)
{
	int st, r = 0;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		alarm(30);
		switch (arm) {
		case WD_ARM_SB_MOUNT:
			/* In a mount namespace of its own, its first mount call is the action. */
			r = unshare(CLONE_NEWNS)
				    ? ACT_SETUP_FAILED
				    : res(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
			break;
		case WD_ARM_SB_UMOUNT:
			if (private_mounts() || mount("none", ap->m, "tmpfs", 0, "size=16k"))
				r = ACT_SETUP_FAILED;
			else
				r = res(umount2(ap->m, 0));
			break;
		case WD_ARM_MOVE_MOUNT:
			if (private_mounts() || mount("none", ap->m, "tmpfs", 0, "size=16k"))
				r = ACT_SETUP_FAILED;
			else
				r = res(syscall(SYS_move_mount, AT_FDCWD, ap->m, AT_FDCWD, ap->m2,
						0));
			break;
		case WD_ARM_PIVOTROOT:
			r = private_mounts() ? ACT_SETUP_FAILED
					     : res(syscall(SYS_pivot_root, ap->dir, ap->dir));
			break;
		case WD_ARM_CHROOT:
			r = res(chroot(ap->dir));
			break;
		case WD_ARM_USERNS:
			r = res(unshare(CLONE_NEWUSER));
			break;
		case WD_ARM_TRACEME:
			r = res(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
			break;
		case WD_ARM_FILE_IOCTL_COMPAT: {
			int p[2];
			long x;

			if (pipe(p))
				r = ACT_SETUP_FAILED;
			else if ((x = ioctl32(p[0], FIONREAD, 0)) == -ENOSYS)
				r = ACT_NO_COMPAT;
			else
				r = x < 0 ? (int)-x : 0;
			break;
		}
		}
		_exit(r & 0xff);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	if (!WIFEXITED(st)) /* a kernel without 32-bit system calls kills the caller */
		return arm == WD_ARM_FILE_IOCTL_COMPAT ? ACT_NO_COMPAT : ACT_SETUP_FAILED;
	return WEXITSTATUS(st);
}

static int act_file_receive(const struct act_paths *ap)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char c = 'x';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int sv[2], fd, r = ACT_SETUP_FAILED;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return ACT_SETUP_FAILED;
	fd = open(ap->x, O_RDONLY | O_CLOEXEC);
	memset(&u, 0, sizeof(u));
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (fd >= 0 && sendmsg(sv[0], &m, 0) == 1) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		m.msg_flags = 0;
		if (recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC) < 0) {
			r = errno;
		} else if ((cm = CMSG_FIRSTHDR(&m)) && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			close(got);
			r = 0;
		} else {
			/* The kernel reports a refused descriptor only as a truncated message. */
			r = (m.msg_flags & MSG_CTRUNC) ? WD_PROBE_ERRNO : ACT_NO_ANSWER;
		}
	}
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static int act_unix_connect(const struct act_paths *ap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r = ACT_SETUP_FAILED;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ap->sock);
	if (l >= 0 && c >= 0 && !bind(l, (struct sockaddr *)&sa, sizeof(sa)) && !listen(l, 1))
		r = res(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	unlink(ap->sock);
	return r;
}

static int act_ptrace(void)
{
	int p[2], r;
	char b;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return ACT_SETUP_FAILED;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return ACT_SETUP_FAILED;
	}
	if (pid == 0) {
		close(p[1]);
		alarm(30);
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	r = res(ptrace(PTRACE_SEIZE, pid, NULL, NULL));
	close(p[1]); /* the tracee (if it is one) ends at once */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* The action that meets @arm's hook. Returns 0 or the errno it got. Runs in the test child:
 * system calls only, nothing that allocates. */
static int act(unsigned arm, const struct act_paths *ap)
{
	/* A minimal access ACL (user rwx, group and other nothing): the test file's own mode. */
	static const uint32_t acl[] = {2,	   0x00070001, 0xffffffff, 0x00000004,
				       0xffffffff, 0x00000020, 0xffffffff};
	char *const argv[] = {(char *)ap->x, NULL}, *const envp[] = {NULL};
	union bpf_attr attr;
	int sv[2], fd, r, v = 4096;
	void *p;

	switch (arm) {
	case WD_ARM_BPRM:
		/* Not an executable format: without the hook, ENOEXEC. */
		execve(ap->x, argv, envp);
		return errno;
	case WD_ARM_MMAP_FILE:
		fd = open(ap->x, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		r = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, 4096);
		close(fd);
		return r;
	case WD_ARM_MPROTECT:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return ACT_SETUP_FAILED;
		r = res(mprotect(p, 4096, PROT_READ | PROT_EXEC));
		munmap(p, 4096);
		return r;
	case WD_ARM_FILE_OPEN:
		fd = open(ap->x, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		return r;
	case WD_ARM_PATH_LINK:
		return res(link(ap->x, ap->l));
	case WD_ARM_PATH_TRUNCATE:
		return res(truncate(ap->t, 0));
	case WD_ARM_PATH_MKDIR:
		return res(mkdir(ap->nd, 0700));
	case WD_ARM_PATH_UNLINK:
		return res(unlink(ap->u));
	case WD_ARM_PATH_RMDIR:
		return res(rmdir(ap->d0));
	case WD_ARM_PATH_MKNOD:
		return res(mknod(ap->fifo, S_IFIFO | 0600, 0));
	case WD_ARM_PATH_SYMLINK:
		return res(symlink("x", ap->sl));
	case WD_ARM_PATH_RENAME:
		return res(rename(ap->r, ap->r2));
	case WD_ARM_PATH_CHMOD:
		return res(chmod(ap->x, 0700));
	case WD_ARM_PATH_CHOWN:
		return res(chown(ap->x, getuid(), getgid()));
	case WD_ARM_SETXATTR:
		return res(setxattr(ap->x, "user.warden_probe", "1", 1, 0));
	case WD_ARM_REMOVEXATTR:
		return res(removexattr(ap->x, "user.warden_probe"));
	case WD_ARM_FILE_TRUNCATE:
		fd = open(ap->t, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		r = res(ftruncate(fd, 0));
		close(fd);
		return r;
	case WD_ARM_SET_ACL:
		return res(setxattr(ap->x, "system.posix_acl_access", acl, sizeof(acl), 0));
	case WD_ARM_REMOVE_ACL:
		return res(removexattr(ap->x, "system.posix_acl_access"));
	case WD_ARM_SOCK_CREATE:
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		r = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		return r;
	case WD_ARM_SOCK_CONNECT: {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		/* Nobody listens there: without the hook, ENOENT. */
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ap->nosock);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		r = res(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
		close(fd);
		return r;
	}
	case WD_ARM_SOCK_SENDMSG:
	case WD_ARM_UNIX_SEND:
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			return ACT_SETUP_FAILED;
		r = res(send(sv[0], "x", 1, MSG_DONTWAIT));
		close(sv[0]);
		close(sv[1]);
		return r;
	case WD_ARM_SETSOCKOPT:
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		r = res(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
		close(fd);
		return r;
	case WD_ARM_UNIX_CONNECT:
		return act_unix_connect(ap);
	case WD_ARM_FILE_RECEIVE:
		return act_file_receive(ap);
	case WD_ARM_TASK_ALLOC: {
		pid_t pid = fork();

		if (pid < 0)
			return errno;
		if (pid == 0)
			_exit(0);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return 0;
	}
	case WD_ARM_CAPABLE:
		/* The child's own UTS namespace, if it is not refused: changes nothing else. */
		return res(unshare(CLONE_NEWUTS));
	case WD_ARM_BPF:
		memset(&attr, 0, sizeof(attr));
		r = res(syscall(SYS_bpf, BPF_MAP_GET_NEXT_ID, &attr, sizeof(attr)));
		return r == ENOENT ? 0 : r;
	case WD_ARM_TASK_KILL:
		return res(kill(getpid(), 0));
	case WD_ARM_PTRACE:
		return act_ptrace();
	case WD_ARM_KEY_ALLOC:
		/* A new session keyring for the child: the one call that passes key_alloc's error
		 * back as it is (lookups turn it into ENOKEY). */
		return res(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL));
	case WD_ARM_KEY_PERMISSION: {
		char d[64];

		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
			return ACT_SETUP_FAILED;
		return res(syscall(SYS_keyctl, KEYCTL_DESCRIBE, KEY_SPEC_SESSION_KEYRING, d,
				   sizeof(d)));
	}
	case WD_ARM_KEY_FREE: {
		long k = syscall(SYS_add_key, "user", "warden-probe", "x", 1,
				 KEY_SPEC_PROCESS_KEYRING);

		if (k < 0)
			return ACT_SETUP_FAILED;
		/* Invalidated: the kernel's key collector unlinks it and frees it soon after. */
		return res(syscall(SYS_keyctl, KEYCTL_INVALIDATE, k));
	}
	case WD_ARM_FILE_IOCTL:
		if (pipe2(sv, O_CLOEXEC))
			return ACT_SETUP_FAILED;
		r = res(ioctl(sv[0], FIONREAD, &v));
		close(sv[0]);
		close(sv[1]);
		return r;
	default:
		return in_grandchild(arm, ap);
	}
}

void wd_probe_act_child(int cmd, int out, const struct act_paths *ap)
{
	unsigned arm;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	while (read(cmd, &arm, sizeof(arm)) == sizeof(arm)) {
		int r = act(arm, ap);

		if (write(out, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}
