// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One control connection in the daemon's epoll loop: non-blocking reads of a whole request
 * (with the file descriptors a run request carries), authorisation from the caller's
 * credentials, and the response written back, each read and write against a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "ctl/control.h"
#include "ctl/internal.h"

/* Tells the other end why it is being dropped, if its socket takes it now; best effort. */
void wd_ctl_tell(int fd, Warden__V1__Error__Code code, const char *message)
{
	uint8_t buf[ERR_FRAME_MAX];
	size_t n = wd_ctl_pack_error(buf, code, message);

	if (n && send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* Nothing more can be done: the connection is being closed anyway. */
	}
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
	ret = wd_ctl_peer_creds(fd, &c->peer);
	if (ret) {
		snprintf(err, size, "cannot read the credentials of a control client: %s",
			 strerror(-ret));
		close(fd);
		free(c);
		return ret;
	}
	/* Without a pidfd every request is refused, with the reason: see wd_ctl_conn_authorize. */
	c->pidfd_err = wd_ctl_peer_pidfd(fd, c->peer.pid, s && s->no_peer_pidfd, &c->pidfd);
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
		wd_ctl_tell(c->fd, code, err);
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
		err = wd_ctl_pidfd_cgroup(c->pidfd, p->pid, p->cgroup, sizeof(p->cgroup));
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
