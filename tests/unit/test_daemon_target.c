// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: daemon/target.c, the target of `policy apply|show|diff` taken from a request, and which
 * running sandboxes a policy applied to a target reaches, by where their policy comes from. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/target.h"

static void target_from_request(void **state)
{
	Warden__V1__PolicyTarget t = WARDEN__V1__POLICY_TARGET__INIT;
	enum wd_policy_target kind = 0;
	const char *name = NULL;

	(void)state;
	t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_IDENTITY;
	t.identity = "ci:acme/api#8812";
	assert_int_equal(wd_policy_target_of(&t, &kind, &name), 0);
	assert_int_equal(kind, WD_TARGET_IDENTITY);
	assert_string_equal(name, "ci:acme/api#8812");

	t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_SANDBOX_ID;
	t.sandbox_id = "sb-0123456789abcdef";
	assert_int_equal(wd_policy_target_of(&t, &kind, &name), 0);
	assert_int_equal(kind, WD_TARGET_SANDBOX);
	assert_string_equal(name, "sb-0123456789abcdef");

	t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_NODE_DEFAULT;
	t.node_default = 1;
	assert_int_equal(wd_policy_target_of(&t, &kind, &name), 0);
	assert_int_equal(kind, WD_TARGET_NODE);
	assert_string_equal(name, "");
}

static void no_target(void **state)
{
	Warden__V1__PolicyTarget t = WARDEN__V1__POLICY_TARGET__INIT;
	enum wd_policy_target kind;
	const char *name;

	(void)state;
	assert_int_equal(wd_policy_target_of(NULL, &kind, &name), -EINVAL);
	assert_int_equal(wd_policy_target_of(&t, &kind, &name), -EINVAL); /* none set */
	/* An identity that is not kind:name. */
	t.target_case = WARDEN__V1__POLICY_TARGET__TARGET_IDENTITY;
	t.identity = "no-kind";
	assert_int_equal(wd_policy_target_of(&t, &kind, &name), -EINVAL);
	t.identity = "";
	assert_int_equal(wd_policy_target_of(&t, &kind, &name), -EINVAL);
}

static bool reaches(enum wd_policy_target kind, const char *name, enum pol_from from)
{
	return wd_policy_affects(kind, name, "sb-1", "ci:a", from);
}

/* A sandbox's own applied policy always reaches it, whatever it ran under. */
static void sandbox_target(void **state)
{
	(void)state;
	for (enum pol_from f = FROM_SPEC; f <= FROM_ADOPT; f++) {
		assert_true(reaches(WD_TARGET_SANDBOX, "sb-1", f));
		assert_false(reaches(WD_TARGET_SANDBOX, "sb-2", f));
	}
}

/* An identity's policy reaches its sandboxes unless one has a policy of its own. */
static void identity_target(void **state)
{
	(void)state;
	assert_true(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_IDENTITY));
	assert_true(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_CONFIG));
	assert_true(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_NODE));
	assert_true(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_EMBEDDED));
	assert_false(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_SPEC));
	assert_false(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_SANDBOX));
	assert_false(reaches(WD_TARGET_IDENTITY, "ci:a", FROM_ADOPT));
	assert_false(reaches(WD_TARGET_IDENTITY, "ci:b", FROM_IDENTITY));
	assert_false(reaches(WD_TARGET_IDENTITY, "ci:", FROM_IDENTITY)); /* no prefix match */
}

/* The node default reaches only sandboxes nothing nearer gave a policy. */
static void node_target(void **state)
{
	(void)state;
	assert_true(reaches(WD_TARGET_NODE, "", FROM_NODE));
	assert_true(reaches(WD_TARGET_NODE, "", FROM_EMBEDDED));
	assert_false(reaches(WD_TARGET_NODE, "", FROM_CONFIG));
	assert_false(reaches(WD_TARGET_NODE, "", FROM_IDENTITY));
	assert_false(reaches(WD_TARGET_NODE, "", FROM_SANDBOX));
	assert_false(reaches(WD_TARGET_NODE, "", FROM_SPEC));
	assert_false(reaches(WD_TARGET_NODE, "", FROM_ADOPT));
	assert_false(reaches(0, "", FROM_NODE)); /* no such target kind */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target_from_request), cmocka_unit_test(no_target),
		cmocka_unit_test(sandbox_target),      cmocka_unit_test(identity_target),
		cmocka_unit_test(node_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
