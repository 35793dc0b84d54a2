// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the control protocol. Framing: a length over the limit is refused before any allocation
 * (malloc is counted), truncated and malformed frames are refused, a request arriving in pieces
 * is put together, pipelined requests wait their turn, file descriptors come only with run.
 * Authorisation from injected credentials: root, the admin group as primary or supplementary
 * group, the read-only group reading and refused writing, sandboxed root refused, unknown cgroup
 * refused. The socket's life: a non-socket or live socket at the path is refused, a stale one
 * replaced, the mode is 0660. The real credential path over a socketpair, a connection from a
 * process that has exited, and (the path for kernels without SO_PEERPIDFD) a live process at the
 * caller's pid that does not hold the connection. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
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

static const struct wd_ctl_auth auth = {
	.admin_group = "warden-admin",
	.admin_gid = ADMIN_GID,
	.read_group = "warden-read",
	.read_gid = READ_GID,
};

static const wd_ctl_op WRITE_OP = WARDEN__V1__REQUEST__OP_POLICY_APPLY;
static const wd_ctl_op READ_OP = WARDEN__V1__REQUEST__OP_SANDBOX_LIST;

/* --- Framing --------------------------------------------------------------------------- */

static void put_hdr(uint8_t *h, uint32_t n)
{
	h[0] = n >> 24;
	h[1] = n >> 16;
	h[2] = n >> 8;
	h[3] = n;
}

static void frame_len_limit(void **state)
{
	uint8_t h[4];
	uint32_t n;

	put_hdr(h, WD_CTL_MSG_MAX);
	assert_int_equal(wd_ctl_frame_len(h, &n), 0);
	assert_int_equal(n, WD_CTL_MSG_MAX);
	put_hdr(h, WD_CTL_MSG_MAX + 1);
	assert_int_equal(wd_ctl_frame_len(h, &n), -EMSGSIZE);
	assert_int_equal(n, WD_CTL_MSG_MAX + 1);
	put_hdr(h, 0xffffffff);
	assert_int_equal(wd_ctl_frame_len(h, &n), -EMSGSIZE);
	put_hdr(h, 0);
	assert_int_equal(wd_ctl_frame_len(h, &n), 0);
	assert_int_equal(n, 0);
	/* Big-endian, not host order. */
	h[0] = 0, h[1] = 0, h[2] = 1, h[3] = 2;
	assert_int_equal(wd_ctl_frame_len(h, &n), 0);
	assert_int_equal(n, 258);
}

/* A policy apply request with labels-free fields and the given text. */
static uint8_t *encode_apply(const char *text, size_t *len)
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

static void encode_decode(void **state)
{
	Warden__V1__Request *req;
	size_t len;
	uint8_t *buf = encode_apply("name: x\n", &len);
	uint32_t n;

	assert_int_equal(wd_ctl_frame_len(buf, &n), 0);
	assert_int_equal(n + 4, len);
	assert_int_equal(wd_ctl_decode_request(buf, len, &req), 0);
	assert_int_equal(req->protocol, 1);
	assert_int_equal(req->op_case, WARDEN__V1__REQUEST__OP_POLICY_APPLY);
	assert_string_equal(req->policy_apply->target->identity, "ci:acme/api#8812");
	assert_string_equal(req->policy_apply->policy->text, "name: x\n");
	warden__v1__request__free_unpacked(req, NULL);
	free(buf);
}

static void encode_too_large(void **state)
{
	char *text = malloc(WD_CTL_MSG_MAX + 1);
	Warden__V1__Request req = WARDEN__V1__REQUEST__INIT;
	Warden__V1__PolicyCheckRequest ck = WARDEN__V1__POLICY_CHECK_REQUEST__INIT;
	Warden__V1__PolicySource src = WARDEN__V1__POLICY_SOURCE__INIT;
	uint8_t *buf = NULL;
	size_t len;

	memset(text, 'a', WD_CTL_MSG_MAX);
	text[WD_CTL_MSG_MAX] = '\0';
	req.op_case = WARDEN__V1__REQUEST__OP_POLICY_CHECK;
	req.policy_check = &ck;
	ck.policy = &src;
	src.text = text;
	assert_int_equal(wd_ctl_encode(&req.base, &buf, &len), -EMSGSIZE);
	assert_null(buf);
	free(text);
}

