// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: daemon/precedence.c, which policy a sandbox gets: the order of the sources
 * (docs/daemon.md, "Which policy a sandbox gets"), each source skipped when it has nothing,
 * the config's policy files by identity glob in their order, and the name, text, row and
 * generation each choice carries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/precedence.h"

#define EMBEDDED "version: 1\nname: default\nidentities: [\"*\"]\n"

struct fixture {
	Warden__V1__PolicySource spec;
	struct wd_state_policy sandbox, identity, node;
	struct cfg_policy cpol[2];
	struct pol_sources src; /* every source, for each test to take away from */
};

static struct cfg_policy cfg(const char *path, const char *text)
{
	struct cfg_policy c = {.path = (char *)path, .text = (char *)text, .len = strlen(text)};
	struct wd_diags dg = {0};

	assert_int_equal(wd_policy_parse_string(path, text, strlen(text), &c.p, &dg), 0);
	wd_diags_free(&dg);
	return c;
}

static struct wd_state_policy applied(int64_t row, uint64_t gen, const char *source,
				      const char *name, const char *text)
{
	return (struct wd_state_policy){.id = row,
					.generation = gen,
					.source = source,
					.name = name,
					.text = text,
					.text_len = strlen(text)};
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	warden__v1__policy_source__init(&f->spec);
	f->spec.name = "run.yaml";
	f->spec.text = "given";
	f->sandbox = applied(11, 3, "sb.yaml", "sb", "for the sandbox");
	f->identity = applied(12, 4, "id.yaml", "id", "for the identity");
	f->node = applied(13, 5, "node.yaml", "node", "for the node");
	f->cpol[0] = cfg("/etc/warden/agents.yaml",
			 "version: 1\nname: agents\nidentities: [\"agent:*\"]\n");
	f->cpol[1] = cfg("/etc/warden/ci.yaml", "version: 1\nname: ci\nidentities: [\"ci:*\"]\n");
	f->src = (struct pol_sources){
		.spec = &f->spec,
		.sandbox = &f->sandbox,
		.identity = &f->identity,
		.node = &f->node,
		.cpol = f->cpol,
		.n_cpol = 2,
		.embedded = EMBEDDED,
		.embedded_len = strlen(EMBEDDED),
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wd_policy_free(f->cpol[0].p);
	wd_policy_free(f->cpol[1].p);
	free(f);
	return 0;
}

/* Chooses for @identity and checks where from, the name and the text. The choice goes to @out
 * (its text for the caller to free), or is freed when @out is NULL. */
static void chose(const struct pol_sources *src, const char *identity, enum pol_from from,
		  const char *name, const char *text, struct pol_choice *out)
{
	struct pol_choice pc;

	assert_int_equal(wd_policy_choose(src, identity, &pc), 0);
	assert_int_equal(pc.from, from);
	assert_string_equal(pc.name, name);
	assert_non_null(pc.text);
	assert_string_equal(pc.text, text);
	assert_int_equal(pc.len, strlen(text));
	if (out)
		*out = pc;
	else
		free(pc.text);
}

/* Taking the winner away each time walks the whole order. */
static void order(void **state)
{
	struct fixture *f = *state;
	struct pol_sources s = f->src;
	struct pol_choice pc;

	chose(&s, "ci:job", FROM_SPEC, "run.yaml", "given", &pc);
	assert_int_equal(pc.row, 0);
	assert_int_equal(pc.generation, 0);
	free(pc.text);

	s.spec = NULL;
	chose(&s, "ci:job", FROM_SANDBOX, "sb.yaml", "for the sandbox", &pc);
	assert_int_equal(pc.row, 11);
	assert_int_equal(pc.generation, 3);
	free(pc.text);

	s.sandbox = NULL;
	chose(&s, "ci:job", FROM_IDENTITY, "id.yaml", "for the identity", &pc);
	assert_int_equal(pc.row, 12);
	assert_int_equal(pc.generation, 4);
	free(pc.text);

	s.identity = NULL;
	chose(&s, "ci:job", FROM_CONFIG, "/etc/warden/ci.yaml", f->cpol[1].text, &pc);
	assert_int_equal(pc.row, 0);
	free(pc.text);

	s.n_cpol = 0;
	chose(&s, "ci:job", FROM_NODE, "node.yaml", "for the node", &pc);
	assert_int_equal(pc.row, 13);
	assert_int_equal(pc.generation, 5);
	free(pc.text);

	s.node = NULL;
	chose(&s, "ci:job", FROM_EMBEDDED, "<default policy>", EMBEDDED, &pc);
	assert_int_equal(pc.row, 0);
	assert_int_equal(pc.generation, 0);
	free(pc.text);
}

/* A given policy without a text is none; one without a name is "<request>". */
static void spec_without_text_or_name(void **state)
{
	struct fixture *f = *state;

	f->spec.text = "";
	chose(&f->src, "ci:job", FROM_SANDBOX, "sb.yaml", "for the sandbox", NULL);
	f->spec.text = NULL;
	chose(&f->src, "ci:job", FROM_SANDBOX, "sb.yaml", "for the sandbox", NULL);
	f->spec.text = "given";
	f->spec.name = "";
	chose(&f->src, "ci:job", FROM_SPEC, "<request>", "given", NULL);
	f->spec.name = NULL;
	chose(&f->src, "ci:job", FROM_SPEC, "<request>", "given", NULL);
}

/* The config's files in their order, by identity glob; no match falls through to the node. */
static void config_by_identity(void **state)
{
	struct fixture *f = *state;
	struct pol_sources s = f->src;

	s.spec = NULL;
	s.sandbox = s.identity = NULL;
	chose(&s, "agent:codegen", FROM_CONFIG, "/etc/warden/agents.yaml", f->cpol[0].text, NULL);
	chose(&s, "ci:x", FROM_CONFIG, "/etc/warden/ci.yaml", f->cpol[1].text, NULL);
	chose(&s, "svc:web", FROM_NODE, "node.yaml", "for the node", NULL);
	/* Not a valid identity: no glob matches it. */
	chose(&s, "ci", FROM_NODE, "node.yaml", "for the node", NULL);
	/* The first that matches wins, even when a later one matches too. */
	s.cpol = &f->cpol[1];
	s.n_cpol = 1;
	chose(&s, "agent:codegen", FROM_NODE, "node.yaml", "for the node", NULL);
}

/* An applied policy is named after its source, or its name when it has no source; its text is
 * copied as long as recorded (not to a NUL) and terminated. */
static void applied_name_and_text(void **state)
{
	struct fixture *f = *state;
	struct pol_sources s = {.identity = &f->identity};

	f->identity.source = "";
	f->identity.text = "abcdef";
	f->identity.text_len = 3;
	chose(&s, "ci:job", FROM_IDENTITY, "id", "abc", NULL);
	f->identity.source = NULL;
	chose(&s, "ci:job", FROM_IDENTITY, "id", "abc", NULL);
	/* An empty text is a policy too (the parser refuses it later, with its name). */
	f->identity.text_len = 0;
	chose(&s, "ci:job", FROM_IDENTITY, "id", "", NULL);
}

/* Nothing at all: the embedded default, even an empty one. */
static void nothing_but_the_embedded(void **state)
{
	struct pol_sources s = {.embedded = "x", .embedded_len = 0};

	(void)state;
	chose(&s, "ci:job", FROM_EMBEDDED, "<default policy>", "", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(order, setup, teardown),
		cmocka_unit_test_setup_teardown(spec_without_text_or_name, setup, teardown),
		cmocka_unit_test_setup_teardown(config_by_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(applied_name_and_text, setup, teardown),
		cmocka_unit_test(nothing_but_the_embedded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
