// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: compiling network rules into map entries (user/policy/compile_net.c): prefix and port
 * folding, checked against a brute-force model of the kernel's lookups, and its limits. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy_compile.h"

static void net_folding(void **state)
{
	static const char yaml[] = HEAD "network:\n"
					"  allow:\n"
					"    - to: any\n" /* 1 */
					"      ports: [443]\n"
					"      protocol: tcp\n"
					"    - to: 10.1.0.0/16\n" /* 2 */
					"      ports: [80, \"8000-8100\"]\n"
					"    - to: \"::1\"\n"	  /* 3 */
					"    - to: 127.0.0.0/8\n" /* 4 */
					"      protocol: udp\n"
					"  deny:\n"
					"    - to: 10.0.0.0/8\n" /* 5 */
					"      ports: [443, 8080]\n"
					"    - to: 0.0.0.0/0\n" /* 6 */
					"      ports: [25]\n";
	static const __u8 v4_127[16] = {[10] = 0xff, [11] = 0xff, [12] = 127};
	struct wd_compiled *c = compile_ok(yaml, NULL);
	const struct wd_net_entry *e;
	const struct wd_port_rule *r;

	assert_int_equal(c->n_net, 6);
	/* any = ::/0: one entry that covers IPv4-mapped addresses too. */
	e = net_of(c, "::", 0);
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32);
	assert_int_equal(e->key.policy_id, 7);
	assert_int_equal(e->rules.n, 1);
	assert_int_equal(e->rules.r[0].port_lo, 443);
	assert_int_equal(e->rules.r[0].port_hi, 443);
	assert_int_equal(e->rules.r[0].proto, WD_PROTO_TCP);
	assert_int_equal(e->rules.r[0].verdict, WD_V_ALLOW);
	assert_int_equal(e->rules.r[0].rule_id, 1);

	/* 0.0.0.0/0 is ::ffff:0:0/96 and carries any's rules. */
	e = net_of(c, "0.0.0.0", 96);
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 96);
	assert_int_equal(e->rules.n, 2);
	assert_int_equal(e->rules.r[0].verdict, WD_V_DENY); /* denies first */
	assert_int_equal(e->rules.r[0].port_lo, 25);
	assert_int_equal(e->rules.r[0].rule_id, 6);
	assert_int_equal(e->rules.r[1].rule_id, 1);

	/* 10.0.0.0/8: its own denies, the /0 deny, and any's tcp/443 allow is dead under the
	 * deny of 443 (any protocol), so it is dropped. */
	e = net_of(c, "10.0.0.0", 96 + 8);
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 96 + 8);
	assert_int_equal(e->rules.n, 3);
	for (size_t i = 0; i < e->rules.n; i++) {
		assert_int_equal(e->rules.r[i].verdict, WD_V_DENY);
		assert_int_not_equal(e->rules.r[i].rule_id, 1);
	}

	/* 10.1.0.0/16 folds 10/8 and 0/0 and ::/0 in: 3 denies, then its 2 allows. */
	e = net_of(c, "10.1.0.0", 96 + 16);
	assert_non_null(e);
	assert_int_equal(e->rules.n, 5);
	assert_int_equal(e->rules.r[0].verdict, WD_V_DENY);
	assert_int_equal(e->rules.r[1].verdict, WD_V_DENY);
	assert_int_equal(e->rules.r[2].verdict, WD_V_DENY);
	r = &e->rules.r[3];
	assert_int_equal(r->verdict, WD_V_ALLOW);
	assert_int_equal(r->port_lo, 80);
	assert_int_equal(r->port_hi, 80);
	assert_int_equal(r->proto, WD_PROTO_ANY);
	assert_int_equal(r->rule_id, 2);
	r = &e->rules.r[4];
	assert_int_equal(r->port_lo, 8000);
	assert_int_equal(r->port_hi, 8100);
	assert_int_equal(r->rule_id, 2);

	/* ::1 is IPv6, under ::/0 only; any's tcp/443 allow adds nothing to its own allow of
	 * every port, so it is dropped. */
	e = net_of(c, "::1", 128);
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 128);
	assert_int_equal(e->rules.n, 1);
	assert_int_equal(e->rules.r[0].verdict, WD_V_ALLOW);
	assert_int_equal(e->rules.r[0].port_lo, 0);
	assert_int_equal(e->rules.r[0].port_hi, 65535);
	assert_int_equal(e->rules.r[0].rule_id, 3);

	/* 127/8 is stored IPv4-mapped. */
	e = net_of(c, "127.0.0.0", 96 + 8);
	assert_non_null(e);
	assert_memory_equal(e->key.addr, v4_127, 16);
	assert_int_equal(e->rules.r[0].verdict, WD_V_DENY); /* 0/0 port 25 */
	assert_int_equal(e->rules.r[1].proto, WD_PROTO_UDP);
	assert_int_equal(e->rules.r[1].rule_id, 4);

	assert_string_equal(wd_compiled_rule_text(c, 2),
			    "t.yaml:9:11 network allow 10.1.0.0/16 ports 80,8000-8100");
	assert_string_equal(wd_compiled_rule_text(c, 1),
			    "t.yaml:6:11 network allow any ports 443 tcp");
	assert_string_equal(wd_compiled_rule_text(c, 3), "t.yaml:11:11 network allow ::1");
	wd_compiled_free(c);
}