static void decode_bad_frames(void **state)
{
	static const uint8_t garbage[] = {0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	/* Field 2 (client, a string) claiming 100 bytes where 2 follow. */
	static const uint8_t short_string[] = {0, 0, 0, 4, 0x12, 100, 'a', 'b'};
	Warden__V1__Request *req = NULL;
	uint8_t over[8];
	size_t len;
	uint8_t *buf = encode_apply("name: x\n", &len);

	/* Truncated: every proper prefix of a frame is refused. */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(wd_ctl_decode_request(buf, i, &req), -EPROTO);
	/* Trailing bytes beyond what the prefix says. */
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	assert_int_equal(wd_ctl_decode_request(buf, len + 1, &req), -EPROTO);
	free(buf);
	assert_int_equal(wd_ctl_decode_request(garbage, sizeof(garbage), &req), -EPROTO);
	assert_int_equal(wd_ctl_decode_request(short_string, sizeof(short_string), &req), -EPROTO);
	/* Over the limit: refused on the prefix alone, nothing allocated. */
	put_hdr(over, WD_CTL_MSG_MAX + 1);
	memset(over + 4, 0, 4);
	n_allocs = 0;
	counting = 1;
	assert_int_equal(wd_ctl_decode_request(over, sizeof(over), &req), -EMSGSIZE);
	counting = 0;
	assert_int_equal(n_allocs, 0);
	assert_null(req);
}

/* An operation this daemon does not know (field 99) decodes with no operation set. */
static void decode_unknown_op(void **state)
{
	/* protocol = 1, then field 99 as an empty message (tag 99 << 3 | 2 = 0x31a). */
	static const uint8_t frame[] = {0, 0, 0, 5, 0x08, 1, 0x9a, 0x06, 0};
	Warden__V1__Request *req;

	assert_int_equal(wd_ctl_decode_request(frame, sizeof(frame), &req), 0);
	assert_int_equal(req->op_case, WARDEN__V1__REQUEST__OP__NOT_SET);
	assert_int_equal(req->protocol, 1);
	assert_false(wd_ctl_op_is_read(req->op_case));
	assert_string_equal(wd_ctl_op_name(req->op_case), "unknown operation");
	warden__v1__request__free_unpacked(req, NULL);
}

/* --- Connections over a socketpair ------------------------------------------------------ */

struct pair {
	struct wd_ctl_conn *c;
	int client;
};

static void pair_open(struct pair *p)
{
	char err[WD_CTL_ERR_MAX];
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(wd_ctl_conn_open(NULL, sv[0], &p->c, err, sizeof(err)), 0);
	p->client = sv[1];
}

static void pair_close(struct pair *p)
{
	wd_ctl_conn_close(p->c);
	close(p->client);
}

static void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

/* The error the daemon told the client before dropping it. */
static void expect_told(int fd, Warden__V1__Error__Code code, const char *substr)
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

static void conn_oversize(void **state)
{
	static const uint32_t sizes[] = {WD_CTL_MSG_MAX + 1, 0x7fffffff, 0xffffffff};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		Warden__V1__Request *req = NULL;
		char err[WD_CTL_ERR_MAX];
		struct pair p;
		uint8_t h[4];
		int ret;

		pair_open(&p);
		put_hdr(h, sizes[i]);
		write_all(p.client, h, 4);
		n_allocs = 0;
		counting = 1;
		ret = wd_ctl_conn_read(p.c, &req, err, sizeof(err));
		counting = 0;
		assert_int_equal(ret, -EMSGSIZE);
		assert_int_equal(n_allocs, 0);
		assert_null(req);
		assert_non_null(strstr(err, "limit"));
		assert_int_equal(wd_ctl_conn_events(p.c), 0);
		expect_told(p.client, WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR, "refused");
		pair_close(&p);
	}
}

static void conn_pieces(void **state)
{
	Warden__V1__Request *req;
	char err[WD_CTL_ERR_MAX];
	struct pair p;
	size_t len;
	uint8_t *buf = encode_apply("name: pieces\n", &len);

	pair_open(&p);
	assert_int_equal(wd_ctl_conn_events(p.c), EPOLLIN);
	assert_int_not_equal(wd_ctl_conn_deadline(p.c), 0);
	/* Nothing yet, then one byte at a time: never a request before the last byte. */
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 0);
	for (size_t i = 0; i + 1 < len; i++) {
		write_all(p.client, buf + i, 1);
		assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 0);
	}
	write_all(p.client, buf + len - 1, 1);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 1);
	assert_string_equal(req->policy_apply->policy->text, "name: pieces\n");
	warden__v1__request__free_unpacked(req, NULL);
	/* Working on it: no events, no deadline. */
	assert_int_equal(wd_ctl_conn_events(p.c), 0);
	assert_int_equal(wd_ctl_conn_deadline(p.c), 0);
	free(buf);
	pair_close(&p);
}

static void conn_truncated(void **state)
{
	Warden__V1__Request *req;
	char err[WD_CTL_ERR_MAX];
	struct pair p;
	size_t len;
	uint8_t *buf = encode_apply("name: cut\n", &len);

	/* Cut in the body. */
	pair_open(&p);
	write_all(p.client, buf, len - 3);
	shutdown(p.client, SHUT_WR);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "middle of a request"));
	pair_close(&p);
	/* Cut in the length. */
	pair_open(&p);
	write_all(p.client, buf, 2);
	shutdown(p.client, SHUT_WR);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), -EPROTO);
	pair_close(&p);
	/* Closed between requests. */
	pair_open(&p);
	shutdown(p.client, SHUT_WR);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), -ESHUTDOWN);
	pair_close(&p);
	free(buf);
}

static void conn_garbage(void **state)
{
	static const uint8_t garbage[] = {0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	Warden__V1__Request *req;
	char err[WD_CTL_ERR_MAX];
	struct pair p;

	pair_open(&p);
	write_all(p.client, garbage, sizeof(garbage));
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), -EPROTO);
	assert_null(req);
	expect_told(p.client, WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR, "malformed");
	pair_close(&p);
}

