/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Socket addresses as the config file writes them: "unix:/path", "unix:@abstract",
 * "tcp:HOST:PORT" and "tcp:[IPv6]:PORT". Parsed once at config time; host names are resolved
 * only when connecting (user/export/sink_conn.c), so a name that moves is followed. */
#ifndef WD_SOCKADDR_CFG_H
#define WD_SOCKADDR_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WD_SOCKADDR_TEXT_MAX 300
#define WD_SOCKADDR_HOST_MAX 253 /* a DNS name's longest text form */

struct wd_sockaddr_cfg {
	/* AF_UNIX, AF_INET or AF_INET6 when @sa is ready to connect; AF_UNSPEC for a TCP host
	 * name that is resolved at connect time. */
	int family;
	bool tcp;
	char host[WD_SOCKADDR_HOST_MAX + 1]; /* tcp: name or address, without brackets */
	char port_str[6];
	uint16_t port;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	char text[WD_SOCKADDR_TEXT_MAX]; /* the address as given, for messages */
};

/* Parses @s into @out. On error returns -EINVAL (-ENAMETOOLONG for a unix path over the
 * kernel's limit) and says in @err what was wrong and what is expected. */
int wd_sockaddr_parse(const char *s, struct wd_sockaddr_cfg *out, char *err, size_t err_size);

#endif
