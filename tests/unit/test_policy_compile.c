// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: compiling policies into map entries: prefix and network folding (checked against a
 * brute-force model of the kernel's lookups), keys, inode candidates, cfg, rule ids and texts. */
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
#include <time.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/compile.h"

static const struct wd_policy_ctx ctx_home = {"/home/u/src/job", "/home/u"};

static void dump(const struct wd_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("# diag %d:%d: %s\n", d->v[i].line, d->v[i].col, d->v[i].msg);
}

/* Parses and compiles; returns compile's result (parsing must succeed). */
static int compile_ctx(const char *yaml, const struct wd_policy_ctx *ctx, __u32 first,
		       struct wd_compiled **c, struct wd_diags *d)
{
	struct wd_policy *p;
	int ret;

	wd_diags_init(d);
	ret = wd_policy_parse_string("t.yaml", yaml, strlen(yaml), &p, d);
	if (ret)
		dump(d);
	assert_int_equal(ret, 0);
	ret = wd_policy_compile(p, ctx, 7, first, c, d);
	wd_policy_free(p);
	return ret;
}

static struct wd_compiled *compile_ok(const char *yaml, const struct wd_policy_ctx *ctx)
{
	struct wd_compiled *c;
	struct wd_diags d;
	int ret = compile_ctx(yaml, ctx, 1, &c, &d);

	if (ret)
		dump(&d);
	assert_int_equal(ret, 0);
	assert_int_equal(d.total, 0);
	wd_diags_free(&d);
	return c;
}

static const struct wd_prefix_entry *prefix_of(const struct wd_compiled *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_prefix; i++)
		if (strcmp(c->prefix[i].key.path, path) == 0)
			return &c->prefix[i];
	return NULL;
}

static const struct wd_exact_entry *exact_of(const struct wd_compiled *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_exact; i++)
		if (strcmp(c->exact[i].key.path, path) == 0)
			return &c->exact[i];
	return NULL;
}

/* The entry for @cidr ("10.0.0.0/8", "::1/128"), IPv4 as mapped. */
static const struct wd_net_entry *net_of(const struct wd_compiled *c, const char *addr,
					 unsigned int plen6)
{
	__u8 a[16] = {0};
	struct in_addr a4;
	size_t i;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &a4, 4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	}
	for (i = 0; i < c->n_net; i++)
		if (c->net[i].key.prefixlen == 32 + plen6 && !memcmp(c->net[i].key.addr, a, 16))
			return &c->net[i];
	return NULL;
}

#define HEAD "version: 1\nname: t\nidentities: [\"*\"]\n"

/* The example of the ABI: "/" read allow + "/home/u/.ssh/" read deny. */
static void prefix_folding(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [/, /home/u/.ssh/pub/]\n" /* ids 1, 2 */
					"    deny: [\"${home}/.ssh/\"]\n"     /* id 3 */
					"  write:\n"
					"    allow: [/home/]\n"			 /* id 4 */
					"    deny: [/home/u/.ssh/, /home/u/]\n"; /* ids 5, 6 */
	struct wd_compiled *c = compile_ok(yaml, &ctx_home);
	const struct wd_prefix_entry *e;

	assert_int_equal(c->n_prefix, 5);
	assert_int_equal(c->n_exact, 3); /* anchors: /home/u/.ssh, /home/u, /home */
	e = prefix_of(c, "/");
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 8);
	assert_int_equal(e->key.policy_id, 7);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_NONE);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], WD_RULE_DEFAULT);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_NONE);

	e = prefix_of(c, "/home/u/.ssh/");
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, 32 + 8 * 13);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 3);
	/* Two denies cover it for write: its own (the most specific) decides. */
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 5);

	/* A longer allow under a deny: deny wins, and says which rule. */
	e = prefix_of(c, "/home/u/.ssh/pub/");
	assert_non_null(e);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 3);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 5);

	e = prefix_of(c, "/home/");
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 4);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
	e = prefix_of(c, "/home/u/");
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 6);

	/* The prefixes with a deny of their own, for the loader's inode walk. */
	assert_int_equal(c->n_deny_dirs, 2);
	assert_string_equal(c->deny_dirs[0].path, "/home/u/");
	assert_string_equal(c->deny_dirs[1].path, "/home/u/.ssh/");
	assert_int_equal(c->deny_dirs[1].rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(c->deny_dirs[1].rule.verdict[WD_OP_EXEC], WD_V_NONE);
	assert_null(c->deny_dirs[1].except);
	wd_compiled_free(c);
}