/* Two requests sent at once: the second waits until the first is answered. */
static void conn_pipelined(void **state)
{
	Warden__V1__Response resp = WARDEN__V1__RESPONSE__INIT, *got;
	Warden__V1__Status st = WARDEN__V1__STATUS__INIT;
	Warden__V1__Request *req;
	char err[WD_CTL_ERR_MAX];
	struct pair p;
	size_t l1, l2;
	uint8_t *b1 = encode_apply("one", &l1), *b2 = encode_apply("two", &l2);

	pair_open(&p);
	write_all(p.client, b1, l1);
	write_all(p.client, b2, l2);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 1);
	assert_string_equal(req->policy_apply->policy->text, "one");
	warden__v1__request__free_unpacked(req, NULL);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 0);

	st.version = "0.1.0";
	resp.result_case = WARDEN__V1__RESPONSE__RESULT_STATUS;
	resp.status = &st;
	assert_int_equal(wd_ctl_conn_send(p.c, &resp, true), 0);
	assert_int_equal(wd_ctl_conn_events(p.c), EPOLLIN);
	assert_int_equal(wd_ctl_recv(p.client, &got, 1000, err, sizeof(err)), 0);
	assert_int_equal(got->result_case, WARDEN__V1__RESPONSE__RESULT_STATUS);
	assert_string_equal(got->status->version, "0.1.0");
	warden__v1__response__free_unpacked(got, NULL);

	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 1);
	assert_string_equal(req->policy_apply->policy->text, "two");
	warden__v1__request__free_unpacked(req, NULL);
	free(b1);
	free(b2);
	pair_close(&p);
}

static int send_with_fds(int sock, const uint8_t *buf, size_t len, const int *fds, unsigned n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)] = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	return sendmsg(sock, &mh, 0) == (ssize_t)len ? 0 : -errno;
}

static uint8_t *encode_run(size_t *len)
{
	Warden__V1__Request req = WARDEN__V1__REQUEST__INIT;
	Warden__V1__RunRequest run = WARDEN__V1__RUN_REQUEST__INIT;
	char *argv[] = {"make", "test"};
	uint8_t *buf;

	req.op_case = WARDEN__V1__REQUEST__OP_RUN;
	req.run = &run;
	run.argv = argv;
	run.n_argv = 2;
	run.cwd = "/src";
	assert_int_equal(wd_ctl_encode(&req.base, &buf, len), 0);
	return buf;
}

static void conn_fds(void **state)
{
	Warden__V1__Request *req;
	char err[WD_CTL_ERR_MAX];
	int pipes[2][2], fds[4], got[WD_CTL_FDS_MAX];
	struct pair p;
	size_t len;
	uint8_t *run = encode_run(&len), *apply;

	assert_int_equal(pipe(pipes[0]), 0);
	assert_int_equal(pipe(pipes[1]), 0);
	fds[0] = pipes[0][0], fds[1] = pipes[0][1], fds[2] = pipes[1][0], fds[3] = pipes[1][1];

	/* run with stdin, stdout, stderr: taken, close-on-exec. */
	pair_open(&p);
	assert_int_equal(send_with_fds(p.client, run, len, fds, 3), 0);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 1);
	assert_int_equal(req->op_case, WARDEN__V1__REQUEST__OP_RUN);
	assert_int_equal(req->run->n_argv, 2);
	assert_int_equal(wd_ctl_conn_take_fds(p.c, got), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
	}
	assert_int_equal(wd_ctl_conn_take_fds(p.c, got), 0);
	warden__v1__request__free_unpacked(req, NULL);
	pair_close(&p);

	/* Four are too many. */
	pair_open(&p);
	assert_int_equal(send_with_fds(p.client, run, len, fds, 4), 0);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "file descriptors"));
	pair_close(&p);

	/* Any with another request: refused. */
	free(run);
	apply = encode_apply("x", &len);
	pair_open(&p);
	assert_int_equal(send_with_fds(p.client, apply, len, fds, 1), 0);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "other than run"));
	expect_told(p.client, WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR, "other than run");
	pair_close(&p);
	free(apply);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void conn_timeout(void **state)
{
	char err[WD_CTL_ERR_MAX];
	struct pair p;
	uint64_t d;

	/* Idle. */
	pair_open(&p);
	d = wd_ctl_conn_deadline(p.c);
	assert_true(d > now_ns() + (WD_CTL_TIMEOUT_MS - 1000) * 1000000ull);
	assert_int_equal(wd_ctl_conn_expire(p.c, d - 1, err, sizeof(err)), 0);
	assert_int_equal(wd_ctl_conn_expire(p.c, d, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "no request within"));
	expect_told(p.client, WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR, "no request");
	pair_close(&p);

	/* Half a request. */
	pair_open(&p);
	{
		Warden__V1__Request *req;
		uint8_t h[4];

		put_hdr(h, 100);
		write_all(p.client, h, 4);
		write_all(p.client, "abc", 3);
		assert_int_equal(wd_ctl_conn_read(p.c, &req, err, sizeof(err)), 0);
	}
	d = wd_ctl_conn_deadline(p.c);
	assert_int_equal(wd_ctl_conn_expire(p.c, d + 1, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "7 of 104 bytes"));
	pair_close(&p);
}

