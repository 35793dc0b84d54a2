// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's collector: the other end of the stream and syslog sinks. A thread on the other CPUs
 * accepts their connections, reassembles and tallies every stream record, and counts the syslog
 * frames (octet-counting). */
#include "evbench.h"

struct conn {
	int fd, kind;
	uint8_t *buf; /* stream: frames are reassembled here and tallied */
	size_t have;
	uint64_t syslog_len, syslog_skip; /* syslog: octet-counting, only counted */
	bool in_body;
};

static void conn_close(struct collector *c, struct conn *k)
{
	epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	free(k->buf);
	free(k);
	pthread_mutex_lock(&c->mu);
	c->open--;
	pthread_mutex_unlock(&c->mu);
}

static void stream_data(struct collector *c, struct conn *k)
{
	size_t off = 0;

	for (;;) {
		uint64_t len;
		int n = wd_pb_varint_get(k->buf + off, k->have - off, &len);

		if (n < 0 || len > WD_PB_RECORD_MAX) {
			c->errors++;
			off = k->have;
			break;
		}
		if (n == 0 || k->have - off - (size_t)n < len)
			break;
		tally_record(&c->stream, k->buf + off + n, len);
		off += (size_t)n + len;
	}
	memmove(k->buf, k->buf + off, k->have - off);
	k->have -= off;
}

static void syslog_data(struct collector *c, struct conn *k, const uint8_t *p, size_t n)
{
	while (n) {
		if (k->in_body) {
			size_t take = k->syslog_skip < n ? k->syslog_skip : n;

			k->syslog_skip -= take;
			p += take;
			n -= take;
			if (!k->syslog_skip) {
				k->in_body = false;
				c->syslog_frames++;
			}
			continue;
		}
		if (*p >= '0' && *p <= '9' && k->syslog_len < (1u << 30)) {
			k->syslog_len = k->syslog_len * 10 + (uint64_t)(*p - '0');
		} else if (*p == ' ' && k->syslog_len) {
			k->syslog_skip = k->syslog_len;
			k->syslog_len = 0;
			k->in_body = true;
		} else {
			c->errors++;
			k->syslog_len = 0;
		}
		p++;
		n--;
	}
}

static void *collector_main(void *arg)
{
	struct collector *c = arg;
	static uint8_t scratch[256 * 1024];

	c->tid = (pid_t)syscall(SYS_gettid);
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(c->ep, ev, 16, -1);

		for (int i = 0; i < n; i++) {
			void *ptr = ev[i].data.ptr;

			if (ptr == &c->stop_fd)
				return NULL;
			if (ptr == &c->lfd[C_STREAM] || ptr == &c->lfd[C_SYSLOG]) {
				int kind = ptr == &c->lfd[C_STREAM] ? C_STREAM : C_SYSLOG;
				int fd = accept4(c->lfd[kind], NULL, NULL, SOCK_CLOEXEC);
				struct conn *k;
				struct epoll_event e = {.events = EPOLLIN};

				if (fd < 0)
					continue;
				k = calloc(1, sizeof(*k));
				if (k && kind == C_STREAM)
					k->buf = malloc(2 * (WD_PB_RECORD_MAX + WD_PB_VARINT_MAX));
				if (!k || (kind == C_STREAM && !k->buf)) {
					free(k);
					close(fd);
					continue;
				}
				k->fd = fd;
				k->kind = kind;
				e.data.ptr = k;
				pthread_mutex_lock(&c->mu);
				c->open++;
				pthread_mutex_unlock(&c->mu);
				epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &e);
				continue;
			}
			struct conn *k = ptr;
			ssize_t got;

			if (k->kind == C_STREAM) {
				size_t room = 2 * (WD_PB_RECORD_MAX + WD_PB_VARINT_MAX) - k->have;

				got = read(k->fd, k->buf + k->have, room);
				if (got > 0) {
					k->have += (size_t)got;
					pthread_mutex_lock(&c->mu);
					stream_data(c, k);
					pthread_mutex_unlock(&c->mu);
				}
			} else {
				got = read(k->fd, scratch, sizeof(scratch));
				if (got > 0) {
					pthread_mutex_lock(&c->mu);
					syslog_data(c, k, scratch, (size_t)got);
					pthread_mutex_unlock(&c->mu);
				}
			}
			if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
				conn_close(c, k);
		}
	}
}

int collector_start(struct collector *c, const char *dir, const cpu_set_t *cpus)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	struct epoll_event e = {.events = EPOLLIN};
	pthread_attr_t attr;
	int err;

	pthread_mutex_init(&c->mu, NULL);
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	c->lfd[C_STREAM] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->lfd[C_SYSLOG] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->ep < 0 || c->stop_fd < 0 || c->lfd[C_STREAM] < 0 || c->lfd[C_SYSLOG] < 0)
		return -errno;
	snprintf(c->stream_path, sizeof(c->stream_path), "%s/stream.sock", dir);
	if (strlen(c->stream_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, c->stream_path);
	unlink(c->stream_path);
	if (bind(c->lfd[C_STREAM], (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(c->lfd[C_STREAM], 16) ||
	    bind(c->lfd[C_SYSLOG], (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(c->lfd[C_SYSLOG], 16) ||
	    getsockname(c->lfd[C_SYSLOG], (struct sockaddr *)&sin, &sl))
		return -errno;
	c->syslog_port = ntohs(sin.sin_port);
	e.data.ptr = &c->stop_fd;
	epoll_ctl(c->ep, EPOLL_CTL_ADD, c->stop_fd, &e);
	for (int k = 0; k < C_NR; k++) {
		e.data.ptr = &c->lfd[k];
		epoll_ctl(c->ep, EPOLL_CTL_ADD, c->lfd[k], &e);
	}
	pthread_attr_init(&attr);
	if (cpus)
		pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
	err = -pthread_create(&c->th, &attr, collector_main, c);
	pthread_attr_destroy(&attr);
	if (err)
		return err;
	c->started = true;
	pthread_setname_np(c->th, "evb-collector");
	return pthread_getcpuclockid(c->th, &c->clk) ? -EINVAL : 0;
}

void collector_stop(struct collector *c)
{
	uint64_t one = 1;

	if (!c->started)
		return;
	if (write(c->stop_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(c->th, NULL);
	c->started = false;
	unlink(c->stream_path);
	tally_free(&c->stream);
}

/* Waits (up to 3 s) until the sinks' connections are closed and read to their end. */
bool collector_idle(struct collector *c)
{
	uint64_t end = now_ns() + 3000000000ull;
	int open;

	do {
		pthread_mutex_lock(&c->mu);
		open = c->open;
		pthread_mutex_unlock(&c->mu);
		if (!open)
			return true;
		usleep(1000);
	} while (now_ns() < end);
	return false;
}
