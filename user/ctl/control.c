// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket. The caller's credentials come from the kernel (SO_PEERCRED and
 * SO_PEERGROUPS, fixed when it connected); its cgroup is read on every request through a pidfd
 * of the process that connected, so that a pid reused by another process cannot answer for it. */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "lib/clock.h"
#include "ctl/control.h"

/* Linux 6.5: a pidfd of the process that connected, taken when it connected. */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

#define NS_PER_MS 1000000ull
/* /proc/PID/cgroup lists one line per hierarchy, each path at most PATH_MAX. */
#define PROC_CGROUP_MAX (256 * 1024)
/* Packed error responses are built on the stack: no allocation on the refusal paths. */
#define ERR_FRAME_MAX	 (WD_CTL_HDR_LEN + WD_CTL_ERR_MAX + 64)
#define LISTEN_BACKLOG	 128
#define CONNECT_RETRY_MS 10

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* --- Framing --------------------------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int wd_ctl_frame_len(const uint8_t hdr[WD_CTL_HDR_LEN], uint32_t *len)
{
	*len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	return *len > WD_CTL_MSG_MAX ? -EMSGSIZE : 0;
}

int wd_ctl_encode(const ProtobufCMessage *msg, uint8_t **buf, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b;

	if (n > WD_CTL_MSG_MAX)
		return -EMSGSIZE;
	b = malloc(WD_CTL_HDR_LEN + n);
	if (!b)
		return -ENOMEM;
	put_be32(b, n);
	protobuf_c_message_pack(msg, b + WD_CTL_HDR_LEN);
	*buf = b;
	*len = WD_CTL_HDR_LEN + n;
	return 0;
}

static int decode(const ProtobufCMessageDescriptor *d, const uint8_t *frame, size_t len,
		  ProtobufCMessage **out)
{
	uint32_t n;
	int err;

	if (len < WD_CTL_HDR_LEN)
		return -EPROTO;
	err = wd_ctl_frame_len(frame, &n);
	if (err)
		return err;
	if (len - WD_CTL_HDR_LEN != n)
		return -EPROTO;
	*out = protobuf_c_message_unpack(d, NULL, n, frame + WD_CTL_HDR_LEN);
	return *out ? 0 : -EPROTO;
}

int wd_ctl_decode_request(const uint8_t *frame, size_t len, Warden__V1__Request **out)
{
	return decode(&warden__v1__request__descriptor, frame, len, (ProtobufCMessage **)out);
}

int wd_ctl_decode_response(const uint8_t *frame, size_t len, Warden__V1__Response **out)
{
	return decode(&warden__v1__response__descriptor, frame, len, (ProtobufCMessage **)out);
}

/* An error response packed into @buf (at least ERR_FRAME_MAX bytes). Returns its length. */
static size_t pack_error(uint8_t *buf, Warden__V1__Error__Code code, const char *message)
{
	Warden__V1__Response resp = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Error e = WARDEN__V1__ERROR__INIT;
	char msg[WD_CTL_ERR_MAX];
	size_t n;

	/* Bounded so that the packed size is too (ERR_FRAME_MAX leaves room for the tags). */
	snprintf(msg, sizeof(msg), "%s", message);
	e.code = code;
	e.message = msg;
	resp.error = &e;
	n = protobuf_c_message_get_packed_size(&resp.base);
	if (n > ERR_FRAME_MAX - WD_CTL_HDR_LEN)
		return 0;
	put_be32(buf, n);
	protobuf_c_message_pack(&resp.base, buf + WD_CTL_HDR_LEN);
	return WD_CTL_HDR_LEN + n;
}

/* Tells the other end why it is being dropped, if its socket takes it now; best effort. */
static void tell(int fd, Warden__V1__Error__Code code, const char *message)
{
	uint8_t buf[ERR_FRAME_MAX];
	size_t n = pack_error(buf, code, message);

	if (n && send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* Nothing more can be done: the connection is being closed anyway. */
	}
}

/* --- Operations ------------------------------------------------------------------------ */

bool wd_ctl_op_is_read(wd_ctl_op op)
{
	switch (op) {
	case WARDEN__V1__REQUEST__OP_SANDBOX_LIST:
	case WARDEN__V1__REQUEST__OP_SANDBOX_SHOW:
	case WARDEN__V1__REQUEST__OP_POLICY_SHOW:
	case WARDEN__V1__REQUEST__OP_POLICY_CHECK:
	case WARDEN__V1__REQUEST__OP_POLICY_DIFF:
	case WARDEN__V1__REQUEST__OP_STATUS:
		return true;
	default:
		return false;
	}
}

