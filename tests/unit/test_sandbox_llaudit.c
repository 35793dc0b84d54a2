// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: Landlock's audit records as warden's events (user/sandbox/llaudit.c): the kernel's field
 * encodings (quoted, hex, plain), the stamp, what blockers mean, and the assembly of audit events
 * (records of one serial, the sandbox's domain by its creator's pid, the end record or a hold
 * time, nested and foreign domains left out), with records in the kernel's own format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hooks/hooks.h"
#include "sandbox/llaudit.h"

#define R(s) s, sizeof(s) - 1

static void fields(void **state)
{
	const char m[] = "audit(1796655896.271:8501): domain=1ca09ea09 blockers=fs.read_file "
			 "path=\"/root/.bashrc\" dev=\"vda\" ino=1355 name=2F746D702F61206220 "
			 "exe=? comm=\"a=b\" key=(null)";
	char v[64];
	uint64_t wall, serial;

	(void)state;
	assert_int_equal(wd_audit_stamp(R(m), &wall, &serial), 0);
	assert_true(wall == 1796655896271ULL && serial == 8501);
	assert_int_equal(wd_audit_field(R(m), "path", v, sizeof(v)), 13);
	assert_string_equal(v, "/root/.bashrc");
	assert_int_equal(wd_audit_field(R(m), "blockers", v, sizeof(v)), 12);
	assert_string_equal(v, "fs.read_file");
	/* Hex, the kernel's form for a value with a space: "/tmp/a b ". */
	assert_int_equal(wd_audit_field(R(m), "name", v, sizeof(v)), 9);
	assert_string_equal(v, "/tmp/a b ");
	assert_int_equal(wd_audit_field(R(m), "exe", v, sizeof(v)), 1);
	assert_string_equal(v, "?");
	assert_int_equal(wd_audit_field(R(m), "comm", v, sizeof(v)), 3);
	assert_string_equal(v, "a=b");
	/* A key is a whole token's: "main" is not "domain", "in" not "ino". */
	assert_int_equal(wd_audit_field(R(m), "main", v, sizeof(v)), -ENOENT);
	assert_int_equal(wd_audit_field(R(m), "in", v, sizeof(v)), -ENOENT);
	assert_int_equal(wd_audit_field(R(m), "path", v, 5), -ENOSPC);
	assert_string_equal(v, "/roo");
	assert_int_equal(wd_audit_stamp(R("type=1423 nothing"), &wall, &serial), -EINVAL);
}

static void blockers(void **state)
{
	uint8_t op, ch;

	(void)state;
	assert_int_equal(wd_llaudit_blockers("fs.execute,fs.read_file", &op, &ch), WD_EV_EXEC);
	assert_int_equal(op, WD_OP_EXEC);
	assert_int_equal(wd_llaudit_blockers("fs.read_dir", &op, &ch), WD_EV_FILE);
	assert_int_equal(op, WD_OP_READ);
	assert_int_equal(wd_llaudit_blockers("fs.make_reg,fs.refer", &op, &ch), WD_EV_FILE);
	assert_true(op == WD_OP_WRITE && ch == WD_CH_MKNOD);
	assert_int_equal(wd_llaudit_blockers("fs.remove_file", &op, &ch), WD_EV_FILE);
	assert_int_equal(ch, WD_CH_UNLINK);
	assert_int_equal(wd_llaudit_blockers("scope.signal", &op, &ch), 0);
	assert_int_equal(wd_llaudit_blockers("fs.executex", &op, &ch), 0);
	assert_int_equal(wd_llaudit_blockers("", &op, &ch), 0);
}

static struct wd_event got[8];
static int n_got;

static int collect(void *arg, const struct wd_event *e)
{
	(void)arg;
	if (n_got < 8)
		got[n_got++] = *e;
	return 0;
}

static const struct wd_llaudit_sink sink = {.cgroup_id = 77, .fn = collect};

static int feed(struct wd_llaudit *a, int type, const char *m, uint64_t now)
{
	return wd_llaudit_feed(a, type, m, strlen(m), now, 100, &sink);
}

