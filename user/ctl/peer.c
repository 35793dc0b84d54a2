// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Who is on the other end of a control connection, as the kernel saw it: SO_PEERCRED and
 * SO_PEERGROUPS, fixed when it connected, and a pidfd of the process that connected, through
 * which its cgroup is read on every request so that a pid reused by another process cannot
 * answer for it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "ctl/control.h"
#include "ctl/internal.h"

/* Linux 6.5: a pidfd of the process that connected, taken when it connected. */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* /proc/PID/cgroup lists one line per hierarchy, each path at most PATH_MAX. */
#define PROC_CGROUP_MAX (256 * 1024)

/* Whether the process behind @pidfd has not been reaped (a zombie still holds its pid). */
static bool pidfd_alive(int pidfd)
{
	return !pidfd_send_signal(pidfd, 0, NULL, 0) || errno == EPERM;
}

/* Reads a small /proc file whole into a new NUL-terminated buffer. */
static int read_proc(const char *fn, char **out)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (!buf || len + 1 == cap) {
			char *nb;

			if (buf)
				cap *= 2;
			if (cap > PROC_CGROUP_MAX) {
				err = -EFBIG;
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The cgroup of the process behind @pidfd (whose pid is @pid). The pidfd is checked after the
 * read: if its process is still alive, the pid was still its own while /proc was read. */
int wd_ctl_pidfd_cgroup(int pidfd, pid_t pid, char *path, size_t size)
{
	char fn[64], *text = NULL;
	int err;

	snprintf(fn, sizeof(fn), "/proc/%d/cgroup", (int)pid);
	err = read_proc(fn, &text);
	if (err == -ENOENT)
		return -ESRCH;
	if (err)
		return err;
	err = wd_ctl_parse_proc_cgroup(text, path, size);
	free(text);
	if (!err && !pidfd_alive(pidfd))
		err = -ESRCH;
	if (err)
		path[0] = '\0';
	return err;
}

/* The inode of the socket at the other end of the unix socket @fd, asked of sock_diag; 0 when
 * the other end is closed. */
static int unix_peer_ino(int fd, uint64_t *peer)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh =
			{
				.nlmsg_len = sizeof(req),
				.nlmsg_type = SOCK_DIAG_BY_FAMILY,
				.nlmsg_flags = NLM_F_REQUEST,
				.nlmsg_seq = 1,
			},
		.r =
			{
				.sdiag_family = AF_UNIX,
				.udiag_states = ~0u,
				.udiag_show = UDIAG_SHOW_PEER,
				.udiag_cookie = {~0u, ~0u}, /* INET_DIAG_NOCOOKIE: any */
			},
	};
	union {
		char buf[1024];
		struct nlmsghdr align;
	} resp;
	struct nlmsghdr *nlh = &resp.align;
	struct unix_diag_msg *msg;
	struct stat st;
	ssize_t n;
	int nl, len;

	if (fstat(fd, &st))
		return -errno;
	req.r.udiag_ino = st.st_ino;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	if (send(nl, &req, sizeof(req), 0) < 0) {
		int err = -errno;

		close(nl);
		return err;
	}
	n = recv(nl, resp.buf, sizeof(resp.buf), 0);
	close(nl);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nlh, (size_t)n))
		return -EPROTO;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EPROTO;
	}
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
		return -EPROTO;
	msg = NLMSG_DATA(nlh);
	if (msg->udiag_ino != st.st_ino)
		return -EPROTO;
	*peer = 0;
	len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*msg));
	for (struct nlattr *a = (struct nlattr *)(msg + 1);
	     len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
			   a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == UNIX_DIAG_PEER && a->nla_len >= NLA_HDRLEN + sizeof(uint32_t)) {
			uint32_t ino;

			memcpy(&ino, (char *)a + NLA_HDRLEN, sizeof(ino));
			*peer = ino;
		}
	}
	return 0;
}

/* Whether process @pid has the socket with inode @ino open. Returns 0, -ESTALE when it has
 * not, -ESRCH when it is gone, or -errno. */
static int holds_socket(pid_t pid, uint64_t ino)
{
	char dir[64], want[48], link[64];
	struct dirent *de;
	int ret = -ESTALE;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (ret && (de = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = '\0';
			if (!strcmp(link, want))
				ret = 0;
		}
	}
	closedir(d);
	return ret;
}

/* A pidfd for the process that connected on @fd, whose pid SO_PEERCRED says is @pid. The
 * kernel's SO_PEERPIDFD (Linux 6.5) is exact. Without it, pidfd_open(@pid) could name a process
 * that got the pid after the caller exited, even before the connection was accepted: so the
 * process must hold the other end of this connection, else it is not the caller (-ESTALE). */
int wd_ctl_peer_pidfd(int fd, pid_t pid, bool no_peer_pidfd, int *out)
{
	socklen_t len = sizeof(*out);
	uint64_t peer;
	int pidfd, err;

	*out = -1;
	if (pid <= 0)
		return -ESRCH;
	if (!no_peer_pidfd) {
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len)) {
			*out = pidfd;
			return 0;
		}
		if (errno != ENOPROTOOPT)
			return -ESRCH; /* the caller has exited */
	}
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		return -errno;
	err = unix_peer_ino(fd, &peer);
	if (!err)
		err = peer ? holds_socket(pid, peer) : -ESRCH;
	/* Checked after the look at /proc/PID/fd: it was this process's. */
	if (!err && !pidfd_alive(pidfd))
		err = -ESRCH;
	if (err) {
		close(pidfd);
		return err;
	}
	*out = pidfd;
	return 0;
}

/* SO_PEERCRED and SO_PEERGROUPS. */
int wd_ctl_peer_creds(int fd, struct wd_ctl_peer *p)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t *groups = NULL;
	size_t cap = 32;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return -errno;
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	for (;;) {
		gid_t *ng = realloc(groups, cap * sizeof(gid_t));

		if (!ng) {
			free(groups);
			return -ENOMEM;
		}
		groups = ng;
		len = cap * sizeof(gid_t);
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
			break;
		/* The kernel says how much it needs. */
		if (errno != ERANGE || len <= cap * sizeof(gid_t) ||
		    len > NGROUPS_MAX * sizeof(gid_t)) {
			int err = -errno;

			free(groups);
			return err;
		}
		cap = len / sizeof(gid_t);
	}
	p->groups = groups;
	p->n_groups = len / sizeof(gid_t);
	return 0;
}
