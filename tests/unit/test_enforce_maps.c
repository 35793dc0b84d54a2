// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the map entries enforce/maps.c makes of a compiled policy's protected files: the inode
 * key in the kernel's device encoding, DENY verdicts merged into an entry already there, and the
 * rule of a file under a protected directory (no exec, the exception's operations dropped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "enforce/internal.h"
#include "policy/compile.h"

static void inode_key_uses_kernel_dev_encoding(void **state)
{
	struct stat st = {.st_dev = makedev(259, 3), .st_ino = 123456789012ull};
	struct wd_inode_key k;

	memset(&k, 0xff, sizeof(k)); /* every byte is written, padding included */
	wd_enf_inode_key(&k, 7, &st);
	assert_int_equal(k.policy_id, 7);
	/* MKDEV(259, 3) in the kernel: major << 20 | minor, not glibc's dev_t layout. */
	assert_int_equal(k.dev, (259u << 20) | 3u);
	assert_true(k.ino == 123456789012ull);
}

static void merge_lets_deny_win_with_its_rule_id(void **state)
{
	struct wd_file_rule cur = {
		.verdict = {[WD_OP_READ] = WD_V_ALLOW, [WD_OP_WRITE] = WD_V_DENY},
		.rule_id = {[WD_OP_READ] = 1, [WD_OP_WRITE] = 2}};
	struct wd_file_rule r = {
		.verdict = {[WD_OP_READ] = WD_V_DENY,
			    [WD_OP_WRITE] = WD_V_DENY,
			    [WD_OP_EXEC] = WD_V_ALLOW},
		.rule_id = {[WD_OP_READ] = 10, [WD_OP_WRITE] = 20, [WD_OP_EXEC] = 30}};

	wd_enf_inode_merge(&cur, &r);
	/* A new DENY replaces an ALLOW, and names its own rule. */
	assert_int_equal(cur.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(cur.rule_id[WD_OP_READ], 10);
	/* A DENY already there keeps its rule id: the first deny rule is the one reported. */
	assert_int_equal(cur.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(cur.rule_id[WD_OP_WRITE], 2);
	/* Only DENY merges: an ALLOW does not enter an existing entry. */
	assert_int_equal(cur.verdict[WD_OP_EXEC], WD_V_NONE);
	assert_int_equal(cur.rule_id[WD_OP_EXEC], 0);
}

static const struct wd_deny_dir ssh = {
	.path = "/home/u/.ssh/",
	.rule = {.verdict = {[WD_OP_EXEC] = WD_V_DENY,
			     [WD_OP_READ] = WD_V_DENY,
			     [WD_OP_WRITE] = WD_V_DENY},
		 .rule_id = {5, 6, 7, 0}},
	.except = "/home/u/.ssh/known_hosts.d/",
	.except_ops = 1 << WD_OP_READ,
};

static void deny_dir_drops_exec(void **state)
{
	struct wd_file_rule r;

	assert_true(wd_enf_deny_dir_rule(&ssh, "/home/u/.ssh/id_ed25519", &r));
	assert_int_equal(r.verdict[WD_OP_EXEC], WD_V_NONE);
	assert_int_equal(r.verdict[WD_OP_READ], WD_V_DENY);
	assert_int_equal(r.verdict[WD_OP_WRITE], WD_V_DENY);
	assert_int_equal(r.rule_id[WD_OP_READ], 6);
	assert_int_equal(r.rule_id[WD_OP_WRITE], 7);
}

static void deny_dir_exception_drops_its_ops(void **state)
{
	struct wd_file_rule r;

	assert_true(wd_enf_deny_dir_rule(&ssh, "/home/u/.ssh/known_hosts.d/github", &r));
	assert_int_equal(r.verdict[WD_OP_READ], WD_V_NONE);
	assert_int_equal(r.verdict[WD_OP_WRITE], WD_V_DENY);
	/* A sibling that only shares the prefix's letters is not under the exception. */
	assert_true(wd_enf_deny_dir_rule(&ssh, "/home/u/.ssh/known_hosts", &r));
	assert_int_equal(r.verdict[WD_OP_READ], WD_V_DENY);
}

static void deny_dir_without_deny_makes_no_entry(void **state)
{
	struct wd_deny_dir d = ssh;
	struct wd_file_rule r;

	/* Exec only: nothing left once exec is dropped. */
	memset(d.rule.verdict, WD_V_NONE, sizeof(d.rule.verdict));
	d.rule.verdict[WD_OP_EXEC] = WD_V_DENY;
	assert_false(wd_enf_deny_dir_rule(&d, "/home/u/.ssh/config", &r));
	/* Read only, and the exception takes read away. */
	d.rule.verdict[WD_OP_READ] = WD_V_DENY;
	assert_true(wd_enf_deny_dir_rule(&d, "/home/u/.ssh/config", &r));
	assert_false(wd_enf_deny_dir_rule(&d, "/home/u/.ssh/known_hosts.d/x", &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inode_key_uses_kernel_dev_encoding),
		cmocka_unit_test(merge_lets_deny_win_with_its_rule_id),
		cmocka_unit_test(deny_dir_drops_exec),
		cmocka_unit_test(deny_dir_exception_drops_its_ops),
		cmocka_unit_test(deny_dir_without_deny_makes_no_entry),
	};

	return cmocka_run_group_tests_name("enforce_maps", tests, NULL, NULL);
}
