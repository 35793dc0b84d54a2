// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: ctl/ops.c, the table of control operations. Walks the protobuf descriptor of Request:
 * every field of its `op` oneof (the fields whose case lives in op_case) has exactly one row,
 * and every row names such a field; names are unique; the read-only group gets exactly the
 * operations that only read; anything else has no row and no name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ctl/control.h"

/* Whether field @f of Request is a case of the `op` oneof: protobuf-c keeps the case of a oneof
 * member at its quantifier offset, and only the `op` members share op_case. */
static bool is_op_field(const ProtobufCFieldDescriptor *f)
{
	return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	       f->quantifier_offset == offsetof(Warden__V1__Request, op_case);
}

static size_t rows_of(wd_ctl_op op)
{
	size_t n = 0;

	for (size_t i = 0; i < wd_ctl_n_ops; i++)
		n += wd_ctl_ops[i].op == op;
	return n;
}

static void every_case_has_one_row(void **state)
{
	const ProtobufCMessageDescriptor *d = &warden__v1__request__descriptor;
	size_t n_cases = 0;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t n;

		if (!is_op_field(f))
			continue;
		n_cases++;
		/* The case of a oneof member is its field number. */
		n = rows_of((wd_ctl_op)f->id);
		if (n != 1)
			fail_msg("operation %s (field %u) has %zu rows in wd_ctl_ops; it needs one",
				 f->name, f->id, n);
		assert_int_equal(wd_ctl_op_find((wd_ctl_op)f->id)->op, f->id);
	}
	/* Guards the walk itself: the oneof has the eleven operations of protocol 1 or more. */
	assert_true(n_cases >= 11);
	assert_int_equal(n_cases, wd_ctl_n_ops);
}

static void every_row_is_a_case(void **state)
{
	const ProtobufCMessageDescriptor *d = &warden__v1__request__descriptor;

	for (size_t i = 0; i < wd_ctl_n_ops; i++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(d, (unsigned)wd_ctl_ops[i].op);

		if (!f || !is_op_field(f))
			fail_msg("row %zu (\"%s\", case %d) is no case of Request.op", i,
				 wd_ctl_ops[i].name, (int)wd_ctl_ops[i].op);
		assert_non_null(wd_ctl_ops[i].name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(wd_ctl_ops[i].name, wd_ctl_ops[j].name))
				fail_msg("rows %zu and %zu are both named \"%s\"", j, i,
					 wd_ctl_ops[i].name);
	}
}

static void read_only(void **state)
{
	static const wd_ctl_op reads[] = {
		WARDEN__V1__REQUEST__OP_SANDBOX_LIST, WARDEN__V1__REQUEST__OP_SANDBOX_SHOW,
		WARDEN__V1__REQUEST__OP_POLICY_SHOW,  WARDEN__V1__REQUEST__OP_POLICY_CHECK,
		WARDEN__V1__REQUEST__OP_POLICY_DIFF,  WARDEN__V1__REQUEST__OP_STATUS,
	};
	size_t n_read = 0;

	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		assert_true(wd_ctl_op_is_read(reads[i]));
	for (size_t i = 0; i < wd_ctl_n_ops; i++)
		n_read += wd_ctl_op_is_read(wd_ctl_ops[i].op);
	assert_int_equal(n_read, sizeof(reads) / sizeof(reads[0]));
	assert_false(wd_ctl_op_is_read(WARDEN__V1__REQUEST__OP_RUN));
	assert_false(wd_ctl_op_is_read(WARDEN__V1__REQUEST__OP_POLICY_APPLY));
	assert_false(wd_ctl_op_is_read(WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE));
}

static void names(void **state)
{
	assert_string_equal(wd_ctl_op_name(WARDEN__V1__REQUEST__OP_RUN), "run");
	assert_string_equal(wd_ctl_op_name(WARDEN__V1__REQUEST__OP_SANDBOX_LIST), "sandbox list");
	assert_string_equal(wd_ctl_op_name(WARDEN__V1__REQUEST__OP_POLICY_APPLY), "policy apply");
	assert_string_equal(wd_ctl_op_name(WARDEN__V1__REQUEST__OP_STATUS), "status");
	assert_string_equal(wd_ctl_op_name(WARDEN__V1__REQUEST__OP__NOT_SET), "unknown operation");
	assert_string_equal(wd_ctl_op_name((wd_ctl_op)99), "unknown operation");
	assert_null(wd_ctl_op_find(WARDEN__V1__REQUEST__OP__NOT_SET));
	assert_null(wd_ctl_op_find((wd_ctl_op)99));
	assert_false(wd_ctl_op_is_read((wd_ctl_op)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case_has_one_row),
		cmocka_unit_test(every_row_is_a_case),
		cmocka_unit_test(read_only),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
