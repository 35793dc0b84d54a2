// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: ctl/conn.c and ctl/peer.c over a socketpair. A length over the limit is refused before
 * any allocation (malloc is counted), a request arriving in pieces is put together, truncated and
 * malformed requests are refused, pipelined requests wait their turn, file descriptors come only
 * with run, a silent client times out; and the real credential path, where the peer is this
 * process and its cgroup comes from /proc through a pidfd. */
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
#include "ctl_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conn_oversize),  cmocka_unit_test(conn_pieces),
		cmocka_unit_test(conn_truncated), cmocka_unit_test(conn_garbage),
		cmocka_unit_test(conn_pipelined), cmocka_unit_test(conn_fds),
		cmocka_unit_test(conn_timeout),	  cmocka_unit_test(conn_authorize_self),
	};

	/* A client that hangs up must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
