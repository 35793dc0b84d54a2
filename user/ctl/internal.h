/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of ctl/ share and nobody outside sees: the listening socket's and a
 * connection's state, the packed error frame told to a client before it is dropped, and the
 * peer-credential calls a connection makes (peer.c). */
#ifndef WD_CTL_INTERNAL_H
#define WD_CTL_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/control.h"

#define NS_PER_MS 1000000ull
/* Packed error responses are built on the stack: no allocation on the refusal paths. */
#define ERR_FRAME_MAX (WD_CTL_HDR_LEN + WD_CTL_ERR_MAX + 64)

static inline void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline int sun_set(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* --- Server and connections (server.c, conn.c) ------------------------------------------ */

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

/* An error response packed into @buf (at least ERR_FRAME_MAX bytes). Returns its length
 * (proto.c). */
size_t wd_ctl_pack_error(uint8_t *buf, Warden__V1__Error__Code code, const char *message);

/* Tells the other end why it is being dropped, if its socket takes it now; best effort
 * (conn.c). */
void wd_ctl_tell(int fd, Warden__V1__Error__Code code, const char *message);

/* --- The caller's credentials (peer.c) --------------------------------------------------- */

/* SO_PEERCRED and SO_PEERGROUPS of the connection @fd into @p. */
int wd_ctl_peer_creds(int fd, struct wd_ctl_peer *p);

/* A pidfd for the process that connected on @fd, whose pid SO_PEERCRED says is @pid: 0 with
 * *@out, -ESRCH when it has exited, -ESTALE when the process at @pid does not hold the
 * connection, or -errno. */
int wd_ctl_peer_pidfd(int fd, pid_t pid, bool no_peer_pidfd, int *out);

/* The cgroup of the process behind @pidfd (whose pid is @pid), as wd_ctl_parse_proc_cgroup
 * gives it; -ESRCH when the process is gone. */
int wd_ctl_pidfd_cgroup(int pidfd, pid_t pid, char *path, size_t size);

#endif
