// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the lines `warden run` prints for kernel events, and the sandbox cgroup depth BPF uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cgroup.h"
#include "event/fmt.h"

static char *fmt(const struct wd_event *e, const char *who, const char *why)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	wd_event_format(f, e, who, why);
	fclose(f);
	return strdup(buf);
}

static struct wd_event base(unsigned type, unsigned decision)
{
	struct wd_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = type;
	e.hdr.size = sizeof(e);
	e.decision = decision;
	e.pid = 12;
	e.ppid = 10;
	strcpy(e.comm, "sh");
	strcpy(e.exe, "/usr/bin/dash");
	return e;
}

static void exec_denied(void **state)
{
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY);
	char *s;

	strcpy(e.path, "/tmp/payload");
	e.hook = WD_HOOK_BPRM;
	e.rule_id = 7;
	s = fmt(&e, "warden[ci:x sb-1]:", "p.yaml:3:5 exec deny /tmp/");
	assert_string_equal(s, "warden[ci:x sb-1]: DENY exec /tmp/payload pid=12 ppid=10 uid=0 "
			       "comm=sh exe=/usr/bin/dash hook=bprm_check_security rule=7 "
			       "(p.yaml:3:5 exec deny /tmp/)");
	free(s);
}

static void connect_v4_and_v6(void **state)
{
	struct wd_event e = base(WD_EV_CONNECT, WD_DEC_ALLOW);
	char *s;

	e.family = 2;
	e.proto = 6;
	e.port = 443;
	e.hook = WD_HOOK_CONNECT4;
	e.addr[10] = e.addr[11] = 0xff;
	e.addr[12] = 127;
	e.addr[15] = 1;
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, "allow connect 127.0.0.1:443/tcp "));
	free(s);

	e.family = 10;
	memset(e.addr, 0, 16);
	e.addr[15] = 1;
	e.proto = 17;
	e.hook = WD_HOOK_SENDMSG6;
	e.decision = WD_DEC_AUDIT_DENY;
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, "AUDIT-DENY send [::1]:443/udp "));
	free(s);
}

static void file_ops_and_confinement(void **state)
{
	struct wd_event e = base(WD_EV_FILE, WD_DEC_DENY);
	char *s;

	e.op = WD_OP_WRITE;
	strcpy(e.path, "/etc/passwd");
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, "DENY open-write /etc/passwd "));
	free(s);

	e = base(WD_EV_CONFINE, WD_DEC_DENY);
	e.hook = WD_HOOK_TASK_ALLOC;
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, "DENY confine clone-into-cgroup "));
	free(s);
}

/* The seccomp filter's refusals: the call by name (by number where it has none), the error,
 * and for calls refused only for some arguments that the kernel may have refused it. */
static void seccomp_refusals(void **state)
{
	struct wd_event e = base(WD_EV_CONFINE, WD_DEC_DENY);
	char *s;

	e.exe[0] = '\0'; /* a short record */
	e.hook = WD_HOOK_SECCOMP;
	wd_event_confine_detail(&e) = 250;
	wd_event_confine_target(&e) = 1;
	s = fmt(&e, NULL, NULL);
	assert_string_equal(s, "DENY confine syscall keyctl EPERM pid=12 ppid=10 uid=0 comm=sh "
			       "hook=seccomp rule=0");
	free(s);
	wd_event_confine_detail(&e) = 41;
	e.op = WD_SC_BY_ARGS;
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(
		s, "DENY confine syscall socket EPERM (seccomp filter or the kernel) pid=12 "));
	free(s);
	e.op = 0;
	wd_event_confine_detail(&e) = 435;
	wd_event_confine_target(&e) = 38;
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, "DENY confine syscall clone3 ENOSYS pid=12 "));
	free(s);
	wd_event_confine_detail(&e) = 0; /* read: not named */
	wd_event_confine_target(&e) = 77;
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, "DENY confine syscall nr=0 errno=77 pid=12 "));
	free(s);
}

/* Kernel strings are bounded copies: a full buffer without a NUL must not be read past. */
static void unterminated_strings_bounded(void **state)
{
	struct wd_event e = base(WD_EV_FILE, WD_DEC_ALLOW);
	const char *p;
	char *s;

	memset(e.comm, 'c', sizeof(e.comm));
	memset(e.path, 'p', sizeof(e.path));
	s = fmt(&e, NULL, NULL);
	assert_non_null(strstr(s, " comm=cccccccccccccccc exe="));
	p = strstr(s, "open-read ");
	assert_non_null(p);
	assert_int_equal(strspn(p + 10, "p"), sizeof(e.path));
	free(s);
}

static void cgroup_levels(void **state)
{
	assert_int_equal(wd_cgroup_level("/", "warden/sb-1"), 2);
	assert_int_equal(wd_cgroup_level("/", "warden//sb-1/"), 2);
	/* A cgroup namespace or a bind mount shows the hierarchy from deeper down. */
	assert_int_equal(wd_cgroup_level("/kubepods/pod1", "warden/sb-1"), 4);
	assert_int_equal(wd_cgroup_level("/", ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_denied),
		cmocka_unit_test(connect_v4_and_v6),
		cmocka_unit_test(file_ops_and_confinement),
		cmocka_unit_test(seccomp_refusals),
		cmocka_unit_test(unterminated_strings_bounded),
		cmocka_unit_test(cgroup_levels),
	};

	return cmocka_run_group_tests_name("event_fmt", tests, NULL, NULL);
}