/* --- Authorisation ---------------------------------------------------------------------- */

static struct wd_ctl_peer peer(uid_t uid, gid_t gid, const char *cgroup)
{
	struct wd_ctl_peer p = {.pid = 4242, .uid = uid, .gid = gid};

	snprintf(p.cgroup, sizeof(p.cgroup), "%s", cgroup);
	return p;
}

static void allowed(const struct wd_ctl_auth *a, const struct wd_ctl_peer *p, wd_ctl_op op)
{
	char why[WD_CTL_ERR_MAX] = "";

	if (wd_ctl_authorize(a, p, op, why, sizeof(why)))
		fail_msg("uid %u in %s refused %s: %s", (unsigned)p->uid, p->cgroup,
			 wd_ctl_op_name(op), why);
}

static void refused(const struct wd_ctl_auth *a, const struct wd_ctl_peer *p, wd_ctl_op op,
		    const char *want)
{
	char why[WD_CTL_ERR_MAX] = "";

	assert_int_equal(wd_ctl_authorize(a, p, op, why, sizeof(why)), -EACCES);
	if (strcmp(why, want))
		fail_msg("refusal says \"%s\", want \"%s\"", why, want);
}

static void auth_root(void **state)
{
	struct wd_ctl_peer p = peer(0, 0, "/system.slice/ssh.service");

	allowed(&auth, &p, WRITE_OP);
	allowed(&auth, &p, READ_OP);
	allowed(&auth, &p, WARDEN__V1__REQUEST__OP_RUN);
}

static void auth_admin_group(void **state)
{
	gid_t groups[] = {27, 100, ADMIN_GID};
	struct wd_ctl_peer p = peer(1000, 1000, "/user.slice/user-1000.slice/session-3.scope");

	/* Supplementary. */
	p.groups = groups;
	p.n_groups = 3;
	allowed(&auth, &p, WRITE_OP);
	allowed(&auth, &p, WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE);
	/* Primary. */
	p.n_groups = 0;
	p.gid = ADMIN_GID;
	allowed(&auth, &p, WRITE_OP);
	/* Neither. */
	p.gid = 1000;
	p.n_groups = 2;
	refused(&auth, &p, WRITE_OP,
		"permission denied: uid 1000 is neither root nor in group warden-admin");
	refused(&auth, &p, READ_OP,
		"permission denied: uid 1000 is neither root nor in group warden-admin or "
		"warden-read");
}

static void auth_read_group(void **state)
{
	static const wd_ctl_op reads[] = {
		WARDEN__V1__REQUEST__OP_SANDBOX_LIST, WARDEN__V1__REQUEST__OP_SANDBOX_SHOW,
		WARDEN__V1__REQUEST__OP_POLICY_SHOW,  WARDEN__V1__REQUEST__OP_POLICY_CHECK,
		WARDEN__V1__REQUEST__OP_POLICY_DIFF,  WARDEN__V1__REQUEST__OP_STATUS,
	};
	static const wd_ctl_op writes[] = {
		WARDEN__V1__REQUEST__OP_RUN,
		WARDEN__V1__REQUEST__OP_SANDBOX_CREATE,
		WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE,
		WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT,
		WARDEN__V1__REQUEST__OP_POLICY_APPLY,
		WARDEN__V1__REQUEST__OP__NOT_SET,
	};
	gid_t groups[] = {READ_GID};
	struct wd_ctl_peer p = peer(1001, 1001, "/user.slice");

	p.groups = groups;
	p.n_groups = 1;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		assert_true(wd_ctl_op_is_read(reads[i]));
		allowed(&auth, &p, reads[i]);
	}
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		char why[WD_CTL_ERR_MAX];

		assert_false(wd_ctl_op_is_read(writes[i]));
		assert_int_equal(wd_ctl_authorize(&auth, &p, writes[i], why, sizeof(why)), -EACCES);
	}
	refused(&auth, &p, WRITE_OP,
		"permission denied: uid 1001 is in the read-only group warden-read, and policy "
		"apply needs root or group warden-admin");
	refused(&auth, &p, WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT,
		"permission denied: uid 1001 is in the read-only group warden-read, and sandbox "
		"adopt needs root or group warden-admin");
}

static bool adopted(const char *cgroup, void *arg)
{
	const char *root = arg;
	size_t n = strlen(root);

	return !strncmp(cgroup, root, n) && (!cgroup[n] || cgroup[n] == '/');
}

