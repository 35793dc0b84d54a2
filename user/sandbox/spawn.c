// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Starting a command inside a sandbox cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/confine.h"
#include "sandbox/pidns.h"
#include "sandbox/spawn.h"

extern char **environ;

/* The job's end of the socket it names itself on (wd_spawn's job_pid), -1: none. Set before
 * the clone, so only the child's copy of this variable is ever used with it. */
static int report_fd = -1;

/* The kernel translates the pid in SCM_CREDENTIALS into the receiver's pid namespace: the
 * job's own pid (2 in its namespace) arrives as the parent sees it. */
static void report_pid(void)
{
	struct ucred uc = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
	char cbuf[CMSG_SPACE(sizeof(uc))] = {0}, b = 0;
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	if (report_fd < 0)
		return;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(uc));
	memcpy(CMSG_DATA(c), &uc, sizeof(uc));
	(void)!sendmsg(report_fd, &m, MSG_NOSIGNAL);
	close(report_fd);
	report_fd = -1;
}

/* The parent's side: the job's pid, or 0 when it ended (or took over 5 s) without saying. */
static pid_t read_report(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], b;
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct cmsghdr *c;
	struct ucred uc;

	if (poll(&p, 1, 5000) != 1 || recvmsg(fd, &m, MSG_CMSG_CLOEXEC) != 1)
		return 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			return uc.pid;
		}
	return 0;
}

static _Noreturn void job(const struct wd_spawn *s, const char *who);

static _Noreturn void child(const struct wd_spawn *s)
{
	const char *who = s->who ? s->who : "warden";
	char why[512];
	sigset_t mask;
	pid_t pid;

	if (s->sigmask)
		sigprocmask(SIG_SETMASK, s->sigmask, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* A session of its own, without a controlling terminal: TIOCSTI could otherwise push
	 * keystrokes into the shell that started warden, to run after the sandbox is gone. */
	if (setsid() < 0)
		_exit(WD_EXIT_WARDEN);
	for (int i = 0; i < 3; i++)
		if (s->stdio[i] >= 0 && s->stdio[i] != i && dup2(s->stdio[i], i) < 0)
			_exit(WD_EXIT_WARDEN);
	/* Rung 3: the pid namespace's /proc and the mounts, shared by the init and the job. */
	if (s->confine && wd_confine_mounts(s->confine, why, sizeof(why))) {
		fprintf(stderr, "%s: cannot confine the command (rung 3): %s\n", who, why);
		_exit(WD_EXIT_WARDEN);
	}
	if (!s->confine || !s->confine->pidns)
		job(s, who);
	/* This is pid 1 of the sandbox's pid namespace: the job is its child, with the signal
	 * mask it would have had. */
	wd_pidns_block(&mask);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: cannot start the command in its pid namespace: %s\n", who,
			strerror(errno));
		_exit(WD_EXIT_WARDEN);
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		job(s, who);
	}
	wd_pidns_init(pid);
}

/* The command's process, in the sandbox's cgroup (and pid namespace): confined, checked, then
 * run. */