const char *wd_ctl_op_name(wd_ctl_op op)
{
	switch (op) {
	case WARDEN__V1__REQUEST__OP_RUN:
		return "run";
	case WARDEN__V1__REQUEST__OP_SANDBOX_CREATE:
		return "sandbox create";
	case WARDEN__V1__REQUEST__OP_SANDBOX_LIST:
		return "sandbox list";
	case WARDEN__V1__REQUEST__OP_SANDBOX_SHOW:
		return "sandbox show";
	case WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE:
		return "sandbox revoke";
	case WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT:
		return "sandbox adopt";
	case WARDEN__V1__REQUEST__OP_POLICY_APPLY:
		return "policy apply";
	case WARDEN__V1__REQUEST__OP_POLICY_SHOW:
		return "policy show";
	case WARDEN__V1__REQUEST__OP_POLICY_CHECK:
		return "policy check";
	case WARDEN__V1__REQUEST__OP_POLICY_DIFF:
		return "policy diff";
	case WARDEN__V1__REQUEST__OP_STATUS:
		return "status";
	default:
		return "unknown operation";
	}
}

/* --- Authorisation --------------------------------------------------------------------- */

void wd_ctl_peer_free(struct wd_ctl_peer *p)
{
	free(p->groups);
	p->groups = NULL;
	p->n_groups = 0;
}

static bool in_group(const struct wd_ctl_peer *p, gid_t g)
{
	if (p->gid == g)
		return true;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == g)
			return true;
	return false;
}

bool wd_ctl_in_sandbox(const struct wd_ctl_auth *a, const char *cgroup)
{
	const char *root = a->sandbox_root ? a->sandbox_root : "/warden";
	size_t n = strlen(root);

	while (n && root[n - 1] == '/')
		n--;
	if (!strncmp(cgroup, root, n) && cgroup[n] == '/' && !strncmp(cgroup + n + 1, "sb-", 3))
		return true;
	return a->is_sandboxed && a->is_sandboxed(cgroup, a->arg);
}

int wd_ctl_authorize(const struct wd_ctl_auth *a, const struct wd_ctl_peer *p, wd_ctl_op op,
		     char *why, size_t size)
{
	const char *name = wd_ctl_op_name(op);
	bool reader;

	if (!p->cgroup[0]) {
		snprintf(why, size,
			 "permission denied: cannot tell whether pid %d (uid %u) runs inside a "
			 "sandbox: its cgroup is unknown%s",
			 (int)p->pid, (unsigned)p->uid,
			 p->pid ? "" : " (it is in a pid namespace the daemon cannot see into)");
		return -EACCES;
	}
	if (wd_ctl_in_sandbox(a, p->cgroup)) {
		snprintf(
			why, size,
			"permission denied: pid %d (uid %u) runs inside the sandbox cgroup %s, and "
			"sandboxed processes may not use the warden daemon",
			(int)p->pid, (unsigned)p->uid, p->cgroup);
		return -EACCES;
	}
	if (p->uid == 0 || (a->admin_group && in_group(p, a->admin_gid)))
		return 0;
	reader = a->read_group && in_group(p, a->read_gid);
	if (reader && wd_ctl_op_is_read(op))
		return 0;

	if (reader)
		snprintf(why, size,
			 "permission denied: uid %u is in the read-only group %s, and %s needs "
			 "root%s%s",
			 (unsigned)p->uid, a->read_group, name, a->admin_group ? " or group " : "",
			 a->admin_group ? a->admin_group : "");
	else if (a->admin_group && a->read_group && wd_ctl_op_is_read(op))
		snprintf(why, size,
			 "permission denied: uid %u is neither root nor in group %s or %s",
			 (unsigned)p->uid, a->admin_group, a->read_group);
	else if (a->admin_group)
		snprintf(why, size, "permission denied: uid %u is neither root nor in group %s",
			 (unsigned)p->uid, a->admin_group);
	else
		snprintf(why, size,
			 "permission denied: uid %u is not root, and the daemon names no admin "
			 "group",
			 (unsigned)p->uid);
	return -EACCES;
}

