// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parses the addresses of stream and syslog sinks; every error names the address and says
 * what form is expected. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "lib/sockaddr.h"

#define FORMS "expected \"unix:/path\", \"tcp:HOST:PORT\" or \"tcp:[IPv6]:PORT\""

static int fail(char *err, size_t size, int ret, const char *s, const char *why)
{
	snprintf(err, size, "address \"%s\": %s", s, why);
	return ret;
}

static int parse_unix(const char *s, const char *path, struct wd_sockaddr_cfg *out, char *err,
		      size_t size)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
	size_t len = strlen(path);
	char why[160];

	if (len == 0)
		return fail(err, size, -EINVAL, s, "no socket path after \"unix:\"");
	if (path[0] != '/' && path[0] != '@')
		return fail(err, size, -EINVAL, s,
			    "the socket path must be absolute (\"unix:/run/collector.sock\"), or "
			    "\"unix:@NAME\" for an abstract socket");
	if (len > sizeof(un->sun_path) - 1) {
		snprintf(why, sizeof(why),
			 "the socket path is %zu bytes; the kernel's limit is %zu", len,
			 sizeof(un->sun_path) - 1);
		return fail(err, size, -ENAMETOOLONG, s, why);
	}
	if (path[0] == '@' && len == 1)
		return fail(err, size, -EINVAL, s, "no name after \"unix:@\"");
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len);
	if (path[0] == '@') {
		/* Abstract namespace: a leading NUL, and the length says where the name ends. */
		un->sun_path[0] = '\0';
		out->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		out->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	out->family = AF_UNIX;
	return 0;
}

static bool host_name_valid(const char *h)
{
	size_t label = 0;

	for (const char *p = h; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* A numeric address into out->sa; false if @host is not one of @family. */
static bool numeric(const char *host, int family, struct wd_sockaddr_cfg *out)
{
	struct addrinfo hints = {.ai_family = family,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res = NULL;

	if (getaddrinfo(host, out->port_str, &hints, &res) || !res)
		return false;
	if (res->ai_addrlen > sizeof(out->sa)) {
		freeaddrinfo(res);
		return false;
	}
	memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
	out->sa_len = res->ai_addrlen;
	out->family = res->ai_family;
	freeaddrinfo(res);
	return true;
}

static int parse_tcp(const char *s, const char *hp, struct wd_sockaddr_cfg *out, char *err,
		     size_t size)
{
	const char *colon, *port;
	size_t hlen;
	unsigned long v = 0;
	char why[200];

	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');

		if (!end)
			return fail(err, size, -EINVAL, s,
				    "no \"]\" after the IPv6 address (\"tcp:[2001:db8::1]:6514\")");
		if (end[1] != ':')
			return fail(err, size, -EINVAL, s,
				    "no \":PORT\" after \"]\" (\"tcp:[2001:db8::1]:6514\")");
		hlen = (size_t)(end - hp - 1);
		if (hlen == 0)
			return fail(err, size, -EINVAL, s,
				    "empty IPv6 address between \"[\" and \"]\"");
		if (hlen > WD_SOCKADDR_HOST_MAX)
			return fail(err, size, -EINVAL, s, "the IPv6 address is too long");
		memcpy(out->host, hp + 1, hlen);
		port = end + 2;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			return fail(err, size, -EINVAL, s,
				    "no port: " FORMS ", e.g. \"tcp:collector.example:6514\"");
		hlen = (size_t)(colon - hp);
		if (memchr(hp, ':', hlen))
			return fail(err, size, -EINVAL, s,
				    "an IPv6 address goes in brackets: \"tcp:[2001:db8::1]:6514\"");
		if (hlen == 0)
			return fail(err, size, -EINVAL, s, "no host before the port");
		if (hlen > WD_SOCKADDR_HOST_MAX)
			return fail(err, size, -EINVAL, s, "the host name is over 253 characters");
		memcpy(out->host, hp, hlen);
		port = colon + 1;
	}
	out->host[hlen] = '\0';

	if (!*port)
		return fail(err, size, -EINVAL, s, "no port after the last \":\"");
	for (const char *p = port; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535) {
			snprintf(why, sizeof(why), "port \"%s\" is not a number from 1 to 65535",
				 port);
			return fail(err, size, -EINVAL, s, why);
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535) {
		snprintf(why, sizeof(why), "port \"%s\" is not a number from 1 to 65535", port);
		return fail(err, size, -EINVAL, s, why);
	}
	out->port = (uint16_t)v;
	snprintf(out->port_str, sizeof(out->port_str), "%u", out->port);
	out->tcp = true;

	if (hp[0] == '[') {
		if (!numeric(out->host, AF_INET6, out)) {
			snprintf(why, sizeof(why),
				 "\"%s\" is not an IPv6 address (host names go without brackets)",
				 out->host);
			return fail(err, size, -EINVAL, s, why);
		}
		return 0;
	}
	if (numeric(out->host, AF_INET, out))
		return 0;
	if (strspn(out->host, "0123456789.") == hlen) {
		snprintf(why, sizeof(why), "\"%s\" is not an IPv4 address", out->host);
		return fail(err, size, -EINVAL, s, why);
	}
	if (!host_name_valid(out->host)) {
		snprintf(why, sizeof(why),
			 "\"%s\" is neither an IPv4 address nor a host name (letters, digits, "
			 "\"-\", \"_\" and dots)",
			 out->host);
		return fail(err, size, -EINVAL, s, why);
	}
	out->family = AF_UNSPEC; /* resolved at connect time */
	return 0;
}

int wd_sockaddr_parse(const char *s, struct wd_sockaddr_cfg *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		snprintf(err, err_size, "no address: " FORMS);
		return -EINVAL;
	}
	if (strlen(s) >= sizeof(out->text))
		return fail(err, err_size, -EINVAL, s, "too long");
	strcpy(out->text, s);
	if (strncmp(s, "unix:", 5) == 0)
		return parse_unix(s, s + 5, out, err, err_size);
	if (strncmp(s, "tcp:", 4) == 0)
		return parse_tcp(s, s + 4, out, err, err_size);
	if (strncmp(s, "udp:", 4) == 0)
		return fail(err, err_size, -EINVAL, s,
			    "UDP is not supported (it loses messages without a trace): use "
			    "\"tcp:HOST:PORT\"");
	if (strncmp(s, "tls:", 4) == 0)
		return fail(err, err_size, -EINVAL, s,
			    "TLS is not supported: use \"tcp:HOST:PORT\" to a local relay that "
			    "adds TLS (e.g. stunnel, or rsyslog forwarding with TLS)");
	return fail(err, err_size, -EINVAL, s, FORMS);
}
