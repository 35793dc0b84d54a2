// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The other end of the stream sink for host tests (tests/lib/collector.h): a collector process
 * written from the framing rule (varint length, then a warden.v1.Event decoded with protobuf-c)
 * that stores each record's seq in a file, and what its files hold afterwards. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "warden/v1/event.pb-c.h"

#define COLL_BUF (1 << 20)

uint64_t wt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int coll_listen(const struct wt_coll *c)
{
	int one = 1, fd;

	if (c->unix_path[0]) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};

		strcpy(un.sun_path, c->unix_path);
		unlink(c->unix_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)))
			return -1;
	} else {
		struct sockaddr_in in = {.sin_family = AF_INET,
					 .sin_port = htons(c->port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&in, sizeof(in)))
			return -1;
	}
	return listen(fd, 8) ? -1 : fd;
}

/* Decodes a varint at @p; returns bytes used, 0 if incomplete, -1 if malformed. */
static int varint(const uint8_t *p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return (int)i + 1;
	}
	return n >= 10 ? -1 : 0;
}

static void coll_ack(int fd, uint64_t seq)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n++] = (uint8_t)(seq & 0x7f) | (seq >= 0x80 ? 0x80 : 0);
		seq >>= 7;
	} while (seq);
	if (write(fd, b, n) != (ssize_t)n)
		_exit(5);
}

static void coll_store(int store, uint64_t seq)
{
	if (write(store, &seq, sizeof(seq)) != sizeof(seq))
		_exit(4);
}

static __attribute__((noreturn)) void coll_main(const struct wt_coll *c, int ready)
{
	uint8_t *buf = malloc(COLL_BUF);
	int lfd = coll_listen(c), store;
	long stored = 0;

	if (!buf || lfd < 0)
		_exit(2);
	store = open(c->store, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (store < 0 || write(ready, "r", 1) != 1)
		_exit(3);
	close(ready);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		size_t have = 0;

		if (fd < 0)
			continue;
		for (;;) {
			size_t off = 0;
			uint64_t last = 0;
			bool any = false;
			ssize_t n;

			if (c->pause_after >= 0 && stored >= c->pause_after)
				for (;;)
					pause();
			n = read(fd, buf + have, COLL_BUF - have);
			if (n <= 0)
				break; /* a record cut by the sender's broken connection is dropped
					*/
			have += (size_t)n;
			for (;;) {
				Warden__V1__Event *ev;
				uint64_t len, seq;
				int vl = varint(buf + off, have - off, &len);

				if (vl < 0 || len > COLL_BUF / 2) {
					coll_store(store, WT_COLL_CORRUPT);
					_exit(6);
				}
				if (vl == 0 || have - off - (size_t)vl < len)
					break;
				ev = warden__v1__event__unpack(NULL, len, buf + off + vl);
				seq = ev && ev->header ? ev->header->seq : WT_COLL_CORRUPT;
				if (ev)
					warden__v1__event__free_unpacked(ev, NULL);
				/* Stored before it is acknowledged: a SIGKILL after the write keeps
				 * it (the page cache outlives the process). */
				coll_store(store, seq);
				last = seq;
				any = true;
				off += (size_t)vl + len;
				if (c->pause_after >= 0 && ++stored >= c->pause_after)
					break;
			}
			memmove(buf, buf + off, have - off);
			have -= off;
			if (c->ack && any)
				coll_ack(fd, last);
		}
		close(fd);
	}
}

int wt_coll_start(struct wt_coll *c)
{
	int p[2];
	char r;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(p[0]);
		coll_main(c, p[1]);
	}
	close(p[1]);
	if (read(p[0], &r, 1) != 1) {
		close(p[0]);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
		return -EIO;
	}
	close(p[0]);
	return 0;
}

void wt_coll_kill(struct wt_coll *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	c->pid = 0;
}

static int tally_file(const char *store, uint64_t n, uint8_t *seen, struct wt_tally *t,
		      uint64_t *first)
{
	uint64_t seq;
	int fd = open(store, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (read(fd, &seq, sizeof(seq)) == sizeof(seq)) {
		if (first && !t->b_first)
			*first = seq;
		t->records++;
		if (seq == 0 || seq > n)
			t->corrupt++;
		else if (seen[seq]++)
			t->dups++;
	}
	close(fd);
	return 0;
}

int wt_tally(const char *a, const char *b, uint64_t n, struct wt_tally *t)
{
	uint8_t *seen = calloc(n + 1, 1);
	int ret = -1;

	memset(t, 0, sizeof(*t));
	if (seen && !tally_file(a, n, seen, t, NULL) && !tally_file(b, n, seen, t, &t->b_first)) {
		for (uint64_t i = 1; i <= n; i++)
			if (!seen[i] && !t->missing++)
				t->first_missing = i;
		ret = 0;
	}
	free(seen);
	return ret;
}

bool wt_coll_has_seq(const char *store, uint64_t want)
{
	int fd = open(store, O_RDONLY | O_CLOEXEC);
	uint64_t seq;
	bool found = false;

	if (fd < 0)
		return false;
	while (!found && read(fd, &seq, sizeof(seq)) == sizeof(seq))
		found = seq == want;
	close(fd);
	return found;
}

uint16_t wt_free_port(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&in, sizeof(in)) &&
	    !getsockname(fd, (struct sockaddr *)&in, &len))
		port = ntohs(in.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
