// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: daemon/requests.c's registry of control operations against the protocol itself: every
 * case of warden.v1.Request's `op` oneof, as the protobuf descriptor lists them, has exactly one
 * row with a handler, and no row names anything else. A new operation in control.proto without
 * a handler in the daemon fails here, not at run time with UNSUPPORTED_OPERATION. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/requests.h"

/* Whether @f is a member of the `op` oneof: its case is kept in op_case. */
static int in_op(const ProtobufCFieldDescriptor *f)
{
	return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	       f->quantifier_offset == offsetof(Warden__V1__Request, op_case);
}

static size_t rows_for(uint32_t op)
{
	size_t n = 0;

	for (size_t i = 0; i < wd_daemon_n_ops; i++)
		n += (uint32_t)wd_daemon_ops[i].op == op;
	return n;
}

static void every_case_has_one_handler(void **state)
{
	const ProtobufCMessageDescriptor *d = &warden__v1__request__descriptor;
	size_t cases = 0;

	(void)state;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t n;

		if (!in_op(f))
			continue;
		cases++;
		n = rows_for(f->id);
		if (n != 1)
			fail_msg("Request.%s (op case %u) has %zu rows in wd_daemon_ops, not one",
				 f->name, f->id, n);
	}
	/* The walk saw the oneof (11 cases when this was written; more is fine). */
	assert_true(cases >= 11);
	assert_int_equal(wd_daemon_n_ops, cases);
}

static void every_row_is_a_case_with_a_handler(void **state)
{
	const ProtobufCMessageDescriptor *d = &warden__v1__request__descriptor;

	(void)state;
	for (size_t i = 0; i < wd_daemon_n_ops; i++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(d, (unsigned)wd_daemon_ops[i].op);

		if (!f || !in_op(f))
			fail_msg("wd_daemon_ops[%zu] names op case %d, which Request's op does not "
				 "have",
				 i, (int)wd_daemon_ops[i].op);
		if (!wd_daemon_ops[i].handle)
			fail_msg("wd_daemon_ops[%zu] (Request.%s) has no handler", i, f->name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case_has_one_handler),
		cmocka_unit_test(every_row_is_a_case_with_a_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