int wd_ctl_parse_proc_cgroup(const char *text, char *path, size_t size)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');

		if (!strncmp(line, "0::", 3)) {
			size_t n = end - (line + 3);

			if (n >= size)
				return -ENAMETOOLONG;
			memcpy(path, line + 3, n);
			path[n] = '\0';
			return n ? 0 : -ENOENT;
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

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
static int pidfd_cgroup(int pidfd, pid_t pid, char *path, size_t size)
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
static int peer_pidfd(int fd, pid_t pid, bool no_peer_pidfd, int *out)
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
static int peer_creds(int fd, struct wd_ctl_peer *p)
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

/* --- Server ---------------------------------------------------------------------------- */

struct wd_ctl_server {
	int fd, lock_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	unsigned timeout_ms, max_conns, n_conns;
	bool no_peer_pidfd;
};

enum conn_state { C_READ, C_BUSY, C_WRITE, C_BROKEN };

struct wd_ctl_conn {
	struct wd_ctl_server *srv;
	int fd, pidfd, pidfd_err;
	struct wd_ctl_peer peer;
	enum conn_state state;
	unsigned timeout_ms;
	uint64_t deadline;

	uint8_t hdr[WD_CTL_HDR_LEN];
	size_t hdr_got;
	uint8_t *body;
	uint32_t body_len, body_got;
	int fds[WD_CTL_FDS_MAX];
	unsigned n_fds;

	uint8_t *out;
	size_t out_len, out_sent;
	bool out_last;
};

static int sun_set(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* The socket's directory: made if missing, writable by its owner (root or us) only, so nobody
 * else can swap the socket; searchable by everyone so that the groups can reach the socket. */
static int prepare_dir(const char *dir, char *err, size_t size)
{
	struct stat st;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		int e = errno;

		snprintf(err, size, "cannot create the control socket directory %s: %s", dir,
			 strerror(e));
		return -e;
	}
	if (lstat(dir, &st)) {
		int e = errno;

		snprintf(err, size, "%s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, size, "%s is not a directory: the control socket cannot go there",
			 dir);
		return -ENOTDIR;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 0022)) {
		snprintf(err, size,
			 "%s (owner uid %u, mode %04o) is writable by others than root: anyone who "
			 "can write there could replace the control socket; use a directory only "
			 "root can write",
			 dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if ((st.st_mode & 0011) != 0011 && chmod(dir, (st.st_mode & 07777) | 0011)) {
		int e = errno;

		snprintf(err, size, "cannot let the groups reach %s (chmod o+x): %s", dir,
			 strerror(e));
		return -e;
	}
	return 0;
}

/* An access ACL (the kernel's xattr layout, little-endian) keeping owner and group rw, adding
 * @gid rw and nothing for others; the mode stays 0660. */
static int grant_group(const char *path, gid_t gid)
{
	struct {
		uint32_t version;
		struct {
			uint16_t tag, perm;
			uint32_t id;
		} __attribute__((packed)) e[5];
	} __attribute__((packed)) acl = {
		.version = htole32(2),
		.e =
			{
				{htole16(0x01), htole16(6), htole32(-1)},  /* ACL_USER_OBJ */
				{htole16(0x04), htole16(6), htole32(-1)},  /* ACL_GROUP_OBJ */
				{htole16(0x08), htole16(6), htole32(gid)}, /* ACL_GROUP */
				{htole16(0x10), htole16(6), htole32(-1)},  /* ACL_MASK */
				{htole16(0x20), htole16(0), htole32(-1)},  /* ACL_OTHER */
			},
	};

	return setxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0) ? -errno : 0;
}

/* Whether a daemon answers on the socket at @path. Returns 0 (stale), -EADDRINUSE (live) or
 * another -errno. */
static int probe_live(const char *path)
{
	struct sockaddr_un sa;
	int fd, err = 0;

	if (sun_set(&sa, path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno == EAGAIN)
		err = -EADDRINUSE;
	else if (errno != ECONNREFUSED)
		err = -errno;
	close(fd);
	return err;
}

int wd_ctl_server_open(struct wd_ctl_server **out, const struct wd_ctl_server_opts *o, char *err,
		       size_t size)
{
	const char *path = o->path ? o->path : WD_CTL_SOCK_PATH;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], lock[PATH_MAX], tmp[PATH_MAX];
	struct wd_ctl_server *s;
	struct sockaddr_un sa;
	struct stat st;
	char *slash;
	int ret;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if (path[0] != '/' || sun_set(&sa, tmp)) {
		snprintf(err, size,
			 "control socket path %s must be absolute and at most %zu bytes long", path,
			 sizeof(sa.sun_path) - 1 - (strlen(tmp) - strlen(path)));
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, size, "out of memory");
		return -ENOMEM;
	}
	s->fd = -1;
	s->lock_fd = -1;
	strcpy(s->path, path);
	s->timeout_ms = o->timeout_ms ? o->timeout_ms : WD_CTL_TIMEOUT_MS;
	s->max_conns = o->max_conns ? o->max_conns : WD_CTL_MAX_CONNS;
	s->no_peer_pidfd = o->no_peer_pidfd;

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	ret = prepare_dir(dir, err, size);
	if (ret)
		goto fail;

	/* Two daemons starting together must not both take the socket over. */
	snprintf(lock, sizeof(lock), "%s.lock", path);
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		ret = -errno;
		snprintf(err, size, "cannot open %s: %s", lock, strerror(-ret));
		goto fail;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		snprintf(err, size, "%s: %s", lock,
			 ret == -EADDRINUSE
				 ? "another warden daemon holds this lock: it is running; "
				   "stop it first"
				 : strerror(-ret));
		goto fail;
	}

	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			ret = -EEXIST;
			snprintf(err, size,
				 "%s exists and is not a socket: remove it if nothing needs it, or "
				 "configure another control socket path",
				 path);
			goto fail;
		}
		ret = probe_live(path);
		if (ret == -EADDRINUSE) {
			snprintf(err, size,
				 "another warden daemon is listening on %s: stop it first", path);
			goto fail;
		}
		if (ret) {
			snprintf(err, size, "cannot tell whether %s is in use: %s", path,
				 strerror(-ret));
			goto fail;
		}
		/* Stale: the rename below replaces it. */
	} else if (errno != ENOENT) {
		ret = -errno;
		snprintf(err, size, "%s: %s", path, strerror(-ret));
		goto fail;
	}

	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		ret = -errno;
		snprintf(err, size, "cannot create a unix socket: %s", strerror(-ret));
		goto fail;
	}
	unlink(tmp);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		snprintf(err, size, "cannot bind %s: %s", tmp, strerror(-ret));
		goto fail;
	}
	/* Not listening yet: nobody can connect before the permissions are right. */
	if (o->group && chown(tmp, -1, o->group)) {
		ret = -errno;
		snprintf(err, size, "cannot give %s to group %u: %s", tmp, (unsigned)o->group,
			 strerror(-ret));
		goto fail_unlink;
	}
	if (chmod(tmp, 0660)) {
		ret = -errno;
		snprintf(err, size, "cannot chmod 0660 %s: %s", tmp, strerror(-ret));
		goto fail_unlink;
	}
	if (o->read_group) {
		ret = grant_group(tmp, o->read_group);
		if (ret) {
			snprintf(err, size,
				 "cannot let the read-only group (gid %u) reach %s with a POSIX "
				 "ACL: "
				 "%s%s",
				 (unsigned)o->read_group, tmp, strerror(-ret),
				 ret == -EOPNOTSUPP
					 ? " (the file system has no ACLs: put the socket "
					   "on one that has, such as tmpfs)"
					 : "");
			goto fail_unlink;
		}
	}
	if (stat(tmp, &st) || rename(tmp, path)) {
		ret = -errno;
		snprintf(err, size, "cannot put the control socket in place at %s: %s", path,
			 strerror(-ret));
		goto fail_unlink;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->fd, LISTEN_BACKLOG)) {
		ret = -errno;
		snprintf(err, size, "cannot listen on %s: %s", path, strerror(-ret));
		unlink(path);
		goto fail;
	}
	*out = s;
	return 0;

