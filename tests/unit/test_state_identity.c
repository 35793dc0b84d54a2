// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: state/identity.c, the identities, on a temporary directory. Identities widen their times
 * and take new labels. */
#include "state_fixture.h"

/* ---- Identities ---------------------------------------------------------------------------- */

static void identity_touch_widens_and_relabels(void **state)
{
	static const struct wd_label dup[] = {{"a", "1"}, {"a", "2"}};
	struct fx *fx = *state;
	struct wd_state_identity *id;
	struct wd_state *st;

	st = open_ok(fx->path, 0);
	call_ok(st, wd_state_identity_touch(st, "agent:codegen", job_labels, 2, T0 + 10 * SEC));
	call_ok(st, wd_state_identity_touch(st, "agent:codegen", NULL, 0, T0 + 5 * SEC));
	call_ok(st, wd_state_identity_get(st, "agent:codegen", &id));
	assert_int_equal(id->first_seen, T0 + 5 * SEC);
	assert_int_equal(id->last_seen, T0 + 10 * SEC);
	assert_int_equal(id->n_labels, 2); /* NULL kept them */
	wd_state_identity_free(id);

	call_ok(st, wd_state_identity_touch(st, "agent:codegen", job_labels, 0, T0 + 20 * SEC));
	call_ok(st, wd_state_identity_get(st, "agent:codegen", &id));
	assert_int_equal(id->first_seen, T0 + 5 * SEC);
	assert_int_equal(id->last_seen, T0 + 20 * SEC);
	assert_int_equal(id->n_labels, 0); /* an empty set replaced them */
	wd_state_identity_free(id);

	expect_err(st, wd_state_identity_touch(st, "agent:codegen", dup, 2, T0), -EINVAL,
		   "label \"a\" is given twice");
	expect_err(st, wd_state_identity_touch(st, "", NULL, 0, T0), -EINVAL,
		   "identity name is missing");
	expect_err(st, wd_state_identity_touch(st, "ci:a", NULL, 0, 0), -EINVAL, "missing");
	expect_err(st, wd_state_identity_touch(st, "ci:a", NULL, 3, T0), -EINVAL, "none given");
	expect_err(st, wd_state_identity_get(st, "ci:nobody", &id), -ENOENT, "ci:nobody");
	assert_null(id);
	wd_state_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(identity_touch_widens_and_relabels, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