/* A prefix deny's own name and every ancestor but "/" may not be moved away from the rule: they
 * are anchors in the exact map, and the protected-file candidates still name their files. */
static void anchors_of_denies(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [/]\n"			       /* 1 */
					"    deny: [\"${home}/.aws/\", /etc/shadow]\n" /* 2, 3 */
					"  write:\n"
					"    allow: [\"${home}/\"]\n"	   /* 4 */
					"    deny: [\"${home}/.ssh/\"]\n"; /* 5 */
	struct wd_compiled *c = compile_ok(yaml, &ctx_home);
	static const struct {
		const char *path;
		__u32 id;
	} want[] = {{"/home/u/.aws", 2}, {"/home/u", 2}, {"/home", 2},
		    {"/etc/shadow", 0},	 {"/etc", 3},	 {"/home/u/.ssh", 5}};
	const struct wd_exact_entry *e;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		e = exact_of(c, want[i].path);
		if (!e)
			fail_msg("no anchor for %s", want[i].path);
		assert_int_equal(e->rule.flags, WD_FR_ANCHOR);
		if (want[i].id)
			assert_int_equal(e->rule.rule_id[WD_OP_WRITE], want[i].id);
	}
	assert_null(exact_of(c, "/"));
	assert_null(exact_of(c, "/home/u/.aws/"));
	assert_int_equal(c->n_exact, 6);
	assert_int_equal(c->n_inode, 1);
	assert_string_equal(c->inode[0].path, "/etc/shadow");
	wd_compiled_free(c);
}

static void exact_entries(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [/dev/null]\n"		  /* 1 */
					"    deny: [/etc/shadow, /etc//shadow]\n" /* 2, 3 */
					"  write:\n"
					"    allow: [/dev/null, /etc/shadow]\n"; /* 4, 5 */
	struct wd_compiled *c = compile_ok(yaml, NULL);
	const struct wd_exact_entry *e;
	size_t i, len;

	/* /etc/shadow, /dev/null, and /etc: the way to a denied file (an anchor). */
	assert_int_equal(c->n_exact, 3);
	for (i = 0; i < c->n_exact; i++) {
		assert_int_equal(c->exact[i].key.policy_id, 7);
		len = strlen(c->exact[i].key.path);
		/* BPF hashes the whole key: every byte after the path is zero. */
		for (; len < sizeof(c->exact[i].key.path); len++)
			assert_int_equal(c->exact[i].key.path[len], 0);
		assert_int_equal(c->exact[i].rule.flags & ~WD_FR_ANCHOR, 0);
	}
	e = exact_of(c, "/etc");
	assert_non_null(e);
	assert_int_equal(e->rule.flags, WD_FR_ANCHOR);
	for (i = 0; i < WD_OP_NR; i++)
		assert_int_equal(e->rule.verdict[i], WD_V_NONE);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 2);
	assert_int_equal(exact_of(c, "/dev/null")->rule.flags, 0);
	e = exact_of(c, "/etc/shadow");
	assert_non_null(e);
	assert_int_equal(e->rule.flags, WD_FR_ANCHOR);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 2);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 5);
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_NONE);
	e = exact_of(c, "/dev/null");
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);

	/* Only /etc/shadow denies anything, and its inode entry carries only the deny: an inode
	 * entry must not grant writes to another link of the file. */
	assert_int_equal(c->n_inode, 1);
	assert_string_equal(c->inode[0].path, "/etc/shadow");
	assert_int_equal(c->inode[0].rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(c->inode[0].rule.rule_id[WD_OP_READ], 2);
	assert_int_equal(c->inode[0].rule.verdict[WD_OP_WRITE], WD_V_NONE);
	assert_int_equal(c->inode[0].rule.rule_id[WD_OP_WRITE], 0);
	wd_compiled_free(c);
}