fail_unlink:
	unlink(tmp);
fail:
	close_fd(&s->fd);
	close_fd(&s->lock_fd);
	free(s);
	return ret;
}

void wd_ctl_server_close(struct wd_ctl_server *s)
{
	struct stat st;

	if (!s)
		return;
	/* Another daemon may have replaced it since (after this one lost its lock?): keep that. */
	if (!lstat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	close_fd(&s->fd);
	close_fd(&s->lock_fd);
	free(s);
}

int wd_ctl_server_fd(const struct wd_ctl_server *s)
{
	return s->fd;
}

const char *wd_ctl_server_path(const struct wd_ctl_server *s)
{
	return s->path;
}

int wd_ctl_accept(struct wd_ctl_server *s, struct wd_ctl_conn **out, char *err, size_t size)
{
	char msg[128];
	int fd;

	fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		/* A client that gave up before it was accepted, or a signal: nothing to take. */
		if (e == EAGAIN || e == EWOULDBLOCK || e == ECONNABORTED || e == EINTR)
			return -EAGAIN;
		snprintf(err, size, "cannot accept a connection on %s: %s", s->path, strerror(e));
		return -e;
	}
	if (s->n_conns >= s->max_conns) {
		snprintf(msg, sizeof(msg),
			 "the warden daemon has %u connections open, its limit: try again later",
			 s->n_conns);
		tell(fd, WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED, msg);
		close(fd);
		snprintf(err, size, "refused a connection: %u connections are open, the limit",
			 s->n_conns);
		return -EBUSY;
	}
	return wd_ctl_conn_open(s, fd, out, err, size);
}

