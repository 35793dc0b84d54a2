// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: sink addresses (user/lib/sockaddr.c). unix paths (absolute and abstract), IPv4, bracketed
 * IPv6 and host names parse into what connect(2) takes; each malformed address is refused with a
 * message that says what is wrong. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>
#include <cmocka.h>

#include "lib/sockaddr.h"

static void unix_path(void **state)
{
	struct wd_sockaddr_cfg a;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a.sa;
	char err[256] = "";

	assert_int_equal(wd_sockaddr_parse("unix:/run/warden/collector.sock", &a, err, sizeof(err)),
			 0);
	assert_int_equal(a.family, AF_UNIX);
	assert_false(a.tcp);
	assert_string_equal(un->sun_path, "/run/warden/collector.sock");
	assert_int_equal(a.sa_len, offsetof(struct sockaddr_un, sun_path) + 27);
	assert_string_equal(a.text, "unix:/run/warden/collector.sock");
}

static void unix_abstract(void **state)
{
	struct wd_sockaddr_cfg a;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a.sa;
	char err[256] = "";

	assert_int_equal(wd_sockaddr_parse("unix:@warden-col", &a, err, sizeof(err)), 0);
	assert_int_equal(un->sun_path[0], '\0');
	assert_memory_equal(un->sun_path + 1, "warden-col", 10);
	/* The length ends the name: no NUL counted after it. */
	assert_int_equal(a.sa_len, offsetof(struct sockaddr_un, sun_path) + 11);
}

static void tcp_ipv4(void **state)
{
	struct wd_sockaddr_cfg a;
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a.sa;
	char err[256] = "";

	assert_int_equal(wd_sockaddr_parse("tcp:10.0.0.5:6514", &a, err, sizeof(err)), 0);
	assert_true(a.tcp);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.port, 6514);
	assert_string_equal(a.host, "10.0.0.5");
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 6514);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x0a000005);
}

static void tcp_ipv6(void **state)
{
	struct wd_sockaddr_cfg a;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a.sa;
	struct in6_addr want;
	char err[256] = "";

	assert_int_equal(wd_sockaddr_parse("tcp:[2001:db8::1]:601", &a, err, sizeof(err)), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(a.host, "2001:db8::1");
	assert_int_equal(ntohs(in6->sin6_port), 601);
	inet_pton(AF_INET6, "2001:db8::1", &want);
	assert_memory_equal(&in6->sin6_addr, &want, sizeof(want));
}

static void tcp_host_name(void **state)
{
	struct wd_sockaddr_cfg a;
	char err[256] = "";

	assert_int_equal(wd_sockaddr_parse("tcp:siem-relay.example.com:6514", &a, err, sizeof(err)),
			 0);
	/* Resolved when connecting, not now. */
	assert_int_equal(a.family, AF_UNSPEC);
	assert_true(a.tcp);
	assert_string_equal(a.host, "siem-relay.example.com");
	assert_string_equal(a.port_str, "6514");
}

/* Each bad address fails with -EINVAL (or @ret) and a message containing @want. */
static void refused(const char *s, int ret, const char *want)
{
	struct wd_sockaddr_cfg a;
	char err[256] = "";
	int got = wd_sockaddr_parse(s, &a, err, sizeof(err));

	if (got != ret || !strstr(err, want))
		fail_msg("\"%s\": got %d \"%s\", want %d and \"%s\"", s ? s : "(null)", got, err,
			 ret, want);
}

static void errors(void **state)
{
	char longpath[200] = "unix:/";

	memset(longpath + 6, 'a', 150);
	longpath[156] = '\0';

	refused(NULL, -EINVAL, "no address: expected \"unix:/path\"");
	refused("", -EINVAL, "no address");
	refused("collector:6514", -EINVAL,
		"expected \"unix:/path\", \"tcp:HOST:PORT\" or \"tcp:[IPv6]:PORT\"");
	refused("udp:10.0.0.1:514", -EINVAL, "UDP is not supported");
	refused("tls:10.0.0.1:6514", -EINVAL, "TLS is not supported");
	refused("unix:", -EINVAL, "no socket path");
	refused("unix:run/x.sock", -EINVAL, "must be absolute");
	refused("unix:@", -EINVAL, "no name after");
	refused(longpath, -ENAMETOOLONG, "the socket path is 151 bytes; the kernel's limit is 107");
	refused("tcp:10.0.0.1", -EINVAL, "no port");
	refused("tcp::6514", -EINVAL, "no host before the port");
	refused("tcp:10.0.0.1:", -EINVAL, "no port after");
	refused("tcp:10.0.0.1:0", -EINVAL, "port \"0\" is not a number from 1 to 65535");
	refused("tcp:10.0.0.1:65536", -EINVAL, "port \"65536\"");
	refused("tcp:10.0.0.1:99999999999999999999", -EINVAL, "is not a number");
	refused("tcp:10.0.0.1:80x", -EINVAL, "port \"80x\"");
	refused("tcp:10.0.0.1:-1", -EINVAL, "port \"-1\"");
	refused("tcp:2001:db8::1:514", -EINVAL, "an IPv6 address goes in brackets");
	refused("tcp:[2001:db8::1:514", -EINVAL, "no \"]\"");
	refused("tcp:[2001:db8::1]514", -EINVAL, "no \":PORT\" after \"]\"");
	refused("tcp:[]:514", -EINVAL, "empty IPv6 address");
	refused("tcp:[10.0.0.1]:514", -EINVAL, "\"10.0.0.1\" is not an IPv6 address");
	refused("tcp:[example.com]:514", -EINVAL, "host names go without brackets");
	refused("tcp:10.0.0.256:514", -EINVAL, "\"10.0.0.256\" is not an IPv4 address");
	refused("tcp:bad host:514", -EINVAL, "neither an IPv4 address nor a host name");
	refused("tcp:a..b:514", -EINVAL, "neither an IPv4 address nor a host name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unix_path),	 cmocka_unit_test(unix_abstract),
		cmocka_unit_test(tcp_ipv4),	 cmocka_unit_test(tcp_ipv6),
		cmocka_unit_test(tcp_host_name), cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests_name("lib_sockaddr", tests, NULL, NULL);
}