static void auth_sandboxed(void **state)
{
	static const char *const inside[] = {
		"/warden/sb-3f2a9c01d4e5b677",
		"/warden/sb-3f2a9c01d4e5b677/sub/deeper",
		"/warden/sb-",
		"/warden/sb-3f2a9c01d4e5b677 (deleted)",
	};
	static const char *const outside[] = {
		"/",
		"/warden",
		"/warden/",
		"/wardens/sb-1",
		"/warden/sbx",
		"/x/warden/sb-1",
		"/system.slice/runner-42.scopex",
	};
	struct wd_ctl_auth a = auth;
	gid_t groups[] = {ADMIN_GID};
	char why[WD_CTL_ERR_MAX];
	struct wd_ctl_peer p;

	a.is_sandboxed = adopted;
	a.arg = "/system.slice/runner-42.scope";
	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		p = peer(0, 0, inside[i]);
		assert_true(wd_ctl_in_sandbox(&a, inside[i]));
		/* Read operations too, and admins too. */
		assert_int_equal(wd_ctl_authorize(&a, &p, READ_OP, why, sizeof(why)), -EACCES);
		p = peer(1000, 1000, inside[i]);
		p.groups = groups;
		p.n_groups = 1;
		assert_int_equal(wd_ctl_authorize(&a, &p, READ_OP, why, sizeof(why)), -EACCES);
	}
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_false(wd_ctl_in_sandbox(&a, outside[i]));
		p = peer(0, 0, outside[i]);
		allowed(&a, &p, WRITE_OP);
	}
	p = peer(0, 0, "/warden/sb-3f2a9c01d4e5b677");
	refused(&a, &p, WRITE_OP,
		"permission denied: pid 4242 (uid 0) runs inside the sandbox cgroup "
		"/warden/sb-3f2a9c01d4e5b677, and sandboxed processes may not use the warden "
		"daemon");
	/* Adopted cgroups, through the callback. */
	p = peer(0, 0, "/system.slice/runner-42.scope/job");
	refused(&a, &p, READ_OP,
		"permission denied: pid 4242 (uid 0) runs inside the sandbox cgroup "
		"/system.slice/runner-42.scope/job, and sandboxed processes may not use the "
		"warden daemon");

	/* Another sandbox root, given with a trailing slash. */
	a.sandbox_root = "/kubepods.slice/warden/";
	assert_true(wd_ctl_in_sandbox(&a, "/kubepods.slice/warden/sb-1"));
	assert_false(wd_ctl_in_sandbox(&a, "/warden/sb-1"));
	/* A sandbox root of "/" makes every top-level sb-* a sandbox. */
	a.sandbox_root = "/";
	assert_true(wd_ctl_in_sandbox(&a, "/sb-1"));
}

static void auth_unknown_cgroup(void **state)
{
	struct wd_ctl_peer p = peer(0, 0, "");

	refused(&auth, &p, READ_OP,
		"permission denied: cannot tell whether pid 4242 (uid 0) runs inside a sandbox: "
		"its cgroup is unknown");
	p.pid = 0;
	refused(&auth, &p, READ_OP,
		"permission denied: cannot tell whether pid 0 (uid 0) runs inside a sandbox: its "
		"cgroup is unknown (it is in a pid namespace the daemon cannot see into)");
}

static void auth_no_groups_configured(void **state)
{
	struct wd_ctl_auth a = {0};
	gid_t groups[] = {ADMIN_GID, READ_GID};
	struct wd_ctl_peer p = peer(1000, ADMIN_GID, "/user.slice");

	p.groups = groups;
	p.n_groups = 2;
	refused(&a, &p, READ_OP,
		"permission denied: uid 1000 is not root, and the daemon names no admin group");
	p = peer(0, 0, "/user.slice");
	allowed(&a, &p, WRITE_OP);
}

static void proc_cgroup_parse(void **state)
{
	char path[64];

	assert_int_equal(wd_ctl_parse_proc_cgroup("0::/warden/sb-1\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/warden/sb-1");
	/* Hybrid: v1 lines first, and a v1 path that looks like a sandbox does not count. */
	assert_int_equal(wd_ctl_parse_proc_cgroup("4:memory:/warden/sb-1\n1:name=systemd:/x\n"
						  "0::/user.slice\n",
						  path, sizeof(path)),
			 0);
	assert_string_equal(path, "/user.slice");
	assert_int_equal(wd_ctl_parse_proc_cgroup("0::/\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(wd_ctl_parse_proc_cgroup("0::/no-newline", path, sizeof(path)), 0);
	assert_string_equal(path, "/no-newline");
	assert_int_equal(wd_ctl_parse_proc_cgroup("4:memory:/x\n", path, sizeof(path)), -ENOENT);
	assert_int_equal(wd_ctl_parse_proc_cgroup("", path, sizeof(path)), -ENOENT);
	assert_int_equal(wd_ctl_parse_proc_cgroup("0::\n", path, sizeof(path)), -ENOENT);
	assert_int_equal(wd_ctl_parse_proc_cgroup("10::/x\n", path, sizeof(path)), -ENOENT);
	assert_int_equal(wd_ctl_parse_proc_cgroup("0::/aaaaaaaaaaaaaaaa\n", path, 8),
			 -ENAMETOOLONG);
}

/* --- The real credential path ----------------------------------------------------------- */

static char self_cgroup[PATH_MAX];

static bool is_self(const char *cgroup, void *arg)
{
	return !strcmp(cgroup, self_cgroup);
}

/* Over a socketpair the peer is this process: its cgroup comes from /proc through a pidfd. */
static void conn_authorize_self(void **state)
{
	Warden__V1__Request *req;
	struct wd_ctl_auth a = auth;
	char why[WD_CTL_ERR_MAX], *text = NULL;
	size_t len, cap = 0;
	uint8_t *buf = encode_apply("x", &len);
	struct pair p;
	FILE *f;

	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &cap, '\0', f) > 0);
	fclose(f);
	assert_int_equal(wd_ctl_parse_proc_cgroup(text, self_cgroup, sizeof(self_cgroup)), 0);
	free(text);

	pair_open(&p);
	assert_int_equal(wd_ctl_conn_peer(p.c)->pid, getpid());
	assert_int_equal(wd_ctl_conn_peer(p.c)->uid, geteuid());
	write_all(p.client, buf, len);
	assert_int_equal(wd_ctl_conn_read(p.c, &req, why, sizeof(why)), 1);
	/* Whoever runs the tests may use it: root, or its own group as the admin group. */
	a.admin_gid = getegid();
	assert_int_equal(wd_ctl_conn_authorize(p.c, &a, req, why, sizeof(why)), 0);
	assert_string_equal(wd_ctl_conn_peer(p.c)->cgroup, self_cgroup);
	/* The same caller, its cgroup now called a sandbox. */
	a.is_sandboxed = is_self;
	assert_int_equal(wd_ctl_conn_authorize(p.c, &a, req, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "runs inside the sandbox cgroup"));
	warden__v1__request__free_unpacked(req, NULL);
	free(buf);
	pair_close(&p);
}

/* --- The listening socket --------------------------------------------------------------- */

struct srv_fx {
	char dir[64], path[128];
	struct wd_ctl_server_opts o;
};

static int srv_setup(void **state)
{
	struct srv_fx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/wd-ctl-test.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/control.sock", fx->dir);
	fx->o.path = fx->path;
	*state = fx;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv_fx *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd))
		return -1;
	free(fx);
	return 0;
}

