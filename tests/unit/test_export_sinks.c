// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the sink registry (user/export/sinks.c) is complete. Every kind of enum wd_sink_kind has
 * exactly one row, in order; names are unique; each row's keys are config keys and its required
 * ones among them; the config parser takes a minimal config of each row (and refuses one without
 * a required key, or with a key the row does not take); each row's constructor opens a sink from
 * that config whose ops->kind is the row's name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "export/sink.h"

static char tmp[64];

/* An example value of each key a row may require, for a minimal config. A row requiring a key
 * without one fails: add it here. */
static const char *example(const struct wd_sink_type *t, enum wd_sink_key k, char *buf, size_t size)
{
	switch (k) {
	case WD_SK_DIR:
		snprintf(buf, size, "%s/%s-dir", tmp, t->name);
		return buf;
	case WD_SK_PATH:
		snprintf(buf, size, "%s/%s.out", tmp, t->name);
		return buf;
	case WD_SK_ADDRESS:
		/* Nothing listens there: a sink connects at its first tick, not when opened. */
		if (t->tcp_only)
			return "tcp:127.0.0.1:9";
		snprintf(buf, size, "unix:%s/%s.sock", tmp, t->name);
		return buf;
	default:
		return NULL;
	}
}

/* A config with one sink of type @t: its required keys but @drop, and @extra if not WD_SK_NR. */
static char *minimal_config(const struct wd_sink_type *t, unsigned drop, enum wd_sink_key extra)
{
	char *buf = NULL, val[160];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fprintf(f, "version: 1\nevents:\n  sinks:\n    - name: s-%s\n      type: %s\n", t->name,
		t->name);
	for (unsigned k = 0; k < WD_SK_NR; k++) {
		const char *v;

		if (!(t->required & 1u << k) || drop & 1u << k)
			continue;
		v = example(t, k, val, sizeof(val));
		if (!v)
			fail_msg("sink type %s requires \"%s\": give an example in this test",
				 t->name, wd_sink_keys[k]);
		fprintf(f, "      %s: \"%s\"\n", wd_sink_keys[k], v);
	}
	if (extra != WD_SK_NR)
		fprintf(f, "      %s: x\n", wd_sink_keys[extra]);
	fclose(f);
	return buf;
}

static int parse(const char *yaml, struct wd_config **c, char **msgs)
{
	struct wd_diags d = {0};
	size_t len = 0;
	FILE *f = open_memstream(msgs, &len);
	int err = wd_config_parse_string("t.yaml", yaml, strlen(yaml), c, &d);

	wd_diags_print(f, &d);
	fclose(f);
	wd_diags_free(&d);
	return err;
}

static void every_kind_has_one_row_in_order(void **state)
{
	(void)state;
	assert_int_equal(wd_sink_types_n, WD_SINK_KIND_END - 1);
	for (int k = 1; k < WD_SINK_KIND_END; k++) {
		const struct wd_sink_type *t = wd_sink_type_of((enum wd_sink_kind)k);

		if (!t)
			fail_msg("enum wd_sink_kind %d has no row in user/export/sinks.c", k);
		assert_int_equal(t->kind, k);
		/* In enum order: messages list the types that way. */
		assert_ptr_equal(t, &wd_sink_types[k - 1]);
	}
	assert_null(wd_sink_type_of(0));
	assert_null(wd_sink_type_of(WD_SINK_KIND_END));
}

static void names_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < wd_sink_types_n; i++) {
		const struct wd_sink_type *t = &wd_sink_types[i];

		assert_non_null(t->name);
		assert_true(t->name[0]);
		assert_ptr_equal(wd_sink_type_named(t->name), t);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(wd_sink_types[j].name, t->name))
				fail_msg("two rows named \"%s\"", t->name);
	}
	assert_null(wd_sink_type_named("carrier-pigeon"));
	assert_null(wd_sink_type_named(NULL));
}

static void keys_are_config_keys(void **state)
{
	const unsigned all = (1u << WD_SK_NR) - 1;

	(void)state;
	for (unsigned k = 0; k < WD_SK_NR; k++) {
		assert_non_null(wd_sink_keys[k]);
		for (unsigned j = 0; j < k; j++)
			assert_string_not_equal(wd_sink_keys[j], wd_sink_keys[k]);
	}
	for (size_t i = 0; i < wd_sink_types_n; i++) {
		const struct wd_sink_type *t = &wd_sink_types[i];

		assert_int_equal(t->keys & ~all, 0);
		assert_int_equal(t->keys & WD_SK_COMMON, 0);
		assert_true(t->required);
		assert_int_equal(t->required & ~t->keys, 0);
		assert_true(!t->tcp_only || t->keys & WD_SK(ADDRESS));
	}
}

