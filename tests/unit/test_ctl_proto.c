// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: ctl/proto.c, the control protocol without I/O. Framing: a length over the limit is
 * refused before any allocation (malloc is counted), truncated and malformed frames are refused,
 * an operation this build does not know decodes as none. Authorisation from injected
 * credentials: root, the admin group as primary or supplementary group, the read-only group
 * reading and refused writing, sandboxed root refused, unknown cgroup refused; and the cgroup
 * line of /proc/PID/cgroup. */
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

/* --- Framing --------------------------------------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_len_limit),
		cmocka_unit_test(encode_decode),
		cmocka_unit_test(encode_too_large),
		cmocka_unit_test(decode_bad_frames),
		cmocka_unit_test(decode_unknown_op),
		cmocka_unit_test(auth_root),
		cmocka_unit_test(auth_admin_group),
		cmocka_unit_test(auth_read_group),
		cmocka_unit_test(auth_sandboxed),
		cmocka_unit_test(auth_unknown_cgroup),
		cmocka_unit_test(auth_no_groups_configured),
		cmocka_unit_test(proc_cgroup_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
