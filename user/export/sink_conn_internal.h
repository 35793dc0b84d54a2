/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The insides of a collector connection (user/export/sink_conn.h), shared by sink_conn.c (the
 * connection: resolving, connecting, backoff) and sink_conn_io.c (the bytes over it). */
#ifndef WD_SINK_CONN_INTERNAL_H
#define WD_SINK_CONN_INTERNAL_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "export/sink_conn.h"

#define MS		    1000000ull
#define DEF_BACKOFF_MIN	    (100 * MS)
#define DEF_BACKOFF_MAX	    (30000 * MS)
#define DEF_CONNECT_TIMEOUT 5000
#define DEF_BUF		    (256 * 1024)
#define RESOLVE_TIMEOUT	    (15000 * MS)
#define MAX_ADDRS	    8
/* A connection that lasted this long was healthy: its successor starts the backoff afresh. */
#define HEALTHY_NS (10000 * MS)
#define ERR_MAX	   256

enum state { DISCONNECTED, RESOLVING, CONNECTING, CONNECTED };

/* An asynchronous getaddrinfo: the resolver thread holds pointers into it until it is done. */
struct resolve {
	struct gaicb cb;
	struct addrinfo hints;
	char host[WD_SOCKADDR_HOST_MAX + 1];
	char port[6];
	uint64_t started;
};

struct wd_conn {
	struct wd_conn_opts o;
	struct wd_sockaddr_cfg addr;
	enum state state;
	int fd;
	uint64_t gen;
	unsigned fails;
	bool tried;
	uint64_t next_at, connected_at, connect_started;
	struct resolve *res;
	struct sockaddr_storage addrs[MAX_ADDRS];
	socklen_t addr_lens[MAX_ADDRS];
	size_t n_addrs, cur_addr;
	char err[ERR_MAX];
	uint64_t rnd;

	uint8_t *out;
	size_t cap, len, sent;
	size_t *ends; /* end offsets of the records in out[0..len), ascending */
	size_t n_ends, ends_cap;
};

#endif
