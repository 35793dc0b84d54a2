/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the unit tests of ctl/ share: counted allocations, the groups and operations the
 * authorisation cases use, and a few request and response helpers. Each test is one file, so
 * this is included once per test binary. */
#ifndef WD_TEST_CTL_FIXTURE_H
#define WD_TEST_CTL_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl/control.h"

/* Every allocation made while `counting` is set is counted, to show that a refused length
 * allocates nothing. glibc allows replacing malloc; these forward to its own. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
static int counting;
static size_t n_allocs;

void *malloc(size_t n)
{
	n_allocs += counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	n_allocs += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	n_allocs += counting;
	return __libc_realloc(p, n);
}

#define ADMIN_GID 990
#define READ_GID  991

static const struct wd_ctl_auth auth __attribute__((unused)) = {
	.admin_group = "warden-admin",
	.admin_gid = ADMIN_GID,
	.read_group = "warden-read",
	.read_gid = READ_GID,
};

static const wd_ctl_op WRITE_OP __attribute__((unused)) = WARDEN__V1__REQUEST__OP_POLICY_APPLY;
static const wd_ctl_op READ_OP __attribute__((unused)) = WARDEN__V1__REQUEST__OP_SANDBOX_LIST;

static inline void put_hdr(uint8_t *h, uint32_t n)
{
	h[0] = n >> 24;
	h[1] = n >> 16;
	h[2] = n >> 8;
	h[3] = n;
}

/* A policy apply request with labels-free fields and the given text. */
static inline uint8_t *encode_apply(const char *text, size_t *len)
{
	Warden__V1__Request req = WARDEN__V1__REQUEST__INIT;
	Warden__V1__PolicyApplyRequest ap = WARDEN__V1__POLICY_APPLY_REQUEST__INIT;
	Warden__V1__PolicyTarget tg = WARDEN__V1__POLICY_TARGET__INIT;
	Warden__V1__PolicySource src = WARDEN__V1__POLICY_SOURCE__INIT;
	uint8_t *buf;

	req.protocol = WD_CTL_PROTOCOL;
	req.client = "test_control";
	req.op_case = WARDEN__V1__REQUEST__OP_POLICY_APPLY;
	req.policy_apply = &ap;
	ap.target = &tg;
	tg.target_case = WARDEN__V1__POLICY_TARGET__TARGET_IDENTITY;
	tg.identity = "ci:acme/api#8812";
	ap.policy = &src;
	src.name = "agent.yaml";
	src.text = (char *)text;
	assert_int_equal(wd_ctl_encode(&req.base, &buf, len), 0);
	return buf;
}

static inline void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

/* The error the daemon told the client before dropping it. */
static inline void expect_told(int fd, Warden__V1__Error__Code code, const char *substr)
{
	char err[WD_CTL_ERR_MAX];
	Warden__V1__Response *resp;

	assert_int_equal(wd_ctl_recv(fd, &resp, 1000, err, sizeof(err)), 0);
	assert_non_null(resp->error);
	assert_int_equal(resp->error->code, code);
	if (!strstr(resp->error->message, substr))
		fail_msg("error \"%s\" does not say \"%s\"", resp->error->message, substr);
	warden__v1__response__free_unpacked(resp, NULL);
}

#endif