static void assembly(void **state)
{
	struct wd_llaudit *a = wd_llaudit_new();

	(void)state;
	n_got = 0;
	wd_llaudit_expect(a, 300);
	/* Another process's domain: never reported. */
	feed(a, 1423,
	     "audit(1.000:5): domain=aaa blockers=fs.read_file path=\"/x\" dev=\"v\" ino=1", 0);
	feed(a, 1424,
	     "audit(1.000:5): domain=aaa status=allocated mode=enforcing pid=299 uid=0 "
	     "exe=\"/bin/other\" comm=\"other\"",
	     0);
	assert_int_equal(feed(a, 1320, "audit(1.000:5): ", 1), 0);
	/* The sandbox's: its first denial names it; the SYSCALL record gives the process. */
	feed(a, 1423,
	     "audit(2.500:6): domain=1ca09ea09 blockers=fs.read_file path=\"/etc/shadow\" "
	     "dev=\"vda\" ino=941",
	     2);
	feed(a, 1424,
	     "audit(2.500:6): domain=1ca09ea09 status=allocated mode=enforcing pid=300 uid=0 "
	     "exe=\"/usr/bin/warden\" comm=\"warden\"",
	     2);
	assert_int_equal(n_got, 0);
	feed(a, 1300,
	     "audit(2.500:6): arch=c000003e syscall=257 success=no exit=-13 ppid=300 pid=301 "
	     "auid=4294967295 uid=0 gid=0 comm=\"cat\" exe=\"/usr/bin/cat\" key=(null)",
	     3);
	assert_int_equal(feed(a, 1320, "audit(2.500:6): ", 3), 1);
	assert_int_equal(n_got, 1);
	assert_int_equal(got[0].hdr.type, WD_EV_FILE);
	assert_int_equal(got[0].op, WD_OP_READ);
	assert_int_equal(got[0].decision, WD_DEC_DENY);
	assert_int_equal(got[0].hook, WD_HOOK_LANDLOCK);
	assert_true(got[0].pid == 301 && got[0].ppid == 300 && got[0].cgroup_id == 77);
	assert_string_equal(got[0].path, "/etc/shadow");
	assert_string_equal(got[0].comm, "cat");
	assert_string_equal(got[0].exe, "/usr/bin/cat");
	assert_int_equal(got[0].rule_id, WD_RULE_DEFAULT);
	/* Without an end record (no syscall auditing): complete after the hold time. */
	feed(a, 1423,
	     "audit(3.000:9): domain=1ca09ea09 blockers=fs.execute path=2F746D702F6120622E "
	     "dev=\"vda\" ino=7",
	     10);
	assert_int_equal(n_got, 1);
	assert_int_equal(feed(a, 0, "", 110), 1);
	assert_int_equal(got[1].hdr.type, WD_EV_EXEC);
	assert_string_equal(got[1].path, "/tmp/a b.");
	assert_int_equal(got[1].pid, 0);
	/* A domain the job makes itself later (same pid after the exec, larger id): not ours. */
	feed(a, 1423, "audit(4.000:10): domain=1ca09ef00 blockers=fs.read_file path=\"/y\"", 200);
	feed(a, 1424,
	     "audit(4.000:10): domain=1ca09ef00 status=allocated mode=enforcing pid=300 uid=0 "
	     "exe=\"/usr/bin/job\" comm=\"job\"",
	     200);
	feed(a, 1320, "audit(4.000:10): ", 200);
	assert_int_equal(n_got, 2);
	/* Garbage is refused, not reported. */
	assert_int_equal(feed(a, 1423, "domain=1ca09ea09 blockers=fs.read_file", 300), -EINVAL);
	assert_int_equal(feed(a, 1423, "audit(5.000:11): blockers=fs.read_file", 300), -EINVAL);
	feed(a, 0, "", 1000);
	assert_int_equal(n_got, 2);
	assert_int_equal(wd_llaudit_reported(a), 2);
	/* The release: the kernel's count against what was seen. */
	feed(a, 1424, "audit(6.000:12): domain=1ca09ea09 status=deallocated denials=5", 1000);
	assert_int_equal(wd_llaudit_finish(a, &sink, 0), 3);
	wd_llaudit_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields),
		cmocka_unit_test(blockers),
		cmocka_unit_test(assembly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