static void proc_entries(void **state)
{
	static const char yaml[] = HEAD "files:\n"
					"  read:\n"
					"    allow: [\"/proc/*/status\"]\n"
					"    deny: [\"/proc/*/environ\", \"/proc/*/mem\"]\n"
					"  write:\n"
					"    deny: [\"/proc/*/mem\"]\n";
	struct wd_compiled *c = compile_ok(yaml, NULL);
	size_t i, k;
	int seen = 0;

	assert_int_equal(c->n_proc, 3);
	assert_int_equal(c->n_exact + c->n_prefix, 0);
	for (i = 0; i < c->n_proc; i++) {
		const struct wd_proc_entry *e = &c->proc[i];

		assert_int_equal(e->key.policy_id, 7);
		for (k = strlen(e->key.name); k < WD_NAME_MAX; k++)
			assert_int_equal(e->key.name[k], 0);
		if (strcmp(e->key.name, "mem") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
			assert_int_equal(e->rule.rule_id[WD_OP_READ], 3);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_DENY);
			assert_int_equal(e->rule.rule_id[WD_OP_WRITE], 4);
			seen |= 1;
		} else if (strcmp(e->key.name, "environ") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
			assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_NONE);
			seen |= 2;
		} else if (strcmp(e->key.name, "status") == 0) {
			assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_ALLOW);
			assert_int_equal(e->rule.rule_id[WD_OP_READ], 1);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	assert_string_equal(wd_compiled_rule_text(c, 3), "t.yaml:7:31 files.read deny /proc/*/mem");
	wd_compiled_free(c);
}

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

static void cfg_flags(void **state)
{
	struct wd_compiled *c;

	c = compile_ok(HEAD, NULL);
	assert_int_equal(c->cfg.flags, (__u32)WD_POL_VALID);
	assert_int_equal(c->cfg.families, 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6);
	assert_int_equal(c->cfg.raw_families, 0);
	assert_int_equal(c->cfg.sandbox_rule, 0);
	assert_int_equal(c->n_rules, 0);
	assert_int_equal(c->policy_id, 7);
	wd_compiled_free(c);

	c = compile_ok(HEAD "mode: audit\nfileless_exec: allow\nsockets:\n  allow: [unix, packet, "
			    "vsock, xdp, alg, netlink]\n  raw: [packet]\n",
		       NULL);
	assert_int_equal(c->cfg.flags,
			 (__u32)(WD_POL_VALID | WD_POL_AUDIT | WD_POL_ALLOW_FILELESS));
	assert_int_equal(c->cfg.families, 1ull << AF_UNIX | 1ull << AF_PACKET | 1ull << AF_VSOCK |
						  1ull << 44 | 1ull << AF_ALG | 1ull << AF_NETLINK);
	assert_int_equal(c->cfg.raw_families, 1ull << AF_PACKET);
	wd_compiled_free(c);

	c = compile_ok(HEAD "mode: enforce\nfileless_exec: deny\n", NULL);
	assert_int_equal(c->cfg.flags, (__u32)WD_POL_VALID);
	wd_compiled_free(c);
}

