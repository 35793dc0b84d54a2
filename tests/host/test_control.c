// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tier: the control socket and the metrics endpoint for real. A daemon-like child serves
 * both from one epoll loop; clients are forked with real credentials: root is allowed; an
 * unprivileged uid cannot even connect (mode 0660) and, with the mode opened up, is refused by
 * SO_PEERCRED; admin and read-only group members get what their group allows; root moved into a
 * cgroup named like a sandbox is refused, also when it connected before moving; an oversize
 * length prefix is refused and the connection closed; an idle client is dropped without holding
 * up others. Finally curl scrapes /metrics and an independent Python checker parses every line
 * by the exposition format, and the counters follow the requests. Longer than 600 lines: every
 * case runs against the one server child and the credential-switching clients set up below. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "ctl/control.h"
#include "metrics/metrics.h"
#include "wdtest.h"

/* Group ids nobody else uses: the socket and the checks need only numbers. */
#define ADMIN_GID  64010
#define READ_GID   64011
#define NOBODY	   65534
#define TIMEOUT_MS 1000
#define SB_NAME	   "sb-0123456789abcdef"

/* What the forked processes share with the test. */
struct shared {
	uint16_t metrics_port;
	char sandbox_root[PATH_MAX]; /* the test cgroup as /proc/PID/cgroup shows it */
	char msg[WD_CTL_ERR_MAX];    /* a client's error text */
	int code;		     /* a client's Error.Code */
};

static struct shared *sh;
static char dir[64], sock_path[128];
static struct wt_cgroup parent_cg = {.fd = -1};
static char sb_path[PATH_MAX];
static pid_t daemon_pid = -1;

/* --- The daemon --------------------------------------------------------------------------- */

enum { R_ALLOWED, R_REFUSED, R_N };
static const char *const results[R_N] = {"allowed", "refused"};
static uint64_t requests[WARDEN__V1__REQUEST__OP_STATUS + 1][R_N];
static unsigned n_conns;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static int collect(struct wd_prom *w, void *arg)
{
	const struct wd_prom_label odd = {"identity", "ci:acme/\"api\"\\x\ny"};

	wd_prom_family(w, "warden_test_requests_total", WD_PROM_COUNTER,
		       "Control requests by operation and result.");
	for (int op = 0; op <= WARDEN__V1__REQUEST__OP_STATUS; op++) {
		for (int r = 0; r < R_N; r++) {
			const struct wd_prom_label l[] = {{"op", wd_ctl_op_name(op)},
							  {"result", results[r]}};

			if (requests[op][r])
				wd_prom_sample_u64(w, l, 2, requests[op][r]);
		}
	}
	wd_prom_family(w, "warden_test_connections", WD_PROM_GAUGE, "Open control connections.");
	wd_prom_sample_u64(w, NULL, 0, n_conns);
	wd_prom_family(w, "warden_test_escape", WD_PROM_GAUGE, "A label value \\ to escape\n.");
	wd_prom_sample(w, &odd, 1, 0.5);
	return 0;
}

static bool in_adopted(const char *cgroup, void *arg)
{
	return false;
}

static void answer(struct wd_ctl_conn *c, const struct wd_ctl_auth *auth, Warden__V1__Request *req)
{
	Warden__V1__Response resp = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Status st = WARDEN__V1__STATUS__INIT;
	Warden__V1__PolicyApplied pa = WARDEN__V1__POLICY_APPLIED__INIT;
	wd_ctl_op op = req->op_case;
	char why[WD_CTL_ERR_MAX];
	int ret;

	if (op > WARDEN__V1__REQUEST__OP_STATUS)
		op = WARDEN__V1__REQUEST__OP__NOT_SET;
	if (wd_ctl_conn_authorize(c, auth, req, why, sizeof(why))) {
		/* The daemon logs every refusal. */
		wt_diag("daemon: %s refused: %s", wd_ctl_op_name(op), why);
		requests[op][R_REFUSED]++;
		ret = wd_ctl_conn_send_error(c, WARDEN__V1__ERROR__CODE__PERMISSION_DENIED, why);
	} else {
		requests[op][R_ALLOWED]++;
		if (op == WARDEN__V1__REQUEST__OP_STATUS) {
			st.version = "host-test";
			resp.result_case = WARDEN__V1__RESPONSE__RESULT_STATUS;
			resp.status = &st;
		} else if (op == WARDEN__V1__REQUEST__OP_POLICY_APPLY) {
			pa.generation = 1;
			resp.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_APPLIED;
			resp.policy_applied = &pa;
		}
		ret = resp.result_case ? wd_ctl_conn_send(c, &resp, true)
				       : wd_ctl_conn_send_error(
						 c, WARDEN__V1__ERROR__CODE__UNSUPPORTED_OPERATION,
						 "not in this test");
	}
	if (ret && ret != -EAGAIN)
		wt_diag("daemon: answering: %s", strerror(-ret));
}

