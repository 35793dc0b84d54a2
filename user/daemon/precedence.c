// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy precedence for a sandbox (precedence.h): the first source that has a policy wins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/precedence.h"

/* @pc from a policy applied with `policy apply`: named after where its text came from. */
static int applied(const struct wd_state_policy *sp, struct pol_choice *pc)
{
	snprintf(pc->name, sizeof(pc->name), "%s",
		 sp->source && sp->source[0] ? sp->source : sp->name);
	pc->text = malloc(sp->text_len + 1);
	if (pc->text) {
		memcpy(pc->text, sp->text, sp->text_len);
		pc->text[sp->text_len] = '\0';
		pc->len = sp->text_len;
	}
	pc->row = sp->id;
	pc->generation = sp->generation;
	return pc->text ? 0 : -ENOMEM;
}

int wd_policy_choose(const struct pol_sources *src, const char *identity, struct pol_choice *pc)
{
	const Warden__V1__PolicySource *spec = src->spec;

	memset(pc, 0, sizeof(*pc));
	if (spec && spec->text && spec->text[0]) {
		pc->from = FROM_SPEC;
		snprintf(pc->name, sizeof(pc->name), "%s",
			 spec->name && spec->name[0] ? spec->name : "<request>");
		pc->text = strdup(spec->text);
		pc->len = strlen(spec->text);
		return pc->text ? 0 : -ENOMEM;
	}
	if (src->sandbox) {
		pc->from = FROM_SANDBOX;
		return applied(src->sandbox, pc);
	}
	if (src->identity) {
		pc->from = FROM_IDENTITY;
		return applied(src->identity, pc);
	}
	for (size_t i = 0; i < src->n_cpol; i++) {
		if (wd_policy_applies_to(src->cpol[i].p, identity)) {
			pc->from = FROM_CONFIG;
			snprintf(pc->name, sizeof(pc->name), "%s", src->cpol[i].path);
			pc->text = malloc(src->cpol[i].len + 1);
			if (!pc->text)
				return -ENOMEM;
			memcpy(pc->text, src->cpol[i].text, src->cpol[i].len + 1);
			pc->len = src->cpol[i].len;
			return 0;
		}
	}
	if (src->node) {
		pc->from = FROM_NODE;
		return applied(src->node, pc);
	}
	pc->from = FROM_EMBEDDED;
	snprintf(pc->name, sizeof(pc->name), "<default policy>");
	pc->text = malloc(src->embedded_len + 1);
	if (!pc->text)
		return -ENOMEM;
	memcpy(pc->text, src->embedded, src->embedded_len);
	pc->text[src->embedded_len] = '\0';
	pc->len = src->embedded_len;
	return 0;
}