static void rule_table(void **state)
{
	static const char yaml[] = HEAD "exec:\n"
					"  allow: [/usr/, \"${workdir}/\"]\n"
					"  deny: [/tmp/]\n"
					"files:\n"
					"  read:\n"
					"    deny: [/etc/shadow, \"${home}/.ssh/\"]\n"
					"  write:\n"
					"    allow: [/dev/null]\n"
					"network:\n"
					"  deny:\n"
					"    - to: 169.254.169.254\n";
	struct wd_compiled *c;
	struct wd_diags d;

	assert_int_equal(compile_ctx(yaml, &ctx_home, 1000, &c, &d), 0);
	assert_int_equal(c->first_rule_id, 1000);
	assert_int_equal(c->n_rules, 7);
	assert_null(wd_compiled_rule_text(c, 0));
	assert_null(wd_compiled_rule_text(c, 999));
	assert_null(wd_compiled_rule_text(c, 1007));
	assert_string_equal(wd_compiled_rule_text(c, 1000), "t.yaml:5:11 exec allow /usr/");
	assert_string_equal(wd_compiled_rule_text(c, 1001),
			    "t.yaml:5:18 exec allow ${workdir}/ (/home/u/src/job/)");
	assert_string_equal(wd_compiled_rule_text(c, 1002), "t.yaml:6:10 exec deny /tmp/");
	assert_string_equal(wd_compiled_rule_text(c, 1003),
			    "t.yaml:9:12 files.read deny /etc/shadow");
	assert_string_equal(wd_compiled_rule_text(c, 1004),
			    "t.yaml:9:25 files.read deny ${home}/.ssh/ (/home/u/.ssh/)");
	assert_string_equal(wd_compiled_rule_text(c, 1005),
			    "t.yaml:11:13 files.write allow /dev/null");
	assert_string_equal(wd_compiled_rule_text(c, 1006),
			    "t.yaml:14:11 network deny 169.254.169.254");
	/* The ids in the entries are the ones the table describes. */
	assert_int_equal(prefix_of(c, "/tmp/")->rule.rule_id[WD_OP_EXEC], 1002);
	assert_int_equal(exact_of(c, "/etc/shadow")->rule.rule_id[WD_OP_READ], 1003);
	assert_int_equal(net_of(c, "169.254.169.254", 128)->rules.r[0].rule_id, 1006);
	wd_compiled_free(c);
	wd_diags_free(&d);
}

static void unknown_variables(void **state)
{
	static const char yaml[] = HEAD "exec:\n"
					"  allow: [/usr/, \"${workdir}/\"]\n"
					"files:\n"
					"  read:\n"
					"    deny: [\"${home}/.ssh/\"]\n";
	const struct wd_policy_ctx only_home = {NULL, "/home/u"};
	const struct wd_policy_ctx root_home = {"/w", "/"};
	const struct wd_policy_ctx rel = {"src", "/home/u"};
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_diags d;

	assert_int_equal(compile_ctx(yaml, &only_home, 1, &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(d.total, 1);
	assert_int_equal(d.v[0].line, 5);
	assert_int_equal(d.v[0].col, 18);
	assert_non_null(strstr(d.v[0].msg, "${workdir}"));
	assert_non_null(strstr(d.v[0].msg, "workdir is not known"));
	wd_diags_free(&d);

	assert_int_equal(compile_ctx(yaml, NULL, 1, &c, &d), -EINVAL);
	assert_int_equal(d.total, 2); /* both named */
	wd_diags_free(&d);

	assert_int_equal(compile_ctx(yaml, &root_home, 1, &c, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].msg, "${home} is \"/\""));
	wd_diags_free(&d);

	assert_int_equal(compile_ctx(yaml, &rel, 1, &c, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].msg, "not a usable absolute path"));
	wd_diags_free(&d);

	/* A policy without variables needs no context. */
	c = compile_ok(HEAD "exec:\n  allow: [/usr/]\n", NULL);
	wd_compiled_free(c);
}