static void watch(int ep, struct wd_ctl_conn *c, int mode)
{
	struct epoll_event ev = {.events = wd_ctl_conn_events(c), .data.ptr = c};

	epoll_ctl(ep, mode, wd_ctl_conn_fd(c), &ev);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One epoll loop over the control socket, its connections and the metrics server, as the
 * daemon will have. Tags: the listening socket is &srv, the metrics fd &ms. */
static int daemon_main(int ready_fd)
{
	struct wd_ctl_server_opts so = {
		.path = sock_path,
		.group = ADMIN_GID,
		.read_group = READ_GID,
		.timeout_ms = TIMEOUT_MS,
	};
	struct wd_ctl_auth auth = {
		.admin_group = "warden-test-admin",
		.admin_gid = ADMIN_GID,
		.read_group = "warden-test-read",
		.read_gid = READ_GID,
		.sandbox_root = sh->sandbox_root,
		.is_sandboxed = in_adopted,
	};
	struct wd_metrics_opts mo = {.addr = "127.0.0.1:0", .collect = collect};
	struct wd_ctl_conn *conns[WD_CTL_MAX_CONNS] = {0};
	struct wd_metrics_srv *ms;
	struct wd_ctl_server *srv;
	struct sigaction sa = {.sa_handler = on_term};
	char err[WD_CTL_ERR_MAX];
	struct epoll_event ev;
	int ep;

	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (wd_ctl_server_open(&srv, &so, err, sizeof(err))) {
		wt_diag("daemon: %s", err);
		return 1;
	}
	if (wd_metrics_open(&ms, &mo, err, sizeof(err))) {
		wt_diag("daemon: %s", err);
		return 1;
	}
	sh->metrics_port = wd_metrics_port(ms);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &srv};
	epoll_ctl(ep, EPOLL_CTL_ADD, wd_ctl_server_fd(srv), &ev);
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &ms};
	epoll_ctl(ep, EPOLL_CTL_ADD, wd_metrics_fd(ms), &ev);
	if (write(ready_fd, "r", 1) != 1)
		return 1;
	close(ready_fd);

	while (!stop) {
		struct epoll_event evs[16];
		uint64_t next = wd_metrics_deadline(ms), now;
		int n, wait_ms = -1;

		for (unsigned i = 0; i < WD_CTL_MAX_CONNS; i++) {
			uint64_t d = conns[i] ? wd_ctl_conn_deadline(conns[i]) : 0;

			if (d && (!next || d < next))
				next = d;
		}
		now = mono_ns();
		if (next)
			wait_ms = next > now ? (int)((next - now) / 1000000 + 1) : 0;
		n = epoll_wait(ep, evs, 16, wait_ms);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &srv) {
				struct wd_ctl_conn *c;
				int ret;

				while ((ret = wd_ctl_accept(srv, &c, err, sizeof(err))) !=
				       -EAGAIN) {
					unsigned k;

					if (ret) {
						wt_diag("daemon: %s", err);
						continue;
					}
					for (k = 0; conns[k]; k++)
						;
					conns[k] = c;
					n_conns++;
					watch(ep, c, EPOLL_CTL_ADD);
				}
			} else if (evs[i].data.ptr == &ms) {
				if (wd_metrics_handle(ms, err, sizeof(err)))
					wt_diag("daemon: %s", err);
			} else {
				struct wd_ctl_conn *c = evs[i].data.ptr;
				Warden__V1__Request *req;
				int ret;

				if (wd_ctl_conn_events(c) == EPOLLOUT)
					ret = wd_ctl_conn_flush(c);
				else
					ret = wd_ctl_conn_read(c, &req, err, sizeof(err));
				if (ret == 1) {
					answer(c, &auth, req);
					warden__v1__request__free_unpacked(req, NULL);
					ret = 0;
				}
				if (ret < 0 && ret != -EAGAIN) {
					if (ret != -ESHUTDOWN)
						wt_diag("daemon: connection dropped: %s", err);
					for (unsigned k = 0; k < WD_CTL_MAX_CONNS; k++)
						if (conns[k] == c)
							conns[k] = NULL;
					wd_ctl_conn_close(c);
					n_conns--;
				} else {
					watch(ep, c, EPOLL_CTL_MOD);
				}
			}
		}
		now = mono_ns();
		for (unsigned k = 0; k < WD_CTL_MAX_CONNS; k++) {
			if (conns[k] && wd_ctl_conn_expire(conns[k], now, err, sizeof(err))) {
				wt_diag("daemon: %s", err);
				wd_ctl_conn_close(conns[k]);
				conns[k] = NULL;
				n_conns--;
			}
		}
		if (wd_metrics_deadline(ms) && wd_metrics_deadline(ms) <= now)
			wd_metrics_handle(ms, err, sizeof(err));
	}
	for (unsigned k = 0; k < WD_CTL_MAX_CONNS; k++)
		wd_ctl_conn_close(conns[k]);
	wd_ctl_server_close(srv);
	wd_metrics_close(ms);
	return 0;
}

