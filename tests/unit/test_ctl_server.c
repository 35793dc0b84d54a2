// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: ctl/server.c and ctl/client.c. The socket's life: a non-socket or live socket at the
 * path is refused, a stale one replaced, the mode is 0660, an unsafe directory is refused, the
 * read-only group gets an ACL entry; a client finds no daemon; accept answers up to the limit.
 * And the caller's identity through the server: a connection from a process that has exited,
 * and (the path for kernels without SO_PEERPIDFD) a live process at the caller's pid that does
 * not hold the connection. */
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
		SRV_TEST(server_socket_mode),	 SRV_TEST(server_refuses_non_socket),
		SRV_TEST(server_live_and_stale), SRV_TEST(server_unsafe_dir),
		SRV_TEST(client_not_running),	 SRV_TEST(server_read_group_acl),
		SRV_TEST(server_accept_limit),	 SRV_TEST(server_peer_exited),
		SRV_TEST(server_pid_not_holder),
	};

	/* A client that hangs up must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