static void expect_err(int ret, int want, const char *err, const char *substr)
{
	assert_int_equal(ret, want);
	if (!strstr(err, substr))
		fail_msg("error \"%s\" does not say \"%s\"", err, substr);
}

static void server_socket_mode(void **state)
{
	struct srv_fx *fx = *state;
	struct wd_ctl_server *s, *s2;
	char err[WD_CTL_ERR_MAX];
	struct stat st;

	fx->o.group = getegid();
	assert_int_equal(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), 0);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	/* The directory is searchable, so that the groups can reach the socket. */
	assert_int_equal(stat(fx->dir, &st), 0);
	assert_int_equal(st.st_mode & 0011, 0011);
	assert_int_equal(st.st_mode & 0022, 0);
	/* The listening socket suits epoll. */
	assert_true(fcntl(wd_ctl_server_fd(s), F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(wd_ctl_server_fd(s), F_GETFD) & FD_CLOEXEC);
	/* A second daemon is refused. */
	expect_err(wd_ctl_server_open(&s2, &fx->o, err, sizeof(err)), -EADDRINUSE, err,
		   "another warden daemon");
	wd_ctl_server_close(s);
	/* Closing removes the socket. */
	assert_int_equal(lstat(fx->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void server_refuses_non_socket(void **state)
{
	struct srv_fx *fx = *state;
	struct wd_ctl_server *s;
	char err[WD_CTL_ERR_MAX];
	int fd;

	fd = open(fx->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	expect_err(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), -EEXIST, err,
		   "exists and is not a socket");
	/* Untouched. */
	assert_int_equal(access(fx->path, F_OK), 0);
	unlink(fx->path);
	assert_int_equal(symlink("/etc/passwd", fx->path), 0);
	expect_err(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), -EEXIST, err,
		   "is not a socket");
}

static int bound_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening)
		assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void server_live_and_stale(void **state)
{
	struct srv_fx *fx = *state;
	struct wd_ctl_server *s;
	char err[WD_CTL_ERR_MAX];
	int fd, cfd;

	/* Someone listens there (a daemon that takes no lock): refused, left alone. */
	fd = bound_socket(fx->path, true);
	expect_err(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), -EADDRINUSE, err,
		   "is listening on");
	close(fd);
	/* Now it is stale: replaced. */
	expect_err(wd_ctl_connect(fx->path, 1000, &cfd, err, sizeof(err)), -ECONNREFUSED, err,
		   "Connection refused: is it running?");
	assert_int_equal(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), 0);
	assert_int_equal(wd_ctl_connect(fx->path, 1000, &cfd, err, sizeof(err)), 0);
	close(cfd);
	wd_ctl_server_close(s);
}

static void server_unsafe_dir(void **state)
{
	struct srv_fx *fx = *state;
	struct wd_ctl_server *s;
	char err[WD_CTL_ERR_MAX];

	assert_int_equal(chmod(fx->dir, 0777), 0);
	expect_err(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), -EPERM, err,
		   "is writable by others than root");
	chmod(fx->dir, 0700);
	fx->o.path = "relative.sock";
	expect_err(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), -ENAMETOOLONG, err,
		   "must be absolute");
}