/* --- Clients ------------------------------------------------------------------------------ */

enum how { ALLOWED, REFUSED, NO_CONNECT, BROKEN };

struct client {
	uid_t uid;
	gid_t gid;
	gid_t groups[4];
	int n_groups;
	bool drop;	  /* become uid/gid/groups */
	bool join_before; /* move into the sandbox cgroup before connecting */
	bool join_after;  /* ... after connecting, before the request */
	wd_ctl_op op;
};

static int join(const char *cgroup)
{
	char procs[PATH_MAX + 16];
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -errno;
}

/* Runs in a forked child: connects as @arg says and makes one request. */
static int client_main(void *arg)
{
	const struct client *cl = arg;
	Warden__V1__Request req = WARDEN__V1__REQUEST__INIT;
	Warden__V1__StatusRequest st = WARDEN__V1__STATUS_REQUEST__INIT;
	Warden__V1__PolicyApplyRequest pa = WARDEN__V1__POLICY_APPLY_REQUEST__INIT;
	Warden__V1__Response *resp;
	int fd, ret;

	sh->msg[0] = '\0';
	sh->code = 0;
	if (cl->join_before && join(sb_path))
		return BROKEN;
	if (cl->drop &&
	    (setgroups(cl->n_groups, cl->groups) || setgid(cl->gid) || setuid(cl->uid))) {
		snprintf(sh->msg, sizeof(sh->msg), "cannot drop privileges: %s", strerror(errno));
		return BROKEN;
	}
	if (wd_ctl_connect(sock_path, 2000, &fd, sh->msg, sizeof(sh->msg)))
		return NO_CONNECT;
	if (cl->join_after && join(sb_path))
		return BROKEN;
	req.protocol = WD_CTL_PROTOCOL;
	req.client = "test_control";
	req.op_case = cl->op;
	if (cl->op == WARDEN__V1__REQUEST__OP_STATUS)
		req.status = &st;
	else
		req.policy_apply = &pa;
	ret = wd_ctl_call(fd, &req, NULL, 0, &resp, 2000, sh->msg, sizeof(sh->msg));
	close(fd);
	if (ret)
		return BROKEN;
	if (resp->error) {
		snprintf(sh->msg, sizeof(sh->msg), "%s", resp->error->message);
		sh->code = resp->error->code;
		ret = REFUSED;
	} else {
		ret = resp->result_case ? ALLOWED : BROKEN;
	}
	warden__v1__response__free_unpacked(resp, NULL);
	return ret;
}

static const char *const hows[] = {"allowed", "refused", "could not connect", "broken"};

/* Runs a client; true when it ended as @want (and its message says @substr, if given). */
static bool client_is(struct client cl, enum how want, const char *substr)
{
	int got = wt_run_in(NULL, client_main, &cl);

	if (got < 0 || got > BROKEN) {
		wt_diag("client died (%d)", got);
		return false;
	}
	if (got != (int)want) {
		wt_diag("client %s (want %s): %s", hows[got], hows[want], sh->msg);
		return false;
	}
	if (substr && !strstr(sh->msg, substr)) {
		wt_diag("client %s, but its message \"%s\" does not say \"%s\"", hows[got], sh->msg,
			substr);
		return false;
	}
	if (want == REFUSED && sh->code != WARDEN__V1__ERROR__CODE__PERMISSION_DENIED) {
		wt_diag("refused with code %d, not PERMISSION_DENIED: %s", sh->code, sh->msg);
		return false;
	}
	return true;
}

