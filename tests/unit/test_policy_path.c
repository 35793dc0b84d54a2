// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: expanding ${workdir} and ${home} in path rules and normalising the result
 * (user/policy/path.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/path.h"
#include "warden/abi.h"

static void path_expansion(void **state)
{
	const struct wd_policy_ctx ctx = {"/w/job", "/home/u/"};
	char out[WD_PATH_MAX], why_buf[128];
	const char *why;

	assert_int_equal(wd_path_expand("//usr///bin//", &ctx, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 0);
	assert_string_equal(out, "/usr/bin/");
	assert_int_equal(
		wd_path_expand("/", &ctx, out, sizeof(out), why_buf, sizeof(why_buf), &why), 0);
	assert_string_equal(out, "/");
	assert_int_equal(wd_path_expand("${workdir}/", &ctx, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 0);
	assert_string_equal(out, "/w/job/");
	assert_int_equal(wd_path_expand("${home}/.ssh/", &ctx, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 0);
	assert_string_equal(out, "/home/u/.ssh/");
	assert_int_equal(
		wd_path_expand("${home}", &ctx, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		0);
	assert_string_equal(out, "/home/u");
	assert_int_equal(
		wd_path_expand("/a/..b/c.", &ctx, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		0);
	assert_string_equal(out, "/a/..b/c.");
	assert_int_equal(
		wd_path_expand("/a/../b", &ctx, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		-EINVAL);
	assert_int_equal(
		wd_path_expand("/a/b/.", &ctx, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		-EINVAL);
	assert_int_equal(
		wd_path_expand("${home}/x", NULL, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		-ENOENT);
	assert_non_null(strstr(why, "${home} is not known"));
	assert_int_equal(wd_path_expand("/abcdef", &ctx, out, 6, why_buf, sizeof(why_buf), &why),
			 -ENAMETOOLONG);
}

/* The variables: where they may stand, what values they take, and the messages that say why
 * not (the parser shows them to the user). */
static void variables(void **state)
{
	const struct wd_policy_ctx root = {"/", "/home/u"}, slash = {"/w/", "/h//"};
	const struct wd_policy_ctx rel = {"src", "/h"};
	char out[WD_PATH_MAX], why_buf[128];
	const char *why = NULL;

	/* A workdir of "/" expands to "/", with or without the rule's own trailing '/'. */
	assert_int_equal(wd_path_expand("${workdir}", &root, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 0);
	assert_string_equal(out, "/");
	assert_int_equal(wd_path_expand("${workdir}/", &root, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 0);
	assert_string_equal(out, "/");
	/* A value's trailing '/' does not make a rule a prefix; the rule's own does. */
	assert_int_equal(wd_path_expand("${workdir}/src/", &slash, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 0);
	assert_string_equal(out, "/w/src/");
	assert_int_equal(
		wd_path_expand("${home}", &slash, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		0);
	assert_string_equal(out, "/h");
	assert_int_equal(wd_path_expand("/x/${home}/", &slash, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 -EINVAL);
	assert_string_equal(why, "${home} stands for an absolute directory, so it may only start "
				 "a path");
	assert_int_equal(wd_path_expand("${tmp}/x", &slash, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 -EINVAL);
	assert_string_equal(why, "unknown variable \"${tmp}\"; the variables are ${workdir} and "
				 "${home}");
	assert_int_equal(
		wd_path_expand("${home", &slash, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		-EINVAL);
	assert_string_equal(why, "unterminated \"${\"");
	assert_int_equal(wd_path_expand("${workdir}/", &rel, out, sizeof(out), why_buf,
					sizeof(why_buf), &why),
			 -EINVAL);
	assert_string_equal(why, "${workdir} is \"src\", not an absolute path");
	assert_int_equal(
		wd_path_expand("usr/bin", &rel, out, sizeof(out), why_buf, sizeof(why_buf), &why),
		-EINVAL);
	assert_non_null(strstr(why, "paths must be absolute"));
	/* The placeholders `warden policy check` validates with are absolute and expand as is. */
	{
		const struct wd_policy_ctx ph = {WD_PLACEHOLDER_WORKDIR, WD_PLACEHOLDER_HOME};

		assert_int_equal(wd_path_expand("${home}/.ssh/", &ph, out, sizeof(out), why_buf,
						sizeof(why_buf), &why),
				 0);
		assert_string_equal(out, "/nonexistent/home/.ssh/");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_expansion),
		cmocka_unit_test(variables),
	};

	return cmocka_run_group_tests_name("policy_path", tests, NULL, NULL);
}