static void too_long(void **state)
{
	char yaml[1024], home[200];
	const struct wd_policy_ctx ctx = {"/w", home};
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_diags d;

	memset(home, 'h', sizeof(home) - 1);
	home[0] = '/';
	home[sizeof(home) - 1] = '\0';
	snprintf(yaml, sizeof(yaml),
		 HEAD "files:\n  read:\n    deny: [\"${home}/%060d/\", \"${home}/%040d\"]\n", 0, 0);
	assert_int_equal(compile_ctx(yaml, &ctx, 1, &c, &d), -EINVAL);
	assert_null(c);
	/* The prefix (199 + 62 = 261 bytes) does not fit; the exact path (240) does. */
	assert_int_equal(d.total, 1);
	assert_int_equal(d.v[0].col, 12);
	assert_non_null(strstr(d.v[0].msg, "261 bytes long after expansion"));
	wd_diags_free(&d);

	/* A workdir too deep for the prefix map: the workdir rule's path is the error. */
	{
		char wd[300];
		const struct wd_policy_ctx deep = {wd, "/home/u"};

		memset(wd, 'w', sizeof(wd) - 1);
		wd[0] = '/';
		wd[sizeof(wd) - 1] = '\0';
		assert_int_equal(
			compile_ctx(HEAD "exec:\n  allow: [\"${workdir}/\"]\n", &deep, 1, &c, &d),
			-EINVAL);
		assert_null(c);
		assert_int_equal(d.total, 1);
		assert_int_equal(d.v[0].line, 5);
		assert_non_null(strstr(d.v[0].msg, "300 bytes long after expansion"));
		wd_diags_free(&d);
	}
}

static void bad_arguments(void **state)
{
	struct wd_compiled *c = (struct wd_compiled *)1;
	struct wd_policy *p;
	struct wd_diags d;

	wd_diags_init(&d);
	assert_int_equal(wd_policy_parse_string("t.yaml", HEAD "exec:\n  allow: [/usr/, /bin/]\n",
						strlen(HEAD "exec:\n  allow: [/usr/, /bin/]\n"), &p,
						&d),
			 0);
	assert_int_equal(wd_policy_compile(p, NULL, 0, WD_RULE_DEFAULT, &c, &d), -EINVAL);
	assert_null(c);
	assert_int_equal(wd_policy_compile(p, NULL, WD_POLICIES_MAX, 1, &c, &d), -EINVAL);
	assert_int_equal(wd_policy_compile(p, NULL, 0, WD_RULES_MAX - 1, &c, &d), -ENOSPC);
	assert_int_equal(wd_policy_compile(p, NULL, 0, WD_RULES_MAX - 2, &c, &d), 0);
	assert_int_equal(c->first_rule_id + c->n_rules, WD_RULES_MAX);
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&d);
}

/* The workdir rule: a deny on a directory that contains the workdir does not apply inside it
 * for the ops "${workdir}/" allows; denies inside the workdir still win. */