int wd_ctl_conn_open(struct wd_ctl_server *s, int fd, struct wd_ctl_conn **out, char *err,
		     size_t size)
{
	struct wd_ctl_conn *c;
	int flags, ret;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK)) {
		ret = -errno;
		snprintf(err, size, "control connection: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, size, "out of memory");
		close(fd);
		return -ENOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->timeout_ms = s ? s->timeout_ms : WD_CTL_TIMEOUT_MS;
	ret = peer_creds(fd, &c->peer);
	if (ret) {
		snprintf(err, size, "cannot read the credentials of a control client: %s",
			 strerror(-ret));
		close(fd);
		free(c);
		return ret;
	}
	/* Without a pidfd every request is refused, with the reason: see wd_ctl_conn_authorize. */
	c->pidfd_err = peer_pidfd(fd, c->peer.pid, s && s->no_peer_pidfd, &c->pidfd);
	c->state = C_READ;
	c->deadline = wd_clock_ns(CLOCK_MONOTONIC) + c->timeout_ms * NS_PER_MS;
	if (s)
		s->n_conns++;
	*out = c;
	return 0;
}

/* --- Connections ----------------------------------------------------------------------- */

int wd_ctl_conn_fd(const struct wd_ctl_conn *c)
{
	return c->fd;
}

const struct wd_ctl_peer *wd_ctl_conn_peer(const struct wd_ctl_conn *c)
{
	return &c->peer;
}

uint32_t wd_ctl_conn_events(const struct wd_ctl_conn *c)
{
	switch (c->state) {
	case C_READ:
		return EPOLLIN;
	case C_WRITE:
		return EPOLLOUT;
	default:
		return 0;
	}
}

uint64_t wd_ctl_conn_deadline(const struct wd_ctl_conn *c)
{
	return c->state == C_READ || c->state == C_WRITE ? c->deadline : 0;
}

static void close_fds(struct wd_ctl_conn *c)
{
	for (unsigned i = 0; i < c->n_fds; i++)
		close(c->fds[i]);
	c->n_fds = 0;
}

/* The connection is done for: tell the client why (if it can still hear it). */
static int drop(struct wd_ctl_conn *c, int ret, Warden__V1__Error__Code code, char *err,
		size_t size, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int drop(struct wd_ctl_conn *c, int ret, Warden__V1__Error__Code code, char *err,
		size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	if (code != WARDEN__V1__ERROR__CODE__CODE_UNSPECIFIED)
		tell(c->fd, code, err);
	close_fds(c);
	free(c->body);
	c->body = NULL;
	c->state = C_BROKEN;
	return ret;
}

/* Reads up to @len bytes, taking file descriptors that come with them. Returns the bytes read,
 * 0 at end of file, or -errno (-EAGAIN: nothing now; -EPROTO: too many descriptors). */
static ssize_t recv_some(struct wd_ctl_conn *c, void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * WD_CTL_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	bool excess = false;
	ssize_t n;

	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->n_fds < WD_CTL_FDS_MAX) {
				c->fds[c->n_fds++] = fd;
			} else {
				close(fd);
				excess = true;
			}
		}
	}
	if (excess || (mh.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	return n;
}

int wd_ctl_conn_read(struct wd_ctl_conn *c, Warden__V1__Request **req, char *err, size_t size)
{
	const Warden__V1__Error__Code P = WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR;
	const Warden__V1__Error__Code SILENT = WARDEN__V1__ERROR__CODE__CODE_UNSPECIFIED;

	*req = NULL;
	if (c->state == C_BROKEN) {
		snprintf(err, size, "the control connection is closed");
		return -EPIPE;
	}
	if (c->state != C_READ)
		return 0;
	for (;;) {
		bool in_hdr = c->hdr_got < WD_CTL_HDR_LEN;
		ssize_t n;

		if (in_hdr)
			n = recv_some(c, c->hdr + c->hdr_got, WD_CTL_HDR_LEN - c->hdr_got);
		else
			n = recv_some(c, c->body + c->body_got, c->body_len - c->body_got);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		if (n == -EPROTO)
			return drop(c, -EPROTO, P, err, size,
				    "more than %d file descriptors came with a request",
				    WD_CTL_FDS_MAX);
		if (n < 0)
			return drop(c, (int)n, SILENT, err, size, "control connection broke: %s",
				    strerror((int)-n));
		if (n == 0 && in_hdr && !c->hdr_got && !c->n_fds)
			return drop(c, -ESHUTDOWN, SILENT, err, size,
				    "the client closed the connection");
		if (n == 0)
			return drop(c, -EPROTO, SILENT, err, size,
				    "the client closed the connection in the middle of a request "
				    "(%zu of %u bytes)",
				    in_hdr ? c->hdr_got : WD_CTL_HDR_LEN + c->body_got,
				    in_hdr ? WD_CTL_HDR_LEN : WD_CTL_HDR_LEN + c->body_len);

		if (in_hdr) {
			c->hdr_got += n;
			if (c->hdr_got < WD_CTL_HDR_LEN)
				continue;
			/* The limit before the allocation and before reading anything more. */
			if (wd_ctl_frame_len(c->hdr, &c->body_len))
				return drop(c, -EMSGSIZE, P, err, size,
					    "request of %u bytes refused: the limit is %u bytes",
					    c->body_len, WD_CTL_MSG_MAX);
			c->body_got = 0;
			c->body = malloc(c->body_len ? c->body_len : 1);
			if (!c->body)
				return drop(c, -ENOMEM, WARDEN__V1__ERROR__CODE__INTERNAL, err,
					    size, "out of memory for a request of %u bytes",
					    c->body_len);
		} else {
			c->body_got += n;
		}
		if (c->hdr_got == WD_CTL_HDR_LEN && c->body_got == c->body_len)
			break;
	}

	*req = warden__v1__request__unpack(NULL, c->body_len, c->body);
	free(c->body);
	c->body = NULL;
	c->hdr_got = 0;
	if (!*req)
		return drop(c, -EPROTO, P, err, size,
			    "malformed request: %u bytes that are not a warden.v1.Request",
			    c->body_len);
	if (c->n_fds && (*req)->op_case != WARDEN__V1__REQUEST__OP_RUN) {
		warden__v1__request__free_unpacked(*req, NULL);
		*req = NULL;
		return drop(c, -EPROTO, P, err, size,
			    "file descriptors came with a request other than run");
	}
	c->state = C_BUSY;
	return 1;
}

unsigned wd_ctl_conn_take_fds(struct wd_ctl_conn *c, int fds[WD_CTL_FDS_MAX])
{
	unsigned n = c->n_fds;

	memcpy(fds, c->fds, n * sizeof(int));
	c->n_fds = 0;
	return n;
}

int wd_ctl_conn_authorize(struct wd_ctl_conn *c, const struct wd_ctl_auth *a,
			  const Warden__V1__Request *req, char *why, size_t size)
{
	struct wd_ctl_peer *p = &c->peer;
	int err = c->pidfd_err;

	p->cgroup[0] = '\0';
	if (p->pid <= 0) /* refused as unknown, with the reason */
		return wd_ctl_authorize(a, p, req->op_case, why, size);
	if (c->pidfd >= 0)
		err = pidfd_cgroup(c->pidfd, p->pid, p->cgroup, sizeof(p->cgroup));
	if (err == -ESRCH)
		snprintf(why, size,
			 "permission denied: the process that connected (pid %d, uid %u) has "
			 "exited, "
			 "so whether it was sandboxed cannot be checked; make requests from the "
			 "process that connects",
			 (int)p->pid, (unsigned)p->uid);
	else if (err == -ESTALE)
		snprintf(why, size,
			 "permission denied: the process with the caller's pid %d does not hold "
			 "this "
			 "connection: the caller exited and its pid was reused, or it passed the "
			 "connection on; make requests from the process that connects",
			 (int)p->pid);
	else if (err && c->pidfd < 0)
		snprintf(why, size,
			 "permission denied: cannot identify the process that connected (pid %d): "
			 "%s (without SO_PEERPIDFD, Linux 6.5, this needs unix socket diagnostics, "
			 "CONFIG_UNIX_DIAG)",
			 (int)p->pid, strerror(-err));
	else if (err)
		snprintf(why, size,
			 "permission denied: cannot read the cgroup of pid %d (uid %u) to check "
			 "that "
			 "it is not sandboxed: %s",
			 (int)p->pid, (unsigned)p->uid, strerror(-err));
	else
		return wd_ctl_authorize(a, p, req->op_case, why, size);
	return -EACCES;
}

int wd_ctl_conn_flush(struct wd_ctl_conn *c)
{
	if (c->state != C_WRITE)
		return c->state == C_BROKEN ? -EPIPE : 0;
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -EAGAIN;
		if (n < 0) {
			int e = errno;

			c->state = C_BROKEN;
			return -e;
		}
		c->out_sent += n;
	}
	free(c->out);
	c->out = NULL;
	if (c->out_last) {
		c->state = C_READ;
		c->deadline = wd_clock_ns(CLOCK_MONOTONIC) + c->timeout_ms * NS_PER_MS;
	} else {
		c->state = C_BUSY;
	}
	return 0;
}