static void constructors_present(void **state)
{
	(void)state;
	for (size_t i = 0; i < wd_sink_types_n; i++)
		if (!wd_sink_types[i].backend)
			fail_msg("sink type %s has no constructor", wd_sink_types[i].name);
}

/* Minimal configs parse, to the row's kind; without a required key, or with a key the row does
 * not take, they do not. */
static void config_takes_minimal_config(void **state)
{
	(void)state;
	for (size_t i = 0; i < wd_sink_types_n; i++) {
		const struct wd_sink_type *t = &wd_sink_types[i];
		struct wd_config *c = NULL;
		char *yaml = minimal_config(t, 0, WD_SK_NR), *msgs = NULL;

		if (parse(yaml, &c, &msgs))
			fail_msg("the minimal %s config is refused:\n%s%s", t->name, yaml, msgs);
		assert_int_equal(c->n_sinks, 1);
		assert_int_equal(c->sinks[0].kind, t->kind);
		wd_config_free(c);
		free(yaml);
		free(msgs);

		for (unsigned k = 0; k < WD_SK_NR; k++) {
			unsigned drop = t->required & 1u << k;
			enum wd_sink_key extra = (WD_SK_COMMON | t->keys) & 1u << k ? WD_SK_NR : k;

			if (!drop && extra == WD_SK_NR)
				continue;
			yaml = minimal_config(t, drop, extra);
			assert_int_equal(parse(yaml, &c, &msgs), -EINVAL);
			assert_null(c);
			assert_non_null(strstr(msgs, wd_sink_keys[k]));
			/* The parser says what a missing key is (user/config/sinks.c key_needs). */
			if (strstr(msgs, "(null)"))
				fail_msg("a message without its words: %s", msgs);
			free(yaml);
			free(msgs);
		}
	}
}

/* Each constructor opens a sink from its minimal config, of its own kind. */
static void constructors_open_minimal_config(void **state)
{
	(void)state;
	for (size_t i = 0; i < wd_sink_types_n; i++) {
		const struct wd_sink_type *t = &wd_sink_types[i];
		const struct wd_sink_ops *ops = NULL;
		struct wd_config *c = NULL;
		char *yaml = minimal_config(t, 0, WD_SK_NR), *msgs = NULL, err[256] = "", f[256];
		void *impl = NULL;

		assert_int_equal(parse(yaml, &c, &msgs), 0);
		if (t->backend(&c->sinks[0], "node", &ops, &impl, err, sizeof(err)))
			fail_msg("sink type %s cannot open its minimal config: %s", t->name, err);
		assert_string_equal(ops->kind, t->name);
		assert_int_equal(ops->close(impl), 0);
		/* The file it writes, if any, is in the temporary directory. */
		if (wd_sink_file(&c->sinks[0], f, sizeof(f)))
			assert_memory_equal(f, tmp, strlen(tmp));
		assert_true(!t->file == !wd_sink_file(&c->sinks[0], f, sizeof(f)));
		wd_config_free(c);
		free(yaml);
		free(msgs);
	}
}

static void files_written(void **state)
{
	struct wd_sink_cfg c = {.name = "main", .kind = WD_SINK_FILE, .dir = "/var/log/w"};
	char buf[64];

	(void)state;
	assert_string_equal(wd_sink_file(&c, buf, sizeof(buf)), "/var/log/w/main.pb");
	c = (struct wd_sink_cfg){.name = "j", .kind = WD_SINK_JSONL, .path = "/var/log/e.json"};
	assert_string_equal(wd_sink_file(&c, buf, sizeof(buf)), "/var/log/e.json");
	c = (struct wd_sink_cfg){.name = "s", .kind = WD_SINK_STREAM, .address = "unix:/x"};
	assert_null(wd_sink_file(&c, buf, sizeof(buf)));
	c.kind = WD_SINK_SYSLOG;
	assert_null(wd_sink_file(&c, buf, sizeof(buf)));
	c.kind = 0;
	assert_null(wd_sink_file(&c, buf, sizeof(buf)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_has_one_row_in_order),
		cmocka_unit_test(names_unique),
		cmocka_unit_test(keys_are_config_keys),
		cmocka_unit_test(constructors_present),
		cmocka_unit_test(config_takes_minimal_config),
		cmocka_unit_test(constructors_open_minimal_config),
		cmocka_unit_test(files_written),
	};
	char cmd[128];
	int ret;

	snprintf(tmp, sizeof(tmp), "/tmp/wd-sinks.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmp);
	return ret;
}