static void client_not_running(void **state)
{
	struct srv_fx *fx = *state;
	char err[WD_CTL_ERR_MAX], want[256];
	int fd;

	snprintf(want, sizeof(want),
		 "cannot reach the warden daemon at %s: No such file or directory: is it running?",
		 fx->path);
	assert_int_equal(wd_ctl_connect(fx->path, 1000, &fd, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, want);
}

static void server_read_group_acl(void **state)
{
	struct srv_fx *fx = *state;
	struct wd_ctl_server *s;
	char err[WD_CTL_ERR_MAX];
	uint8_t acl[64];
	ssize_t n;
	int ret;

	fx->o.read_group = 4321;
	ret = wd_ctl_server_open(&s, &fx->o, err, sizeof(err));
	if (ret == -EOPNOTSUPP)
		skip(); /* /tmp's file system has no POSIX ACLs: nothing to check here */
	assert_int_equal(ret, 0);
	n = getxattr(fx->path, "system.posix_acl_access", acl, sizeof(acl));
	assert_int_equal(n, 4 + 5 * 8);
	/* The group entry (third) names gid 4321 with rw. */
	assert_int_equal(acl[4 + 2 * 8], 0x08);
	assert_int_equal(acl[4 + 2 * 8 + 2], 6);
	assert_int_equal(acl[4 + 2 * 8 + 4] | acl[4 + 2 * 8 + 5] << 8, 4321);
	wd_ctl_server_close(s);
}

/* Accept, answer, and the connection limit, through the server. */
static void server_accept_limit(void **state)
{
	struct srv_fx *fx = *state;
	Warden__V1__Response resp = WARDEN__V1__RESPONSE__INIT, *got;
	Warden__V1__Status st = WARDEN__V1__STATUS__INIT;
	Warden__V1__Request *req;
	struct wd_ctl_conn *c, *c2;
	struct wd_ctl_server *s;
	char err[WD_CTL_ERR_MAX];
	int fd1, fd2;
	size_t len;
	uint8_t *buf = encode_apply("x", &len);

	fx->o.max_conns = 1;
	assert_int_equal(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), 0);
	assert_int_equal(wd_ctl_accept(s, &c, err, sizeof(err)), -EAGAIN);
	assert_int_equal(wd_ctl_connect(fx->path, 1000, &fd1, err, sizeof(err)), 0);
	assert_int_equal(wd_ctl_connect(fx->path, 1000, &fd2, err, sizeof(err)), 0);
	assert_int_equal(wd_ctl_accept(s, &c, err, sizeof(err)), 0);
	assert_true(fcntl(wd_ctl_conn_fd(c), F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(wd_ctl_conn_fd(c), F_GETFD) & FD_CLOEXEC);
	assert_int_equal(wd_ctl_accept(s, &c2, err, sizeof(err)), -EBUSY);
	expect_told(fd2, WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED, "connections open");
	close(fd2);

	write_all(fd1, buf, len);
	assert_int_equal(wd_ctl_conn_read(c, &req, err, sizeof(err)), 1);
	warden__v1__request__free_unpacked(req, NULL);
	st.version = "9.9";
	resp.result_case = WARDEN__V1__RESPONSE__RESULT_STATUS;
	resp.status = &st;
	assert_int_equal(wd_ctl_conn_send(c, &resp, true), 0);
	assert_int_equal(wd_ctl_recv(fd1, &got, 1000, err, sizeof(err)), 0);
	assert_string_equal(got->status->version, "9.9");
	warden__v1__response__free_unpacked(got, NULL);
	/* Closing one makes room. */
	wd_ctl_conn_close(c);
	assert_int_equal(wd_ctl_connect(fx->path, 1000, &fd2, err, sizeof(err)), 0);
	assert_int_equal(wd_ctl_accept(s, &c2, err, sizeof(err)), 0);
	wd_ctl_conn_close(c2);
	close(fd1);
	close(fd2);
	free(buf);
	wd_ctl_server_close(s);
}

/* A caller that connected, sent its request and exited cannot be checked: refused. And one that
 * is alive is found, by SO_PEERPIDFD and by pidfd_open with its start time. */
static void server_peer_exited(void **state)
{
	struct srv_fx *fx = *state;
	Warden__V1__Request *req;
	struct wd_ctl_auth a = auth;
	char err[WD_CTL_ERR_MAX];
	size_t len;
	uint8_t *buf = encode_apply("x", &len);

	a.admin_gid = getegid();
	for (int fallback = 0; fallback < 2; fallback++) {
		struct wd_ctl_server *s;
		struct wd_ctl_conn *c;
		pid_t pid;
		int fd, status;

		fx->o.no_peer_pidfd = fallback;
		assert_int_equal(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			if (wd_ctl_connect(fx->path, 1000, &fd, err, sizeof(err)) ||
			    write(fd, buf, len) != (ssize_t)len)
				_exit(1);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(status, 0);
		assert_int_equal(wd_ctl_accept(s, &c, err, sizeof(err)), 0);
		assert_int_equal(wd_ctl_conn_peer(c)->pid, pid);
		assert_int_equal(wd_ctl_conn_read(c, &req, err, sizeof(err)), 1);
		expect_err(wd_ctl_conn_authorize(c, &a, req, err, sizeof(err)), -EACCES, err,
			   "has exited");
		warden__v1__request__free_unpacked(req, NULL);
		wd_ctl_conn_close(c);

		/* This process, alive. */
		assert_int_equal(wd_ctl_connect(fx->path, 1000, &fd, err, sizeof(err)), 0);
		write_all(fd, buf, len);
		assert_int_equal(wd_ctl_accept(s, &c, err, sizeof(err)), 0);
		assert_int_equal(wd_ctl_conn_read(c, &req, err, sizeof(err)), 1);
		if (wd_ctl_conn_authorize(c, &a, req, err, sizeof(err)))
			fail_msg("%s: %s", fallback ? "pidfd_open" : "SO_PEERPIDFD", err);
		warden__v1__request__free_unpacked(req, NULL);
		wd_ctl_conn_close(c);
		close(fd);
		wd_ctl_server_close(s);
	}
	free(buf);
}

static void send_fds(int sock, const int *fds, unsigned n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 2)] = {0};
	char byte = 'f';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl};
	struct cmsghdr *cm;

	mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	if (sendmsg(sock, &mh, 0) != 1)
		_exit(3);
}