int wd_ctl_conn_send(struct wd_ctl_conn *c, const Warden__V1__Response *resp, bool last)
{
	int err;

	if (c->state != C_BUSY)
		return c->state == C_BROKEN ? -EPIPE : -EINVAL;
	err = wd_ctl_encode(&resp->base, &c->out, &c->out_len);
	if (err)
		return err;
	c->out_sent = 0;
	c->out_last = last;
	c->state = C_WRITE;
	c->deadline = wd_clock_ns(CLOCK_MONOTONIC) + c->timeout_ms * NS_PER_MS;
	return wd_ctl_conn_flush(c);
}

int wd_ctl_conn_send_error(struct wd_ctl_conn *c, Warden__V1__Error__Code code, const char *message)
{
	Warden__V1__Response resp = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Error e = WARDEN__V1__ERROR__INIT;

	e.code = code;
	e.message = (char *)message;
	resp.error = &e;
	return wd_ctl_conn_send(c, &resp, true);
}

int wd_ctl_conn_expire(struct wd_ctl_conn *c, uint64_t now_ns, char *err, size_t size)
{
	uint64_t deadline = wd_ctl_conn_deadline(c);

	if (!deadline || now_ns < deadline)
		return 0;
	if (c->state == C_WRITE)
		return drop(c, -ETIMEDOUT, WARDEN__V1__ERROR__CODE__CODE_UNSPECIFIED, err, size,
			    "the client did not read its response within %u ms", c->timeout_ms);
	if (!c->hdr_got)
		return drop(c, -ETIMEDOUT, WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR, err, size,
			    "no request within %u ms: closing the connection", c->timeout_ms);
	return drop(c, -ETIMEDOUT, WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR, err, size,
		    "the request did not arrive whole within %u ms (%zu of %u bytes): closing "
		    "the connection",
		    c->timeout_ms, c->hdr_got < WD_CTL_HDR_LEN ? c->hdr_got : c->body_got + 4,
		    c->hdr_got < WD_CTL_HDR_LEN ? 0 : c->body_len + WD_CTL_HDR_LEN);
}

