// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI's side of the control socket: connecting to the daemon, sending a request (with the
 * file descriptors of run) and reading its answers, each within a deadline, with a sentence for
 * people when the exchange fails. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "ctl/control.h"
#include "ctl/internal.h"

#define CONNECT_RETRY_MS 10

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
