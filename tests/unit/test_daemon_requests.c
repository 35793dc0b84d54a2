// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: daemon/requests.c, the handlers of control requests, against ctl's table of operations
 * and the protocol itself: every operation wd_ctl_ops lists, and every case of warden.v1.Request's
 * `op` oneof as the protobuf descriptor lists them, has a handler in the daemon, and nothing
 * else has one. A new operation in control.proto and ctl/ops.c without a handler in the daemon
 * fails here, not at run time with UNSUPPORTED_OPERATION. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/requests.h"

/* Whether @f is a member of the `op` oneof: its case is kept in op_case. */
static bool in_op(const ProtobufCFieldDescriptor *f)
{
	return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	       f->quantifier_offset == offsetof(Warden__V1__Request, op_case);
}

static void every_case_has_a_handler(void **state)
{
	const ProtobufCMessageDescriptor *d = &warden__v1__request__descriptor;
	size_t cases = 0;

	(void)state;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (!in_op(f))
			continue;
		cases++;
		/* The case of a oneof member is its field number. */
		if (!wd_daemon_handler_of((wd_ctl_op)f->id))
			fail_msg("Request.%s (op case %u) has no handler in the daemon", f->name,
				 f->id);
	}
	/* The walk saw the oneof (11 cases when this was written; more is fine). */
	assert_true(cases >= 11);
	assert_int_equal(wd_ctl_n_ops, cases);
}

static void every_ctl_op_has_a_handler(void **state)
{
	(void)state;
	for (size_t i = 0; i < wd_ctl_n_ops; i++)
		if (!wd_daemon_handler_of(wd_ctl_ops[i].op))
			fail_msg(
				"operation \"%s\" (op case %d) of wd_ctl_ops has no handler in the "
				"daemon",
				wd_ctl_ops[i].name, (int)wd_ctl_ops[i].op);
}

/* No case ctl does not know is served, NOT_SET and numbers past the oneof's included. */
static void nothing_else_has_one(void **state)
{
	const ProtobufCMessageDescriptor *d = &warden__v1__request__descriptor;
	int max = 0;

	(void)state;
	for (unsigned i = 0; i < d->n_fields; i++)
		if ((int)d->fields[i].id > max)
			max = (int)d->fields[i].id;
	assert_null(wd_daemon_handler_of(WARDEN__V1__REQUEST__OP__NOT_SET));
	for (int op = -1; op <= max + 64; op++)
		if (!wd_ctl_op_find((wd_ctl_op)op))
			assert_null(wd_daemon_handler_of((wd_ctl_op)op));
}

/* Each operation has a handler of its own: no two share one (a copied line would). */
static void handlers_are_distinct(void **state)
{
	(void)state;
	for (size_t i = 0; i < wd_ctl_n_ops; i++)
		for (size_t j = 0; j < i; j++)
			if (wd_daemon_handler_of(wd_ctl_ops[i].op) ==
			    wd_daemon_handler_of(wd_ctl_ops[j].op))
				fail_msg("\"%s\" and \"%s\" have the same handler",
					 wd_ctl_ops[j].name, wd_ctl_ops[i].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case_has_a_handler),
		cmocka_unit_test(every_ctl_op_has_a_handler),
		cmocka_unit_test(nothing_else_has_one),
		cmocka_unit_test(handlers_are_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