void wd_ctl_conn_close(struct wd_ctl_conn *c)
{
	if (!c)
		return;
	close_fds(c);
	close_fd(&c->pidfd);
	close_fd(&c->fd);
	free(c->body);
	free(c->out);
	wd_ctl_peer_free(&c->peer);
	if (c->srv)
		c->srv->n_conns--;
	free(c);
}

/* --- Client ---------------------------------------------------------------------------- */

/* Waits for @events on @fd until @deadline (CLOCK_MONOTONIC ns; 0: forever). */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int ms = -1, n;

		if (deadline) {
			uint64_t now = wd_clock_ns(CLOCK_MONOTONIC);

			if (now >= deadline)
				return -ETIMEDOUT;
			ms = (int)((deadline - now + NS_PER_MS - 1) / NS_PER_MS);
		}
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

static uint64_t deadline_in(unsigned timeout_ms)
{
	return timeout_ms ? wd_clock_ns(CLOCK_MONOTONIC) + timeout_ms * NS_PER_MS : 0;
}

int wd_ctl_connect(const char *path, unsigned timeout_ms, int *out, char *err, size_t size)
{
	uint64_t deadline = deadline_in(timeout_ms);
	struct sockaddr_un sa;
	const char *hint = "";
	int fd, e;

	if (!path)
		path = WD_CTL_SOCK_PATH;
	if (sun_set(&sa, path)) {
		snprintf(err, size, "cannot reach the warden daemon at %s: the path is too long",
			 path);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, size, "cannot create a unix socket: %s", strerror(e));
		return -e;
	}
	/* A unix socket whose backlog is full says EAGAIN instead of waiting: try again. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && (!deadline || wd_clock_ns(CLOCK_MONOTONIC) < deadline)) {
			poll(NULL, 0, CONNECT_RETRY_MS);
			continue;
		}
		close(fd);
		switch (e) {
		case ENOENT:
		case ECONNREFUSED:
			hint = ": is it running?";
			break;
		case EACCES:
		case EPERM:
			hint = ": only root and the groups the daemon's config names may use it";
			break;
		case EAGAIN:
			snprintf(err, size,
				 "cannot reach the warden daemon at %s: it accepted no connection "
				 "within %u ms: is it overloaded or hung?",
				 path, timeout_ms);
			return -ETIMEDOUT;
		}
		snprintf(err, size, "cannot reach the warden daemon at %s: %s%s", path, strerror(e),
			 hint);
		return -e;
	}
	*out = fd;
	return 0;
}

static int send_all(int fd, const uint8_t *buf, size_t len, const int *fds, unsigned n_fds,
		    uint64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * WD_CTL_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	size_t sent = 0;

	if (n_fds > WD_CTL_FDS_MAX)
		return -EINVAL;
	while (sent < len) {
		struct iovec iov = {.iov_base = (void *)(buf + sent), .iov_len = len - sent};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;
		int err;

		/* The descriptors travel with the first byte. */
		if (!sent && n_fds) {
			struct cmsghdr *cm;

			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			sent += n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

/* Reads exactly @len bytes. Returns 0, -ENODATA at end of file before the first byte, -EPROTO
 * at end of file after it, or -errno. */
static int recv_all(int fd, uint8_t *buf, size_t len, uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		int err;

		if (n > 0) {
			got += n;
			continue;
		}
		if (!n)
			return got ? -EPROTO : -ENODATA;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
	}
	return 0;
}

