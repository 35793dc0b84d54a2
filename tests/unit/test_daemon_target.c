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

/* By where a sandbox's policy comes from: an identity's policy reaches it unless it has a
 * policy of its own (given, applied to it, or its adoption rule's); the node default only where
 * nothing nearer (an identity's, the config's) gave one. */
static void identity_and_node_targets(void **state)
{
	static const struct {
		enum pol_from from;
		bool identity, node;
	} want[] = {
		{FROM_SPEC, false, false},    {FROM_SANDBOX, false, false},
		{FROM_IDENTITY, true, false}, {FROM_CONFIG, true, false},
		{FROM_NODE, true, true},      {FROM_EMBEDDED, true, true},
		{FROM_ADOPT, false, false},
	};

	(void)state;
	/* Every origin has its row. */
	assert_int_equal(sizeof(want) / sizeof(want[0]), FROM_ADOPT - FROM_SPEC + 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum pol_from f = want[i].from;

		if (reaches(WD_TARGET_IDENTITY, "ci:a", f) != want[i].identity)
			fail_msg("identity target, origin %d: reaches %d", f, !want[i].identity);
		if (reaches(WD_TARGET_NODE, "", f) != want[i].node)
			fail_msg("node target, origin %d: reaches %d", f, !want[i].node);
		/* Another identity's policy, or a target of no kind, never does. */
		assert_false(reaches(WD_TARGET_IDENTITY, "ci:b", f));
		assert_false(reaches(WD_TARGET_IDENTITY, "ci:", f)); /* no prefix match */
		assert_false(reaches(0, "", f));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target_from_request),
		cmocka_unit_test(no_target),
		cmocka_unit_test(sandbox_target),
		cmocka_unit_test(identity_and_node_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