static _Noreturn void job(const struct wd_spawn *s, const char *who)
{
	char why[512];
	int fd;

	report_pid();
	/* Rung 3: the bounding set and the Landlock domain, while still root. */
	if (s->confine && wd_confine_enter(s->confine, why, sizeof(why))) {
		fprintf(stderr, "%s: cannot confine the command (rung 3): %s\n", who, why);
		_exit(WD_EXIT_WARDEN);
	}
	/* BPF map fds, the ring buffer, epoll, other clients: none of the command's business. */
	if (close_range(3, ~0U, 0))
		_exit(WD_EXIT_WARDEN);
	/* Before running anything, prove the kernel sees this process as sandboxed: opening its
	 * own cgroup.procs for writing must be refused. If it is not (a cgroup namespace hiding
	 * the real cgroup depth, say), enforcement would silently not apply: refuse to run. */
	if (s->procs && s->confine && s->confine->mounts) {
		/* Rung 3 with its mounts: cgroupfs is read-only here. Asked with access(2), which
		 * meets the mount as open(2) would but is no change to the file system: the
		 * read-only mounts' refusals of those are deny events (the job's, never this
		 * check's). */
		int r;

		errno = 0;
		r = faccessat(AT_FDCWD, s->procs, W_OK, AT_EACCESS);
		if (r == 0 || errno != EROFS) {
			fprintf(stderr,
				"%s: the kernel does not treat the sandbox as sandboxed (%s); "
				"refusing to run the command unconfined\n",
				who, r == 0 ? "its cgroup.procs is writable" : strerror(errno));
			_exit(WD_EXIT_WARDEN);
		}
	} else if (s->procs) {
		fd = open(s->procs, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 || (s->confine ? errno != EACCES && errno != EROFS : errno != EPERM)) {
			fprintf(stderr,
				"%s: the kernel does not treat the sandbox as sandboxed (%s); "
				"refusing to run the command unconfined\n",
				who,
				fd >= 0 ? "its self-check write was allowed" : strerror(errno));
			_exit(WD_EXIT_WARDEN);
		}
	}
	/* The caller's credentials last: the self-check above must meet the LSM, not the file
	 * permissions an unprivileged caller would meet first. */
	if (s->set_creds &&
	    (setgroups(s->n_groups, s->groups) || setresgid(s->gid, s->gid, s->gid) ||
	     setresuid(s->uid, s->uid, s->uid))) {
		fprintf(stderr, "%s: cannot take the caller's credentials: %s\n", who,
			strerror(errno));
		_exit(WD_EXIT_WARDEN);
	}
	/* A session keyring of its own, made here in the sandbox: the job's keys work as usual,
	 * while the keyring it inherited (and every key made outside) is refused to it by the
	 * LSM (docs/policy.md, "What a sandbox cannot reach"). A kernel without keyrings has
	 * nothing to share; a failure leaves only keys the job cannot use anyway. */
	syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	/* Rung 3, last: a root keeps no capability that undoes it, then the seccomp filter (which
	 * refuses the keyctl above). */
	if (s->confine && wd_confine_finish(s->confine, why, sizeof(why))) {
		fprintf(stderr, "%s: cannot confine the command (rung 3): %s\n", who, why);
		_exit(WD_EXIT_WARDEN);
	}
	/* After the credentials: the command may only stand where its caller may. */
	if (s->cwd && chdir(s->cwd)) {
		fprintf(stderr, "%s: cannot change to directory %s: %s\n", who, s->cwd,
			strerror(errno));
		_exit(WD_EXIT_WARDEN);
	}
	execvpe(s->argv[0], s->argv, s->envp ? s->envp : environ);
	fprintf(stderr, "%s: cannot execute '%s': %s%s\n", who, s->argv[0], strerror(errno),
		errno == EACCES || errno == EPERM ? " (denied by policy?)" : "");
	_exit(errno == ENOENT ? 127 : 126);
}

int wd_spawn(const struct wd_spawn *s, int *pidfd)
{
	/* An IPC namespace of its own: System V shared memory, message queues and semaphores,
	 * and POSIX message queues, of the node's processes (a database's shared buffers, another
	 * job's queues) are not there to attach to, whatever a sandboxed root's capabilities; the
	 * job's own work as usual among its processes. */
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP | CLONE_PIDFD | CLONE_NEWIPC |
			 (s->confine && s->confine->pidns ? CLONE_NEWPID : 0),
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)s->cgroup_fd,
	};
	int sp[2] = {-1, -1}, on = 1;
	long pid;

	if (!s->argv || !s->argv[0])
		return -EINVAL;
	if (s->job_pid) {
		*s->job_pid = 0;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) ||
		    setsockopt(sp[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
			if (sp[0] >= 0) {
				close(sp[0]);
				close(sp[1]);
			}
			return -errno;
		}
		report_fd = sp[1];
	}
	fflush(NULL);
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		child(s);
	report_fd = -1;
	if (sp[1] >= 0)
		close(sp[1]);
	if (pid < 0) {
		pid = -errno;
		if (sp[0] >= 0)
			close(sp[0]);
		return (int)pid;
	}
	if (sp[0] >= 0) {
		/* Without a pid namespace the job is the child itself. */
		*s->job_pid = s->confine && s->confine->pidns ? read_report(sp[0]) : (pid_t)pid;
		close(sp[0]);
	}
	return (int)pid;
}