int wd_ctl_recv(int fd, Warden__V1__Response **resp, unsigned timeout_ms, char *err, size_t size)
{
	uint64_t deadline = deadline_in(timeout_ms);
	uint8_t hdr[WD_CTL_HDR_LEN], *body;
	uint32_t len;
	int ret;

	ret = recv_all(fd, hdr, sizeof(hdr), deadline);
	if (!ret && wd_ctl_frame_len(hdr, &len)) {
		snprintf(err, size,
			 "the warden daemon sent a message of %u bytes, over the limit of %u: is "
			 "it really a warden daemon?",
			 len, WD_CTL_MSG_MAX);
		return -EMSGSIZE;
	}
	body = NULL;
	if (!ret) {
		body = malloc(len ? len : 1);
		if (!body) {
			snprintf(err, size, "out of memory for a response of %u bytes", len);
			return -ENOMEM;
		}
		ret = recv_all(fd, body, len, deadline);
	}
	switch (ret) {
	case 0:
		break;
	case -ENODATA:
		snprintf(err, size,
			 "the warden daemon closed the connection without answering (its log may "
			 "say why)");
		break;
	case -EPROTO:
		snprintf(err, size, "the warden daemon closed the connection in mid-answer");
		break;
	case -ETIMEDOUT:
		snprintf(err, size, "the warden daemon did not answer within %u ms", timeout_ms);
		break;
	default:
		snprintf(err, size, "reading from the warden daemon: %s", strerror(-ret));
	}
	if (ret) {
		free(body);
		return ret == -ENODATA ? -ECONNRESET : ret;
	}
	*resp = warden__v1__response__unpack(NULL, len, body);
	free(body);
	if (!*resp) {
		snprintf(err, size,
			 "the warden daemon answered with %u bytes that are not a "
			 "warden.v1.Response: is it really a warden daemon?",
			 len);
		return -EPROTO;
	}
	return 0;
}

int wd_ctl_call(int fd, const Warden__V1__Request *req, const int *fds, unsigned n_fds,
		Warden__V1__Response **resp, unsigned timeout_ms, char *err, size_t size)
{
	uint8_t *buf;
	size_t len;
	int ret;

	ret = wd_ctl_encode(&req->base, &buf, &len);
	if (ret) {
		snprintf(err, size, "%s",
			 ret == -EMSGSIZE ? "request too large: a message may be at most 1 MiB "
					    "(is the policy that large?)"
					  : strerror(-ret));
		return ret;
	}
	ret = send_all(fd, buf, len, fds, n_fds, deadline_in(timeout_ms));
	free(buf);
	if (ret == -EPIPE || ret == -ECONNRESET) {
		/* It may have said why it hung up (too many connections, a refusal). */
		if (!wd_ctl_recv(fd, resp, timeout_ms, err, size))
			return 0;
		snprintf(err, size, "the warden daemon closed the connection: %s", strerror(-ret));
		return ret;
	}
	if (ret == -ETIMEDOUT) {
		snprintf(err, size, "the warden daemon did not take the request within %u ms",
			 timeout_ms);
		return ret;
	}
	if (ret) {
		snprintf(err, size, "sending to the warden daemon: %s", strerror(-ret));
		return ret;
	}
	return wd_ctl_recv(fd, resp, timeout_ms, err, size);
}
