// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: path rules in exec: and files: (user/policy/files.c): what a path may look like, with
 * each error at its exact line:column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy_parse.h"

static void bad_paths(void **state)
{
	expect_error(HEAD "exec:\n  allow: [usr/bin/]\n", 5, 11,
		     "relative path \"usr/bin/\" in exec.allow: paths must be absolute");
	expect_error(HEAD "files:\n  read:\n    deny: [/etc/../etc/shadow]\n", 6, 12,
		     "\".\" and \"..\" components are not allowed");
	expect_error(HEAD "files:\n  read:\n    deny: [/etc/./shadow]\n", 6, 12,
		     "\".\" and \"..\" components");
	expect_error(HEAD "files:\n  read:\n    deny: [\"${workdir}/../x\"]\n", 6, 12,
		     "\".\" and \"..\" components");
	expect_error(HEAD "files:\n  read:\n    deny: [\"\"]\n", 6, 12, "a path must not be empty");
	expect_error(HEAD "exec:\n  allow: [~/bin/]\n", 5, 11, "relative path \"~/bin/\"");
}

static void bad_wildcard(void **state)
{
	const char *want = "the only wildcard form allowed is \"/proc/*/NAME\"";

	expect_error(HEAD "files:\n  read:\n    deny: [\"/home/*/.ssh/\"]\n", 6, 12, want);
	expect_error(HEAD "files:\n  read:\n    deny: [\"/etc/ssh/ssh_host_?_key\"]\n", 6, 12,
		     want);
	expect_error(HEAD "files:\n  read:\n    deny: [\"/etc/[a]\"]\n", 6, 12, want);
	expect_error(HEAD "files:\n  read:\n    deny: [\"/proc/*/Environ\"]\n", 6, 12, want);
	expect_error(HEAD "files:\n  read:\n    deny: [\"/proc/*/toolongname_x_y_z\"]\n", 6, 12,
		     want);
	expect_error(HEAD "files:\n  read:\n    deny: [\"/proc/*/fd/\"]\n", 6, 12, want);
}

static void unknown_variable(void **state)
{
	expect_error(HEAD "exec:\n  allow: [\"${HOME}/bin/\"]\n", 5, 11,
		     "unknown variable \"${HOME}\"; the variables are ${workdir} and ${home}");
	expect_error(HEAD "exec:\n  allow: [\"${tmp}\"]\n", 5, 11, "unknown variable \"${tmp}\"");
	expect_error(HEAD "exec:\n  allow: [\"/x/${home}/\"]\n", 5, 11, "may only start a path");
	expect_error(HEAD "exec:\n  allow: [\"${workdir\"]\n", 5, 11, "unterminated");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_paths),
		cmocka_unit_test(bad_wildcard),
		cmocka_unit_test(unknown_variable),
	};

	return cmocka_run_group_tests_name("policy_files", tests, NULL, NULL);
}