static const wd_ctl_op STATUS = WARDEN__V1__REQUEST__OP_STATUS;
static const wd_ctl_op APPLY = WARDEN__V1__REQUEST__OP_POLICY_APPLY;

/* --- Cases -------------------------------------------------------------------------------- */

static enum wt_result socket_mode_and_groups(void)
{
	enum wt_result ret = WT_FAIL;
	uint8_t acl[64];
	struct stat st;
	ssize_t n;

	WT_CHECK(!lstat(sock_path, &st), "%s: %s", sock_path, strerror(errno));
	WT_CHECK(S_ISSOCK(st.st_mode), "mode %o", st.st_mode);
	WT_CHECK_INT(st.st_mode & 07777, 0660);
	WT_CHECK_INT(st.st_uid, 0);
	WT_CHECK_INT(st.st_gid, ADMIN_GID);
	n = getxattr(sock_path, "system.posix_acl_access", acl, sizeof(acl));
	WT_CHECK(n == 4 + 5 * 8, "ACL of %zd bytes: %s", n, n < 0 ? strerror(errno) : "");
	WT_CHECK_INT(acl[4 + 2 * 8 + 4] | acl[4 + 2 * 8 + 5] << 8, READ_GID);
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result root_allowed(void)
{
	enum wt_result ret = WT_FAIL;

	WT_CHECK(client_is((struct client){.op = STATUS}, ALLOWED, NULL), "status");
	WT_CHECK(client_is((struct client){.op = APPLY}, ALLOWED, NULL), "policy apply");
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result unprivileged_cannot_connect(void)
{
	struct client cl = {.uid = NOBODY, .gid = NOBODY, .drop = true, .op = STATUS};
	enum wt_result ret = WT_FAIL;

	WT_CHECK(client_is(cl, NO_CONNECT, "Permission denied: only root and the groups"),
		 "mode 0660 must keep uid %d out", NOBODY);
	ret = WT_PASS;
out:
	return ret;
}

/* The mode opened up: the daemon's own check still refuses. */
static enum wt_result unprivileged_refused_by_peercred(void)
{
	struct client cl = {.uid = NOBODY, .gid = NOBODY, .drop = true, .op = STATUS};
	enum wt_result ret = WT_FAIL;

	WT_CHECK(!chmod(sock_path, 0666), "chmod: %s", strerror(errno));
	WT_CHECK(client_is(cl, REFUSED,
			   "permission denied: uid 65534 is neither root nor in group "
			   "warden-test-admin or warden-test-read"),
		 "status");
	ret = WT_PASS;
out:
	chmod(sock_path, 0660);
	return ret;
}

static enum wt_result admin_group_member_allowed(void)
{
	struct client cl = {.uid = NOBODY,
			    .gid = NOBODY,
			    .groups = {100, ADMIN_GID},
			    .n_groups = 2,
			    .drop = true,
			    .op = APPLY};
	enum wt_result ret = WT_FAIL;

	WT_CHECK(client_is(cl, ALLOWED, NULL), "admin by supplementary group: policy apply");
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result read_group_reads_only(void)
{
	struct client cl = {.uid = NOBODY,
			    .gid = NOBODY,
			    .groups = {READ_GID},
			    .n_groups = 1,
			    .drop = true,
			    .op = STATUS};
	enum wt_result ret = WT_FAIL;

	/* It reaches the socket through the ACL, not the mode. */
	WT_CHECK(client_is(cl, ALLOWED, NULL), "read-only group: status");
	cl.op = APPLY;
	WT_CHECK(client_is(cl, REFUSED,
			   "permission denied: uid 65534 is in the read-only group "
			   "warden-test-read, and policy apply needs root or group "
			   "warden-test-admin"),
		 "read-only group: policy apply");
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result sandboxed_root_refused(void)
{
	enum wt_result ret = WT_FAIL;
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "runs inside the sandbox cgroup %s/%s", sh->sandbox_root,
		 SB_NAME);
	WT_CHECK(client_is((struct client){.join_before = true, .op = STATUS}, REFUSED, want),
		 "root in %s: status", sb_path);
	WT_CHECK(client_is((struct client){.join_before = true, .op = APPLY}, REFUSED, want),
		 "root in %s: policy apply", sb_path);
	ret = WT_PASS;
out:
	return ret;
}

/* The cgroup is checked per request, not once at connect. */
static enum wt_result moved_into_sandbox_after_connect_refused(void)
{
	enum wt_result ret = WT_FAIL;

	WT_CHECK(client_is((struct client){.join_after = true, .op = STATUS}, REFUSED,
			   "runs inside the sandbox cgroup"),
		 "root moved into %s after connecting", sb_path);
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result oversize_prefix_closed(void)
{
	static const uint8_t hdr[4] = {0x00, 0x10, 0x00, 0x01}; /* 1 MiB + 1 */
	Warden__V1__Response *resp = NULL;
	enum wt_result ret = WT_FAIL;
	char err[WD_CTL_ERR_MAX], c;
	struct pollfd pfd;
	int fd = -1;

	WT_CHECK(!wd_ctl_connect(sock_path, 1000, &fd, err, sizeof(err)), "%s", err);
	WT_CHECK(write(fd, hdr, 4) == 4, "write: %s", strerror(errno));
	WT_CHECK(!wd_ctl_recv(fd, &resp, 2000, err, sizeof(err)), "%s", err);
	WT_CHECK(resp->error && resp->error->code == WARDEN__V1__ERROR__CODE__PROTOCOL_ERROR,
		 "no protocol error in the answer");
	WT_CHECK(strstr(resp->error->message, "1048577 bytes refused"), "message: %s",
		 resp->error->message);
	/* And then the end of the connection. */
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	WT_CHECK(poll(&pfd, 1, 2000) == 1, "the daemon kept the connection open");
	WT_CHECK(read(fd, &c, 1) == 0, "more data after the refusal");
	/* The daemon still serves. */
	WT_CHECK(client_is((struct client){.op = STATUS}, ALLOWED, NULL), "status afterwards");
	ret = WT_PASS;
out:
	if (resp)
		warden__v1__response__free_unpacked(resp, NULL);
	if (fd >= 0)
		close(fd);
	return ret;
}

static enum wt_result idle_client_dropped(void)
{
	Warden__V1__Response *resp = NULL;
	enum wt_result ret = WT_FAIL;
	char err[WD_CTL_ERR_MAX], c;
	uint64_t t0 = mono_ns(), t;
	int fd = -1;

	WT_CHECK(!wd_ctl_connect(sock_path, 1000, &fd, err, sizeof(err)), "%s", err);
	/* Others are served while it idles. */
	WT_CHECK(client_is((struct client){.op = STATUS}, ALLOWED, NULL), "status meanwhile");
	t = mono_ns() - t0;
	WT_CHECK(t < TIMEOUT_MS * 1000000ull, "another client waited %llu ms",
		 (unsigned long long)t / 1000000);
	WT_CHECK(!wd_ctl_recv(fd, &resp, 3 * TIMEOUT_MS, err, sizeof(err)), "%s", err);
	t = mono_ns() - t0;
	WT_CHECK(t >= TIMEOUT_MS * 1000000ull && t < 3 * TIMEOUT_MS * 1000000ull,
		 "dropped after %llu ms", (unsigned long long)t / 1000000);
	WT_CHECK(resp->error && strstr(resp->error->message, "no request within 1000 ms"),
		 "answer: %s", resp->error ? resp->error->message : "(no error)");
	/* The daemon closes just after telling, and the socket is non-blocking: wait for it. */
	WT_CHECK(poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, TIMEOUT_MS) == 1 &&
			 read(fd, &c, 1) == 0,
		 "connection still open");
	ret = WT_PASS;
out:
	if (resp)
		warden__v1__response__free_unpacked(resp, NULL);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* --- Metrics ------------------------------------------------------------------------------ */

/* An exposition format 0.0.4 checker written apart from the writer. It reads the headers and
 * body curl saved, fails on any line that breaks the format, and prints each sample as
 * "name JSON-of-sorted-labels value" for the C side to compare. */
static const char checker[] =
	"import json, re, sys\n"
	"hdr, body = open(sys.argv[1], 'rb').read().decode(), open(sys.argv[2], 'rb').read()\n"
	"errs = []\n"
	"status = hdr.split('\\r\\n')[0]\n"
	"if not re.match(r'HTTP/1\\.[01] 200 ', status): errs.append('status: ' + status)\n"
	"ct = [l.split(':', 1)[1].strip() for l in hdr.split('\\r\\n') if "
	"l.lower().startswith('content-type:')]\n"
	"if ct != ['text/plain; version=0.0.4; charset=utf-8']: errs.append('content type %r' % "
	"ct)\n"
	"text = body.decode('utf-8')\n"
	"if text and not text.endswith('\\n'): errs.append('no final newline')\n"
	"NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'\n"
	"LNAME = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')\n"
	"types, helps, seen, family = {}, set(), set(), None\n"
	"def value(v):\n"
	"    if v in ('NaN', '+Inf', '-Inf'): return float(v)\n"
	"    if not re.fullmatch(r'[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?', v): raise "
	"ValueError(v)\n"
	"    return float(v)\n"
	"def labels(s, i):\n"
	"    out = {}\n"
	"    while s[i] != '}':\n"
	"        m = LNAME.match(s, i)\n"
	"        if not m or s[m.end():m.end() + 2] != '=\"': raise ValueError('label at %d' % i)\n"
	"        name, i, v = m.group(0), m.end() + 2, ''\n"
	"        while s[i] != '\"':\n"
	"            if s[i] == '\\\\':\n"
	"                e = s[i + 1]\n"
	"                if e not in 'n\\\\\"': raise ValueError('escape \\\\' + e)\n"
	"                v += '\\n' if e == 'n' else e\n"
	"                i += 2\n"
	"            else:\n"
	"                v += s[i]\n"
	"                i += 1\n"
	"        if name in out: raise ValueError('label %s twice' % name)\n"
	"        out[name] = v\n"
	"        i += 1\n"
	"        if s[i] == ',': i += 1\n"
	"        elif s[i] != '}': raise ValueError('after label')\n"
	"    return out, i + 1\n"
	"for n, line in enumerate(text.split('\\n')[:-1], 1):\n"
	"    try:\n"
	"        if line.startswith('#'):\n"
	"            m = re.fullmatch(r'# (HELP|TYPE) (' + NAME + r') (.*)', line)\n"
	"            if not m: continue\n"
	"            kind, name, rest = m.groups()\n"
	"            if kind == 'HELP':\n"
	"                if name in helps: raise ValueError('second HELP')\n"
	"                if not re.fullmatch(r'([^\\\\]|\\\\[\\\\n])*', rest): raise "
	"ValueError('HELP escape')\n"
	"                helps.add(name)\n"
	"            else:\n"
	"                if name in types: raise ValueError('second TYPE')\n"
	"                if rest not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):\n"
	"                    raise ValueError('type ' + rest)\n"
	"                if any(k[0] == name for k in seen): raise ValueError('TYPE after "
	"samples')\n"
	"                types[name] = rest\n"
	"            family = name\n"
	"            continue\n"
	"        m = re.match(NAME, line)\n"
	"        if not m: raise ValueError('no metric name')\n"
	"        name, i, lab = m.group(0), m.end(), {}\n"
	"        if line[i:i + 1] == '{': lab, i = labels(line, i + 1)\n"
	"        if line[i:i + 1] != ' ': raise ValueError('no space before the value')\n"
	"        parts = line[i + 1:].split(' ')\n"
	"        if len(parts) > 2: raise ValueError('trailing fields')\n"
	"        v = value(parts[0])\n"
	"        if len(parts) == 2: int(parts[1])\n"
	"        if name != family or name not in types: raise ValueError('sample outside its "
	"family')\n"
	"        key = (name, tuple(sorted(lab.items())))\n"
	"        if key in seen: raise ValueError('series twice')\n"
	"        seen.add(key)\n"
	"        if types[name] == 'counter' and not v >= 0: raise ValueError('negative counter')\n"
	"        print(name, json.dumps(lab, sort_keys=True), parts[0])\n"
	"    except (ValueError, IndexError) as e:\n"
	"        errs.append('line %d: %s: %r' % (n, e, line))\n"
	"for e in errs: print('exposition: ' + e, file=sys.stderr)\n"
	"sys.exit(1 if errs else 0)\n";

static int run(const char *cmd)
{
	int st;

	fflush(NULL);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return run(cmd) == 0;
}

/* Scrapes with curl and checks with the checker; the normalised samples land in @samples. */
static bool scrape(char *samples, size_t size)
{
	char cmd[1024];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "curl -sS --max-time 5 -D %s/hdr -o %s/body http://127.0.0.1:%u/metrics && "
		 "python3 %s/check.py %s/hdr %s/body >%s/samples",
		 dir, dir, sh->metrics_port, dir, dir, dir, dir);
	if (run(cmd)) {
		wt_diag("scrape or check failed: %s", cmd);
		return false;
	}
	snprintf(cmd, sizeof(cmd), "%s/samples", dir);
	f = fopen(cmd, "r");
	if (!f)
		return false;
	n = fread(samples, 1, size - 1, f);
	samples[n] = '\0';
	fclose(f);
	return true;
}

static long long sample_value(const char *samples, const char *key)
{
	const char *p = strstr(samples, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static enum wt_result metrics_scraped_and_parsed(void)
{
	static const char refused_key[] =
		"warden_test_requests_total {\"op\": \"status\", \"result\": \"refused\"} ";
	static const char allowed_key[] =
		"warden_test_requests_total {\"op\": \"status\", \"result\": \"allowed\"} ";
	char before[8192], after[8192], path[128], cmd[256];
	enum wt_result ret = WT_FAIL;
	long long r0, a0;
	FILE *f;

	if (!have("curl"))
		return wt_skip("curl is not installed (scripts/setup installs it)");
	if (!have("python3"))
		return wt_skip("python3 is not installed (scripts/setup installs it)");
	snprintf(path, sizeof(path), "%s/check.py", dir);
	f = fopen(path, "w");
	WT_CHECK(f && fputs(checker, f) >= 0 && !fclose(f), "%s: %s", path, strerror(errno));

	WT_CHECK(scrape(before, sizeof(before)), "first scrape");
	r0 = sample_value(before, refused_key);
	a0 = sample_value(before, allowed_key);
	WT_CHECK(r0 >= 1 && a0 >= 1, "status refused %lld, allowed %lld times so far:\n%s", r0, a0,
		 before);
	/* The label value with a quote, a backslash and a newline came through whole. */
	WT_CHECK(strstr(before,
			"warden_test_escape {\"identity\": \"ci:acme/\\\"api\\\"\\\\x\\ny\"} "
			"0.5\n"),
		 "escaped label not found in:\n%s", before);
	/* One more of each: the counters follow. */
	WT_CHECK(client_is((struct client){.join_before = true, .op = STATUS}, REFUSED, NULL),
		 "sandboxed status");
	WT_CHECK(client_is((struct client){.op = STATUS}, ALLOWED, NULL), "root status");
	WT_CHECK(scrape(after, sizeof(after)), "second scrape");
	WT_CHECK_INT(sample_value(after, refused_key), r0 + 1);
	WT_CHECK_INT(sample_value(after, allowed_key), a0 + 1);

	/* Other paths are not found. */
	snprintf(cmd, sizeof(cmd),
		 "test \"$(curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%u/)\" = 404",
		 sh->metrics_port);
	WT_CHECK(!run(cmd), "GET / did not answer 404");
	ret = WT_PASS;
out:
	return ret;
}

/* The checker itself must catch a broken exposition, or its passes mean nothing. */
static enum wt_result checker_catches_errors(void)
{
	static const char *const broken[] = {
		"m{a=\"x\"} 1\n",				/* no TYPE */
		"# TYPE m gauge\nm{a=\"x\\q\"} 1\n",		/* bad escape */
		"# TYPE m gauge\nm{a=\"x\"} one\n",		/* bad value */
		"# TYPE m gauge\nm{a=\"x\"} 1\nm{a=\"x\"} 2\n", /* series twice */
		"# TYPE m gauge\nm{a=\"x\",} 1\nm{a=\"x\"",	/* cut */
		"# HELP m a \\\\\\ b\n# TYPE m gauge\nm 1\n",	/* bad HELP escape */
	};
	enum wt_result ret = WT_FAIL;
	char path[128], cmd[512];
	FILE *f;

	if (!have("python3"))
		return wt_skip("python3 is not installed (scripts/setup installs it)");
	snprintf(path, sizeof(path), "%s/ok-hdr", dir);
	f = fopen(path, "w");
	WT_CHECK(f &&
			 fputs("HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
			       "charset=utf-8\r\n\r\n",
			       f) >= 0 &&
			 !fclose(f),
		 "%s", path);
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		snprintf(path, sizeof(path), "%s/broken", dir);
		f = fopen(path, "w");
		WT_CHECK(f && fputs(broken[i], f) >= 0 && !fclose(f), "%s", path);
		snprintf(cmd, sizeof(cmd),
			 "python3 %s/check.py %s/ok-hdr %s/broken >/dev/null 2>&1", dir, dir, dir);
		WT_CHECK(run(cmd) == 1, "the checker passed broken input %zu: %s", i, broken[i]);
	}
	ret = WT_PASS;
out:
	return ret;
}

static enum wt_result shutdown_removes_socket(void)
{
	enum wt_result ret = WT_FAIL;
	int status;

	WT_CHECK(!kill(daemon_pid, SIGTERM), "kill: %s", strerror(errno));
	WT_CHECK(waitpid(daemon_pid, &status, 0) == daemon_pid, "waitpid");
	daemon_pid = -1;
	WT_CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "daemon status %#x", status);
	WT_CHECK(access(sock_path, F_OK) && errno == ENOENT, "%s left behind", sock_path);
	ret = WT_PASS;
out:
	return ret;
}

/* --- Setup -------------------------------------------------------------------------------- */

/* In a child inside the test cgroup: where /proc/PID/cgroup puts it. */
static int find_root(void *arg)
{
	char text[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/cgroup", "r");
	size_t n;

	if (!f)
		return 1;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return wd_ctl_parse_proc_cgroup(text, sh->sandbox_root, sizeof(sh->sandbox_root)) ? 1 : 0;
}

static int setup(char *why, size_t size)
{
	int pipefd[2], err;
	char c;

	strcpy(dir, "/tmp/wd-ctl-host.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(why, size, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	err = wt_cgroup_create(&parent_cg, "ctl");
	if (err) {
		snprintf(why, size, "cannot create a test cgroup: %s", strerror(-err));
		return -1;
	}
	snprintf(sb_path, sizeof(sb_path), "%s/%s", parent_cg.path, SB_NAME);
	if (mkdir(sb_path, 0755)) {
		snprintf(why, size, "mkdir %s: %s", sb_path, strerror(errno));
		return -1;
	}
	if (wt_run_in(&parent_cg, find_root, NULL)) {
		snprintf(why, size, "cannot find the test cgroup in /proc/PID/cgroup");
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	daemon_pid = fork();
	if (!daemon_pid) {
		/* It must not outlive the test, holding the TAP pipe open. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		close(pipefd[0]);
		_exit(daemon_main(pipefd[1]));
	}
	close(pipefd[1]);
	if (daemon_pid < 0 || read(pipefd[0], &c, 1) != 1) {
		snprintf(why, size, "the test daemon did not start");
		close(pipefd[0]);
		return -1;
	}
	close(pipefd[0]);
	return 0;
}

static void cleanup(void)
{
	char cmd[128];

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	if (sb_path[0])
		rmdir(sb_path);
	wt_cgroup_destroy(&parent_cg);
	if (dir[0] == '/') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		run(cmd);
	}
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(socket_mode_and_groups),
		WT_CASE(root_allowed),
		WT_CASE(unprivileged_cannot_connect),
		WT_CASE(unprivileged_refused_by_peercred),
		WT_CASE(admin_group_member_allowed),
		WT_CASE(read_group_reads_only),
		WT_CASE(sandboxed_root_refused),
		WT_CASE(moved_into_sandbox_after_connect_refused),
		WT_CASE(oversize_prefix_closed),
		WT_CASE(idle_client_dropped),
		WT_CASE(metrics_scraped_and_parsed),
		WT_CASE(checker_catches_errors),
		WT_CASE(shutdown_removes_socket),
	};
	int n = sizeof(cases) / sizeof(cases[0]), ret;
	char why[256];

	if (geteuid()) {
		printf("1..0 # SKIP needs root (real cgroups, other uids)\n");
		return 0;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || setup(why, sizeof(why))) {
		printf("1..%d\n", n);
		for (int i = 0; i < n; i++)
			printf("not ok %d - %s # setup: %s\n", i + 1, cases[i].name,
			       sh == MAP_FAILED ? "mmap" : why);
		cleanup();
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = wt_main(cases, n);
	cleanup();
	return ret;
}
