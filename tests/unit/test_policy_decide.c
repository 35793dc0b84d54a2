// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: wd_compiled_decide (user/policy/decide.c), the kernel's fold in C: deny wins, exact and
 * longest prefix, a directory meets its own prefix rule, the workdir rule, and the rule named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy_compile.h"

static void test_decide(void **state)
{
	struct wd_compiled *c = compile_ok("version: 1\nname: t\nidentities: ['*']\n"
					   "exec:\n  allow: [/usr/, \"${workdir}/\"]\n"
					   "  deny: [\"${home}/\", /usr/local/bin/x]\n"
					   "files:\n  read:\n    allow: [/]\n"
					   "    deny: [/etc/shadow, \"${home}/.ssh/\"]\n",
					   &ctx_home);
	__u32 id;

	(void)state;
	assert_int_equal(wd_compiled_decide(c, "/usr/bin/cc", false, WD_OP_EXEC, &id), WD_V_ALLOW);
	assert_string_equal(wd_compiled_rule_text(c, id), "t.yaml:5:11 exec allow /usr/");
	assert_int_equal(wd_compiled_decide(c, "/usr/local/bin/x", false, WD_OP_EXEC, &id),
			 WD_V_DENY);
	assert_non_null(strstr(wd_compiled_rule_text(c, id), "exec deny /usr/local/bin/x"));
	/* Nothing allowed it. */
	assert_int_equal(wd_compiled_decide(c, "/opt/x", false, WD_OP_EXEC, &id), WD_V_DENY);
	assert_int_equal(id, WD_RULE_DEFAULT);
	/* The workdir rule: inside the denied home, the workdir runs; elsewhere in home not. */
	assert_int_equal(wd_compiled_decide(c, "/home/u/src/job/a.out", false, WD_OP_EXEC, NULL),
			 WD_V_ALLOW);
	assert_int_equal(wd_compiled_decide(c, "/home/u/bin/a.out", false, WD_OP_EXEC, NULL),
			 WD_V_DENY);
	/* A directory meets its own prefix rule; a file of the same name would not. */
	assert_int_equal(wd_compiled_decide(c, "/home/u/.ssh", true, WD_OP_READ, NULL), WD_V_DENY);
	assert_int_equal(wd_compiled_decide(c, "/home/u/.ssh", false, WD_OP_READ, NULL),
			 WD_V_ALLOW);
	assert_int_equal(wd_compiled_decide(c, "/etc/shadow", false, WD_OP_READ, NULL), WD_V_DENY);
	assert_int_equal(wd_compiled_decide(c, "/etc/shadowx", false, WD_OP_READ, NULL),
			 WD_V_ALLOW);
	assert_int_equal(wd_compiled_decide(c, "/", true, WD_OP_READ, NULL), WD_V_ALLOW);
	/* Beneath: what an unnamed entry of the directory gets. */
	assert_int_equal(wd_compiled_beneath(c, "/etc", WD_OP_READ, NULL), WD_V_ALLOW);
	assert_int_equal(wd_compiled_beneath(c, "/home/u/.ssh", WD_OP_READ, NULL), WD_V_DENY);
	wd_compiled_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_decide)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