static void net_overflow(void **state)
{
	char yaml[2048];
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_diags d;
	int n, i;

	/* 17 ports on one prefix. */
	n = snprintf(yaml, sizeof(yaml),
		     HEAD "network:\n  allow:\n    - to: 10.0.0.0/8\n      "
			  "ports: [");
	for (i = 0; i < WD_NET_RULES_MAX + 1; i++)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n, "%s%d", i ? ", " : "",
			      1000 + 2 * i);
	snprintf(yaml + n, sizeof(yaml) - (size_t)n, "]\n");
	assert_int_equal(compile_ctx(yaml, NULL, 1, &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(d.total, 1);
	assert_int_equal(d.v[0].line, 6);
	assert_int_equal(d.v[0].col, 11);
	assert_non_null(strstr(d.v[0].msg, "too many port rules for 10.0.0.0/8: 17"));
	wd_diags_free(&d);

	/* 10 on a prefix and 7 on a longer one: 17 apply to the longer one once folded. The
	 * error names the longer prefix, and only once even with one more under it. */
	n = snprintf(yaml, sizeof(yaml),
		     HEAD
		     "network:\n  allow:\n    - to: 10.0.0.0/8\n      ports: [1, 3, 5, 7, 9, "
		     "11, 13, 15, 17, 19]\n  deny:\n    - to: 10.1.0.0/16\n      ports: [2, 4, "
		     "6, 8, 10, 12, 14]\n    - to: 10.1.1.0/24\n      ports: [100]\n");
	assert_int_equal(compile_ctx(yaml, NULL, 1, &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(d.total, 1);
	assert_int_equal(d.v[0].line, 9);
	assert_non_null(strstr(d.v[0].msg, "10.1.0.0/16"));
	wd_diags_free(&d);

	/* Exactly 16 fit; duplicates and subsumed rules do not count. */
	n = snprintf(yaml, sizeof(yaml),
		     HEAD
		     "network:\n  allow:\n    - to: 10.0.0.0/8\n      ports: [1, 3, 5, 7, 9, "
		     "11, 13, 15, 17, 19]\n    - to: 10.0.0.0/8\n      ports: [1, 3]\n  deny:\n"
		     "    - to: 10.1.0.0/16\n      ports: [2, 4, 6, 8, 10, \"12-13\"]\n");
	assert_int_equal(compile_ctx(yaml, NULL, 1, &c, &d), 0);
	assert_int_equal(net_of(c, "10.1.0.0", 112)->rules.n, 15);
	wd_compiled_free(c);
	wd_diags_free(&d);
	(void)n;
}

/* ---- Brute force: the kernel's lookups on the compiled maps must give what the rules say ---- */

struct nrule {
	__u8 addr[16];
	unsigned int plen;
	__u16 lo, hi;
	__u8 proto, verdict;
	__u32 id;
};

static bool covers(const __u8 *net, unsigned int plen, const __u8 *addr)
{
	unsigned int i;

	for (i = 0; i < plen; i++)
		if ((net[i / 8] ^ addr[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int naive_net(const struct nrule *r, size_t n, const __u8 *addr, __u16 port, __u8 proto)
{
	int v = WD_V_NONE;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!covers(r[i].addr, r[i].plen, addr) || port < r[i].lo || port > r[i].hi ||
		    (r[i].proto != WD_PROTO_ANY && r[i].proto != proto))
			continue;
		if (r[i].verdict == WD_V_DENY)
			v = WD_V_DENY;
		else if (v == WD_V_NONE)
			v = WD_V_ALLOW;
	}
	return v == WD_V_ALLOW ? WD_V_ALLOW : WD_V_DENY;
}

/* bpf/wd_common.h's wd_net_decide on the compiled entries, with the LPM lookup done by hand. */
static int kernel_net(const struct wd_compiled *c, const __u8 *addr, __u16 port, __u8 proto)
{
	const struct wd_net_entry *best = NULL;
	int v = WD_V_NONE;
	size_t i;

	for (i = 0; i < c->n_net; i++)
		if (covers(c->net[i].key.addr, c->net[i].key.prefixlen - 32, addr) &&
		    (!best || c->net[i].key.prefixlen > best->key.prefixlen))
			best = &c->net[i];
	if (!best)
		return WD_V_DENY;
	for (i = 0; i < best->rules.n; i++) {
		const struct wd_port_rule *r = &best->rules.r[i];

		if (port < r->port_lo || port > r->port_hi ||
		    (r->proto != WD_PROTO_ANY && r->proto != proto))
			continue;
		if (r->verdict == WD_V_DENY)
			return WD_V_DENY;
		v = WD_V_ALLOW;
	}
	return v == WD_V_ALLOW ? WD_V_ALLOW : WD_V_DENY;
}

static void net_brute_force(void **state)
{
	static const unsigned int v4_plens[] = {0, 8, 16, 24, 28, 32};
	static const char *const protos[] = {"any", "tcp", "udp"};
	int round;

	srand(777);
	for (round = 0; round < 300; round++) {
		struct nrule rules[12];
		size_t n = (size_t)(rand() % 12) + 1, i, off;
		char *yaml = malloc(8192);
		struct wd_compiled *c;
		int e;
		__u32 id = 1;

		for (i = 0; i < n; i++) {
			unsigned int b;

			memset(rules[i].addr, 0, 16);
			if (rand() % 4 == 0) { /* IPv6 around fd00:: or any */
				rules[i].plen =
					rand() % 5 == 0 ? 0 : 8 + 8 * (unsigned)(rand() % 3);
				rules[i].addr[0] = 0xfd;
				rules[i].addr[1] = (__u8)(rand() % 2);
			} else {
				rules[i].addr[10] = rules[i].addr[11] = 0xff;
				rules[i].addr[12] = 10;
				rules[i].addr[13] = (__u8)(rand() % 2);
				rules[i].addr[14] = (__u8)(rand() % 2);
				rules[i].addr[15] = (__u8)(rand() % 4 * 16);
				rules[i].plen = 96 + v4_plens[rand() % 6];
			}
			for (b = rules[i].plen; b < 128; b++)
				rules[i].addr[b / 8] &= (__u8) ~(0x80 >> (b % 8));
			rules[i].lo = (__u16)(rand() % 5 * 10);
			rules[i].hi = (__u16)(rules[i].lo + rand() % 3 * 10);
			if (rand() % 4 == 0) {
				rules[i].lo = 0;
				rules[i].hi = 65535;
			}
			rules[i].proto = (__u8)(rand() % 3);
			rules[i].verdict = rand() % 2 ? WD_V_DENY : WD_V_ALLOW;
		}
		off = (size_t)snprintf(yaml, 8192, HEAD "network:\n");
		for (e = 0; e < 2; e++) {
			__u8 want = e ? WD_V_DENY : WD_V_ALLOW;

			off += (size_t)snprintf(yaml + off, 8192 - off, "  %s:\n",
						e ? "deny" : "allow");
			for (i = 0; i < n; i++) {
				char a[INET6_ADDRSTRLEN];
				bool v4 = rules[i].plen >= 96 && rules[i].addr[10] == 0xff;

				if (rules[i].verdict != want)
					continue;
				rules[i].id = id++;
				inet_ntop(v4 ? AF_INET : AF_INET6,
					  v4 ? rules[i].addr + 12 : rules[i].addr, a, sizeof(a));
				if (rules[i].plen == 0)
					off += (size_t)snprintf(yaml + off, 8192 - off,
								"    - to: any\n");
				else
					off += (size_t)snprintf(yaml + off, 8192 - off,
								"    - to: \"%s/%u\"\n", a,
								rules[i].plen - (v4 ? 96 : 0));
				if (!(rules[i].lo == 0 && rules[i].hi == 65535))
					off += (size_t)snprintf(yaml + off, 8192 - off,
								"      ports: [\"%u-%u\"]\n",
								rules[i].lo ? rules[i].lo : 1,
								rules[i].hi ? rules[i].hi : 1);
				off += (size_t)snprintf(yaml + off, 8192 - off,
							"      protocol: %s\n",
							protos[rules[i].proto == WD_PROTO_ANY ? 0
							       : rules[i].proto == 1	      ? 1
											      : 2]);
			}
		}
		/* The generator's protocol numbers 1 and 2 stand for tcp and udp. */
		for (i = 0; i < n; i++) {
			rules[i].proto = rules[i].proto == 1   ? WD_PROTO_TCP
					 : rules[i].proto == 2 ? WD_PROTO_UDP
							       : WD_PROTO_ANY;
			if (rules[i].lo == 0 && rules[i].hi != 65535)
				rules[i].lo = 1;
			if (rules[i].hi == 0)
				rules[i].hi = 1;
		}
		c = compile_ok(yaml, NULL);
		for (i = 0; i < 400; i++) {
			__u8 addr[16] = {0};
			__u16 port = (__u16)(rand() % 60);
			__u8 proto = rand() % 2 ? WD_PROTO_TCP : WD_PROTO_UDP;
			int want, got;

			if (rand() % 4 == 0) {
				addr[0] = 0xfd;
				addr[1] = (__u8)(rand() % 2);
				addr[15] = (__u8)rand();
			} else {
				addr[10] = addr[11] = 0xff;
				addr[12] = rand() % 8 ? 10 : 11;
				addr[13] = (__u8)(rand() % 2);
				addr[14] = (__u8)(rand() % 2);
				addr[15] = (__u8)rand();
			}
			want = naive_net(rules, n, addr, port, proto);
			got = kernel_net(c, addr, port, proto);
			if (want != got)
				print_message("# round %d: want %d got %d\n%s", round, want, got,
					      yaml);
			assert_int_equal(want, got);
		}
		wd_compiled_free(c);
		free(yaml);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(net_folding),
		cmocka_unit_test(net_overflow),
		cmocka_unit_test(net_brute_force),
	};

	return cmocka_run_group_tests_name("policy_compile_net", tests, NULL, NULL);
}
