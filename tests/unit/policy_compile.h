/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the unit tests of the policy compiler share (test_policy_compile*.c): parsing and
 * compiling a policy string, and finding the entries of a compiled policy. Include after
 * <cmocka.h>. */
#ifndef WD_TEST_POLICY_COMPILE_H
#define WD_TEST_POLICY_COMPILE_H

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "policy/compile.h"

static const struct wd_policy_ctx ctx_home = {"/home/u/src/job", "/home/u"};

static inline void dump(const struct wd_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("# diag %d:%d: %s\n", d->v[i].line, d->v[i].col, d->v[i].msg);
}

/* Parses and compiles; returns compile's result (parsing must succeed). */
static inline int compile_ctx(const char *yaml, const struct wd_policy_ctx *ctx, __u32 first,
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

static inline struct wd_compiled *compile_ok(const char *yaml, const struct wd_policy_ctx *ctx)
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

static inline const struct wd_prefix_entry *prefix_of(const struct wd_compiled *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_prefix; i++)
		if (strcmp(c->prefix[i].key.path, path) == 0)
			return &c->prefix[i];
	return NULL;
}

static inline const struct wd_exact_entry *exact_of(const struct wd_compiled *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_exact; i++)
		if (strcmp(c->exact[i].key.path, path) == 0)
			return &c->exact[i];
	return NULL;
}

/* The entry for @cidr ("10.0.0.0/8", "::1/128"), IPv4 as mapped. */
static inline const struct wd_net_entry *net_of(const struct wd_compiled *c, const char *addr,
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

#endif