static void workdir_rule(void **state)
{
	static const char yaml[] =
		HEAD "exec:\n"
		     "  allow: [/usr/, \"${workdir}/\"]\n" /* 1, 2 */
		     "  deny: [\"${home}/\", /tmp/, \"${workdir}/.git/hooks/\"]\n"
		     "files:\n"
		     "  read:\n"
		     "    allow: [/]\n"		  /* 6 */
		     "    deny: [\"${home}/\"]\n" /* 7 */
		     "  write:\n"
		     "    allow: [\"${workdir}/\"]\n"	/* 8 */
		     "    deny: [\"${home}/.ssh/\"]\n"; /* 9 */
	const struct wd_policy_ctx in_tmp = {"/tmp/build.1", "/home/u"};
	const struct wd_policy_ctx is_home = {"/home/u", "/home/u"};
	const struct wd_policy_ctx elsewhere = {"/srv/job", "/home/u"};
	const struct wd_prefix_entry *e;
	struct wd_compiled *c;

	c = compile_ok(yaml, &ctx_home);
	e = prefix_of(c, "/home/u/src/job/");
	assert_non_null(e);
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], 2);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	/* No "${workdir}/" read allow: the read deny of home still covers the workdir. */
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_READ], 7);
	e = prefix_of(c, "/home/u/");
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], 3);
	e = prefix_of(c, "/home/u/src/job/.git/hooks/");
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	assert_int_equal(e->rule.rule_id[WD_OP_EXEC], 5);
	/* The loader must not protect the workdir's files by inode for exec. */
	assert_string_equal(c->workdir, "/home/u/src/job/");
	assert_int_equal(c->n_deny_dirs, 4);
	for (size_t i = 0; i < c->n_deny_dirs; i++) {
		const struct wd_deny_dir *dd = &c->deny_dirs[i];

		if (strcmp(dd->path, "/home/u/") == 0) {
			assert_ptr_equal(dd->except, c->workdir);
			assert_int_equal(dd->except_ops, 1 << WD_OP_EXEC);
		} else {
			assert_null(dd->except);
		}
	}
	wd_compiled_free(c);

	/* A workdir in /tmp: exec there works, the rest of /tmp stays denied. */
	c = compile_ok(yaml, &in_tmp);
	assert_int_equal(prefix_of(c, "/tmp/build.1/")->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(prefix_of(c, "/tmp/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	wd_compiled_free(c);

	/* The workdir is the home: the deny of ${home}/ is on the workdir itself but not written
	 * with ${workdir}, so the workdir rule lifts it; the .ssh write deny inside stays. */
	c = compile_ok(yaml, &is_home);
	e = prefix_of(c, "/home/u/");
	assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
	assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(prefix_of(c, "/home/u/.ssh/")->rule.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(prefix_of(c, "/home/u/.git/hooks/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	wd_compiled_free(c);

	/* Elsewhere the rule changes nothing. */
	c = compile_ok(yaml, &elsewhere);
	assert_int_equal(prefix_of(c, "/srv/job/")->rule.verdict[WD_OP_EXEC], WD_V_ALLOW);
	assert_int_equal(prefix_of(c, "/home/u/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	assert_null(c->deny_dirs[0].except);
	wd_compiled_free(c);

	/* A deny written with ${workdir} on the workdir itself is never lifted. */
	c = compile_ok(HEAD "exec:\n  allow: [\"${workdir}/\"]\n  deny: [\"${workdir}//\"]\n",
		       &ctx_home);
	assert_int_equal(prefix_of(c, "/home/u/src/job/")->rule.verdict[WD_OP_EXEC], WD_V_DENY);
	wd_compiled_free(c);
}

/* ---- Brute force: the kernel's lookups on the compiled maps must give what the rules say ---- */

struct frule {
	char path[64];
	int op, effect;
	__u32 id;
};

/* What the rules say about @path for @op: deny if any matching rule denies, else allow if any
 * allows, else none. */
static int naive_file(const struct frule *r, size_t n, const char *path, int op)
{
	int v = WD_V_NONE;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(r[i].path);
		bool match = r[i].path[len - 1] == '/' ? strncmp(r[i].path, path, len) == 0
						       : strcmp(r[i].path, path) == 0;

		if (!match || r[i].op != op)
			continue;
		if (r[i].effect == WD_DENY)
			v = WD_V_DENY;
		else if (v == WD_V_NONE)
			v = WD_V_ALLOW;
	}
	return v;
}

/* What the kernel computes: one exact lookup, one longest-prefix lookup, deny wins. */
static int kernel_file(const struct wd_compiled *c, const char *path, int op, __u32 *id)
{
	const struct wd_prefix_entry *best = NULL;
	const struct wd_exact_entry *ex = exact_of(c, path);
	size_t i;
	int v = WD_V_NONE;

	for (i = 0; i < c->n_prefix; i++) {
		const struct wd_prefix_entry *e = &c->prefix[i];
		size_t len = (e->key.prefixlen - 32) / 8;

		if (strncmp(e->key.path, path, len) == 0 &&
		    (!best || e->key.prefixlen > best->key.prefixlen))
			best = e;
	}
	*id = 0;
	if (ex && ex->rule.verdict[op] != WD_V_NONE) {
		v = ex->rule.verdict[op];
		*id = ex->rule.rule_id[op];
	}
	if (best && (best->rule.verdict[op] == WD_V_DENY ||
		     (v == WD_V_NONE && best->rule.verdict[op] == WD_V_ALLOW))) {
		if (v != WD_V_DENY) {
			v = best->rule.verdict[op];
			*id = best->rule.rule_id[op];
		}
	}
	return v;
}

static void random_path(char *buf, size_t size, bool prefix)
{
	static const char *const parts[] = {"a", "b", "ab", "c"};
	int depth = rand() % 4, i;
	size_t off = 0;

	for (i = 0; i < depth; i++)
		off += (size_t)snprintf(buf + off, size - off, "/%s", parts[rand() % 4]);
	snprintf(buf + off, size - off, "%s", prefix || depth == 0 ? "/" : "");
}

static void file_brute_force(void **state)
{
	static const char *const sections[WD_OP_WRITE + 1] = {"exec", "files.read", "files.write"};
	int round;

	srand(12345);
	for (round = 0; round < 200; round++) {
		struct frule rules[40];
		size_t n = (size_t)(rand() % 40) + 1, i, j, off;
		char *yaml = malloc(8192);
		struct wd_compiled *c;
		__u32 id = 1;
		int op, e;

		for (i = 0; i < n; i++) {
			random_path(rules[i].path, sizeof(rules[i].path), rand() % 3 != 0);
			rules[i].op = rand() % WD_OP_NR;
			rules[i].effect = rand() % 2;
		}
		/* Written grouped the way ids are assigned: exec, read, write, unix; allow, deny.
		 */
		off = (size_t)snprintf(yaml, 8192, HEAD);
		for (op = 0; op < WD_OP_NR; op++) {
			if (op == WD_OP_UNIX)
				off += (size_t)snprintf(yaml + off, 8192 - off, "network:\n");
			else
				off += (size_t)snprintf(
					yaml + off, 8192 - off, "%s:\n",
					op ? (op == 1 ? "files:\n  read" : "  write") : "exec");
			for (e = 0; e < 2; e++) {
				off += (size_t)snprintf(yaml + off, 8192 - off, "%s  %s:%s",
							op ? "  " : "", e ? "deny" : "allow", " [");
				for (i = 0, j = 0; i < n; i++) {
					if (rules[i].op != op || rules[i].effect != e)
						continue;
					rules[i].id = id++;
					off += (size_t)snprintf(
						yaml + off, 8192 - off,
						op == WD_OP_UNIX ? "%s{unix: \"%s\"}" : "%s\"%s\"",
						j++ ? ", " : "", rules[i].path);
				}
				off += (size_t)snprintf(yaml + off, 8192 - off, "]\n");
			}
		}
		c = compile_ok(yaml, NULL);
		(void)sections;
		/* Every path the rules mention, and their neighbours, for every op. */
		for (i = 0; i < 60; i++) {
			char path[80];

			if (i < n)
				snprintf(path, sizeof(path), "%s", rules[i].path);
			else
				random_path(path, sizeof(path), rand() % 2);
			if (i % 3 == 2 && strlen(path) < 70)
				strcat(path, path[strlen(path) - 1] == '/' ? "x" : "/x");
			for (op = 0; op < WD_OP_NR; op++) {
				__u32 rid;
				int want = naive_file(rules, n, path, op);
				int got = kernel_file(c, path, op, &rid);

				if (want != got)
					print_message(
						"# round %d path %s op %d: want %d got %d\n%s",
						round, path, op, want, got, yaml);
				assert_int_equal(want, got);
				/* The rule id names a rule that matches with that verdict. */
				if (got != WD_V_NONE) {
					for (j = 0; j < n; j++)
						if (rules[j].id == rid)
							break;
					assert_true(j < n);
					assert_int_equal(rules[j].op, op);
					assert_int_equal(rules[j].effect,
							 got == WD_V_DENY ? WD_DENY : WD_ALLOW);
				} else {
					assert_int_equal(rid, 0);
				}
			}
		}
		wd_compiled_free(c);
		free(yaml);
	}
}

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

/* ---- Scale ---------------------------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 100,000 rules: 50,000 exact paths, 40,000 nested prefixes over three ops, 10,000 networks.
 * Reports the time (never asserted) and checks a few folded entries. */
static void hundred_thousand_rules(void **state)
{
	struct wd_compiled *c;
	struct wd_policy *p;
	struct wd_diags d;
	char *buf = NULL;
	size_t len = 0;
	double t0, t1, t2;
	FILE *f = open_memstream(&buf, &len);
	int i;

	assert_non_null(f);
	fputs(HEAD "files:\n  read:\n    allow: [/]\n    deny:\n", f);
	for (i = 0; i < 50000; i++)
		fprintf(f, "      - /data/d%03d/f%05d\n", i % 500, i);
	for (i = 0; i < 20000; i++)
		fprintf(f, "      - /srv/s%03d/p%05d/\n", i % 1000, i);
	fputs("  write:\n    allow:\n", f);
	for (i = 0; i < 10000; i++)
		fprintf(f, "      - /srv/s%03d/\n", i % 1000);
	fputs("exec:\n  allow:\n", f);
	for (i = 0; i < 9999; i++)
		fprintf(f, "    - /opt/t%05d/\n", i);
	fputs("network:\n  allow:\n", f);
	for (i = 0; i < 10000; i++)
		fprintf(f, "    - to: 10.%d.%d.0/24\n      ports: [443]\n", i / 256, i % 256);
	fclose(f);

	wd_diags_init(&d);
	t0 = now_ms();
	assert_int_equal(wd_policy_parse_string("big.yaml", buf, len, &p, &d), 0);
	t1 = now_ms();
	assert_int_equal(p->n_rules, 100000);
	assert_int_equal(wd_policy_compile(p, &ctx_home, 1, 1, &c, &d), 0);
	t2 = now_ms();
	print_message("# 100000 rules (%zu KiB of YAML): parse %.0f ms, compile %.0f ms\n",
		      len / 1024, t1 - t0, t2 - t1);
	assert_int_equal(c->n_rules, 100000);
	/* 50000 files, and the anchors on their way and the prefix denies' own: /data, 500
	 * /data/dNNN, /srv, 1000 /srv/sNNN, 20000 /srv/sNNN/pNNNNN. */
	assert_int_equal(c->n_exact, 50000 + 1 + 500 + 1 + 1000 + 20000);
	assert_int_equal(c->n_inode, 50000);
	assert_int_equal(c->n_prefix, 1 + 20000 + 1000 + 9999);
	assert_int_equal(c->n_net, 10000);
	/* A nested prefix folds its parent's write allow and its own read deny. */
	{
		const struct wd_prefix_entry *e = prefix_of(c, "/srv/s007/p01007/");

		assert_non_null(e);
		assert_int_equal(e->rule.verdict[WD_OP_READ], WD_V_DENY);
		assert_int_equal(e->rule.verdict[WD_OP_WRITE], WD_V_ALLOW);
		assert_int_equal(e->rule.verdict[WD_OP_EXEC], WD_V_NONE);
	}
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_folding),
		cmocka_unit_test(exact_entries),
		cmocka_unit_test(anchors_of_denies),
		cmocka_unit_test(proc_entries),
		cmocka_unit_test(net_folding),
		cmocka_unit_test(net_overflow),
		cmocka_unit_test(cfg_flags),
		cmocka_unit_test(rule_table),
		cmocka_unit_test(unknown_variables),
		cmocka_unit_test(too_long),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(workdir_rule),
		cmocka_unit_test(file_brute_force),
		cmocka_unit_test(net_brute_force),
		cmocka_unit_test(hundred_thousand_rules),
	};

	return cmocka_run_group_tests_name("policy_compile", tests, NULL, NULL);
}
