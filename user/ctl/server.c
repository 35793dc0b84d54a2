// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's listening socket: made with the right owner, mode and ACL before anyone can
 * connect, guarded against a second daemon, and accepting connections up to the limit. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl/control.h"
#include "ctl/internal.h"

#define LISTEN_BACKLOG 128

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
		wd_ctl_tell(fd, WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED, msg);
		close(fd);
		snprintf(err, size, "refused a connection: %u connections are open, the limit",
			 s->n_conns);
		return -EBUSY;
	}
	return wd_ctl_conn_open(s, fd, out, err, size);
}
