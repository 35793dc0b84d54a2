// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syslog sink: RFC 5424 messages over TCP with octet-counting framing (RFC 6587, "LEN SP
 * MSG"), so a message may hold any byte without breaking the stream. TCP syslog has no
 * acknowledgements: delivery is at most once (what the kernel took before the collector died
 * is gone); while the collector is away, the pipeline's queue holds the events.
 * The messages are user/export/sink_syslog_format.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "export/sink.h"
#include "export/sink_conn.h"
#include "export/sink_syslog.h"
#include "lib/sockaddr.h"

#define WAIT_MS	 100
#define CLOSE_MS 1000

struct sink_syslog {
	struct wd_conn *conn;
	struct wd_syslog_opts o;
	char hostname[WD_SYSLOG_HOSTNAME_MAX + 1];
	char app_name[WD_SYSLOG_APP_NAME_MAX + 1];
	bool blocked;
	struct wd_sink_log log;
	char frame[16 + WD_SYSLOG_MSG_MAX];
};

/* Hangs up on nothing: reads and drops what the collector sends, to notice when it closes. */
static void drain_input(struct sink_syslog *s)
{
	char buf[256];

	while (wd_conn_recv(s->conn, buf, sizeof(buf)) > 0)
		;
}

static int syslog_write(void *impl, const uint8_t *rec, size_t rec_len, const Warden__V1__Event *ev)
{
	struct sink_syslog *s = impl;
	int n, pre, ret;

	if (!ev)
		return -EINVAL;
	/* The message goes after room for its length: "65536 " is the longest prefix. */
	n = wd_syslog_format(&s->o, ev, s->frame + 16, WD_SYSLOG_MSG_MAX);
	if (n < 0)
		return -EMSGSIZE;
	pre = (int)wd_put_dec(s->frame, (uint64_t)n);
	s->frame[pre++] = ' ';
	memmove(s->frame + pre, s->frame + 16, (size_t)n);
	ret = wd_conn_send(s->conn, s->frame, (size_t)(pre + n), WAIT_MS);
	s->blocked = ret == -EAGAIN || ret == -ENOTCONN;
	return s->blocked ? -EAGAIN : ret;
}

static int syslog_flush(void *impl)
{
	struct sink_syslog *s = impl;

	drain_input(s);
	wd_conn_flush(s->conn, WAIT_MS);
	return 0;
}

static int syslog_tick(void *impl, uint64_t now_ns)
{
	struct sink_syslog *s = impl;
	int ret = wd_conn_tick(s->conn, s->blocked ? WAIT_MS : 0);

	drain_input(s);
	wd_conn_flush(s->conn, s->blocked ? WAIT_MS : 0);
	return ret;
}

static void syslog_describe(void *impl, char *buf, size_t size)
{
	struct sink_syslog *s = impl;

	wd_conn_describe(s->conn, buf, size);
}

static uint64_t syslog_close(void *impl)
{
	struct sink_syslog *s = impl;

	if (wd_conn_connected(s->conn))
		wd_conn_flush(s->conn, CLOSE_MS);
	if (wd_conn_buffered(s->conn))
		wd_sink_logf(&s->log, "syslog sink: ", "%zu bytes of messages could not be sent",
			     wd_conn_buffered(s->conn));
	wd_conn_free(s->conn);
	free(s);
	return 0;
}

static const struct wd_sink_ops syslog_ops = {
	.kind = "syslog",
	.wants_event = true,
	.write = syslog_write,
	.flush = syslog_flush,
	.tick = syslog_tick,
	.describe = syslog_describe,
	.close = syslog_close,
};

/* The node name as a HOSTNAME: what RFC 5424 does not allow becomes '_'. */
static void hostname_from(char *dst, const char *node)
{
	size_t i = 0;

	for (; node && node[i] && i < WD_SYSLOG_HOSTNAME_MAX; i++)
		dst[i] =
			(unsigned char)node[i] < 33 || (unsigned char)node[i] > 126 ? '_' : node[i];
	if (i == 0)
		dst[i++] = '-';
	dst[i] = '\0';
}

int wd_sink_syslog_backend(const struct wd_sink_cfg *c, const char *node,
			   const struct wd_sink_ops **ops, void **impl, char *err, size_t err_size)
{
	struct wd_sockaddr_cfg addr;
	struct wd_conn_opts co;
	struct sink_syslog *s;
	int ret;

	ret = wd_conn_opts_cfg(c, "a syslog sink needs address: tcp:HOST:PORT", &addr, &co, err,
			       err_size);
	if (ret)
		return ret;
	if (!addr.tcp) {
		snprintf(err, err_size,
			 "address \"%s\": a syslog sink speaks TCP (RFC 6587): write "
			 "tcp:HOST:PORT",
			 c->address);
		return -EINVAL;
	}
	if (c->facility < 0 || c->facility > 23) {
		snprintf(err, err_size,
			 "facility %d: expected a number from 0 to 23 (13: log audit)",
			 c->facility);
		return -EINVAL;
	}
	if (c->app_name && !wd_syslog_field_valid(c->app_name, WD_SYSLOG_APP_NAME_MAX)) {
		snprintf(err, err_size,
			 "app_name \"%s\": 1 to 48 printable ASCII characters, no spaces",
			 c->app_name);
		return -EINVAL;
	}
	if (c->hostname && !wd_syslog_field_valid(c->hostname, WD_SYSLOG_HOSTNAME_MAX)) {
		snprintf(err, err_size,
			 "hostname \"%s\": 1 to 255 printable ASCII characters, no spaces",
			 c->hostname);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || wd_conn_new(&s->conn, &co)) {
		free(s);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (c->hostname)
		strcpy(s->hostname, c->hostname);
	else
		hostname_from(s->hostname, node);
	strcpy(s->app_name, c->app_name ? c->app_name : WD_SYSLOG_APP_NAME);
	s->o.facility = c->facility ? c->facility : WD_SYSLOG_FACILITY;
	s->o.hostname = s->hostname;
	s->o.app_name = s->app_name;
	wd_sink_log_init(&s->log, c);
	*ops = &syslog_ops;
	*impl = s;
	return 0;
}