static void recv_fds(int sock, int *fds, unsigned n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 2)], byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm;

	assert_int_equal(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC), 1);
	cm = CMSG_FIRSTHDR(&mh);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_len, CMSG_LEN(sizeof(int) * n));
	memcpy(fds, CMSG_DATA(cm), sizeof(int) * n);
}

/* Without SO_PEERPIDFD, the process at the caller's pid must hold the other end of the
 * connection: a live process that does not (what a reused pid looks like) is refused. A child
 * makes a connected pair (so the pair's credentials are its own), hands both ends over, and
 * either keeps its copy of the client end or not. */
static void server_pid_not_holder(void **state)
{
	struct srv_fx *fx = *state;
	struct wd_ctl_auth a = auth;
	char err[WD_CTL_ERR_MAX];
	size_t len;
	uint8_t *buf = encode_apply("x", &len);

	a.admin_gid = getegid();
	fx->o.no_peer_pidfd = true;
	for (int keep = 0; keep < 2; keep++) {
		Warden__V1__Request *req;
		struct wd_ctl_server *s;
		struct wd_ctl_conn *c;
		int chan[2], sv[2], status, ret;
		pid_t pid;
		char byte;

		assert_int_equal(wd_ctl_server_open(&s, &fx->o, err, sizeof(err)), 0);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			/* Only the parent's end stays open there: if the parent fails, read() below
			 * sees the end of file and the child exits, instead of waiting forever. */
			close(chan[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
				_exit(2);
			send_fds(chan[1], sv, 2);
			close(sv[0]);
			if (!keep)
				close(sv[1]);
			/* Handed over (and closed): the parent may look now. */
			if (write(chan[1], "c", 1) != 1)
				_exit(5);
			/* Alive until told. */
			_exit(read(chan[1], &byte, 1) == 1 ? 0 : 4);
		}
		recv_fds(chan[0], sv, 2);
		assert_int_equal(read(chan[0], &byte, 1), 1);
		write_all(sv[1], buf, len);
		assert_int_equal(wd_ctl_conn_open(s, sv[0], &c, err, sizeof(err)), 0);
		assert_int_equal(wd_ctl_conn_peer(c)->pid, pid);
		assert_int_equal(wd_ctl_conn_read(c, &req, err, sizeof(err)), 1);
		ret = wd_ctl_conn_authorize(c, &a, req, err, sizeof(err));
		if (keep && ret)
			fail_msg("the holder was refused: %s", err);
		if (!keep)
			expect_err(ret, -EACCES, err, "does not hold this connection");
		warden__v1__request__free_unpacked(req, NULL);
		wd_ctl_conn_close(c);
		write_all(chan[0], "x", 1);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(status, 0);
		close(sv[1]);
		close(chan[0]);
		close(chan[1]);
		wd_ctl_server_close(s);
	}
	free(buf);
}

#define SRV_TEST(fn) cmocka_unit_test_setup_teardown(fn, srv_setup, srv_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_len_limit),
		cmocka_unit_test(encode_decode),
		cmocka_unit_test(encode_too_large),
		cmocka_unit_test(decode_bad_frames),
		cmocka_unit_test(decode_unknown_op),
		cmocka_unit_test(conn_oversize),
		cmocka_unit_test(conn_pieces),
		cmocka_unit_test(conn_truncated),
		cmocka_unit_test(conn_garbage),
		cmocka_unit_test(conn_pipelined),
		cmocka_unit_test(conn_fds),
		cmocka_unit_test(conn_timeout),
		cmocka_unit_test(auth_root),
		cmocka_unit_test(auth_admin_group),
		cmocka_unit_test(auth_read_group),
		cmocka_unit_test(auth_sandboxed),
		cmocka_unit_test(auth_unknown_cgroup),
		cmocka_unit_test(auth_no_groups_configured),
		cmocka_unit_test(proc_cgroup_parse),
		cmocka_unit_test(conn_authorize_self),
		SRV_TEST(server_socket_mode),
		SRV_TEST(server_refuses_non_socket),
		SRV_TEST(server_live_and_stale),
		SRV_TEST(server_unsafe_dir),
		SRV_TEST(client_not_running),
		SRV_TEST(server_read_group_acl),
		SRV_TEST(server_accept_limit),
		SRV_TEST(server_peer_exited),
		SRV_TEST(server_pid_not_holder),
	};

	/* A client that hangs up must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
