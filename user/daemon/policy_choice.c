// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which policy a sandbox gets and its compiled form: the config's policy files (read at start
 * and at each reload), the state's applied policies fed to the precedence (precedence.c), a
 * fresh slot and rule ids for each compiled policy, and sandboxes on a config policy switched
 * when the config changes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/internal.h"
#include "lib/yamlx.h"

/* Which policy a sandbox of @identity gets (wd_policy_choose), with the applied policies read
 * from the state in the order of precedence: one that a nearer source hides is not read. */
int choose_policy(struct daemon *d, const char *identity, const char *sb_id,
		  const Warden__V1__PolicySource *spec, struct pol_choice *pc)
{
	struct pol_sources src = {
		.spec = spec,
		.cpol = d->cpol,
		.n_cpol = d->n_cpol,
		.embedded = wd_default_policy,
		.embedded_len = wd_default_policy_len,
	};
	struct wd_state_policy *sp = NULL;
	int err;

	if (!(spec && spec->text && spec->text[0])) {
		if (sb_id && wd_state_policy_current(d->st, WD_TARGET_SANDBOX, sb_id, &sp) == 0)
			src.sandbox = sp;
		else if (wd_state_policy_current(d->st, WD_TARGET_IDENTITY, identity, &sp) == 0)
			src.identity = sp;
		else if (wd_state_policy_current(d->st, WD_TARGET_NODE, "", &sp) == 0)
			src.node = sp;
	}
	err = wd_policy_choose(&src, identity, pc);
	wd_state_policy_free(sp);
	return err;
}

/* Parses and compiles @pc for a sandbox of @identity into a fresh slot. */
int compile_for(struct daemon *d, const struct pol_choice *pc, const char *identity,
		const char *workdir, const char *home, bool audit, const struct dsb *skip,
		struct wd_compiled **out, struct wd_diags *dg)
{
	/* Sandboxes made without a job (create, adopt) have no working directory or home: the
	 * policy's ${workdir} and ${home} rules then name a directory that does not exist. */
	struct wd_policy_ctx ctx = {.workdir = workdir && workdir[0] ? workdir
								     : WD_PLACEHOLDER_WORKDIR,
				    .home = home && home[0] ? home : WD_PLACEHOLDER_HOME};
	struct wd_policy *p = NULL;
	uint32_t first;
	int slot, err;

	*out = NULL;
	err = wd_policy_parse_string(pc->name, pc->text, pc->len, &p, dg);
	if (err)
		return err;
	/* An adoption rule's policy is bound to it by the config: no identity check. */
	if ((pc->from == FROM_SPEC || pc->from == FROM_CONFIG) &&
	    !wd_policy_applies_to(p, identity)) {
		wd_diags_add(dg, pc->name, 0, 0,
			     "policy '%s' does not apply to identity '%s': add a matching glob to "
			     "its identities",
			     p->name, identity);
		wd_policy_free(p);
		return -EPERM;
	}
	if (audit)
		p->audit = true;
	/* warden's own places: denied to every sandbox, whatever the author wrote. */
	err = wd_guard_protect(&d->guard, p);
	if (err) {
		wd_policy_free(p);
		return err;
	}
	if (p->uses_workdir && ctx.workdir && !strcmp(ctx.workdir, "/")) {
		wd_diags_add(dg, pc->name, 0, 0,
			     "refusing / as the job's working directory: the policy's ${workdir} "
			     "rules would cover the whole system");
		wd_policy_free(p);
		return -EINVAL;
	}
	first = rules_alloc(d, (uint32_t)(p->n_rules + 1), skip);
	slot = slot_alloc(d);
	if (!first || slot < 0) {
		wd_diags_add(dg, pc->name, 0, 0, "no room for another policy: %s",
			     slot < 0 ? "all policy slots are in use" : "rule ids exhausted");
		if (slot > 0)
			d->slot_used[slot] = false;
		wd_policy_free(p);
		return -ENOSPC;
	}
	/* Whatever a daemon before this one left in the slot goes first. */
	wd_enforcer_clear_slot(&d->enf, (uint32_t)slot);
	err = wd_policy_compile(p, &ctx, (uint32_t)slot, first, out, dg);
	wd_policy_free(p);
	/* The record (the sinks' files) must be out of the sandbox's reach where file rules are
	 * enforced. */
	if (!err && d->enf.lsm) {
		char why[WD_DIAG_MSG_MAX];

		err = wd_guard_check(&d->guard, *out, why, sizeof(why));
		if (err) {
			wd_diags_add(dg, pc->name, 0, 0, "%s", why);
			wd_compiled_free(*out);
			*out = NULL;
		}
	}
	if (err)
		d->slot_used[slot] = false;
	return err;
}

void cpol_free(struct cfg_policy *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].text);
		wd_policy_free(v[i].p);
	}
	free(v);
}

/* Reads and parses the policy file @path into @v (its path kept even on error). */
static int read_cfg_policy(const char *path, struct cfg_policy *v, struct wd_diags *dg)
{
	int fd, err;

	v->path = strdup(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		wd_diags_add(dg, path, 0, 0, "cannot open: %s", strerror(errno));
		return -errno;
	}
	err = wd_yaml_read_fd(fd, path, 64u << 20, &v->text, &v->len, dg);
	if (!err)
		err = wd_policy_parse_string(path, v->text, v->len, &v->p, dg);
	close(fd);
	return err;
}

/* Reads and checks every policy file of the config (daemon.policies into @out, each adoption
 * rule's into @aout, NULL text for a rule without one); nothing is kept unless all are valid. */
int load_cfg_policies(const struct wd_config *c, struct cfg_policy **out, size_t *n_out,
		      struct cfg_policy **aout)
{
	size_t np = c->daemon.n_policies, na = c->daemon.n_adopt;
	struct cfg_policy *v = calloc(np + 1, sizeof(*v)), *av = calloc(na + 1, sizeof(*av));
	struct wd_diags dg = {0};
	int bad = 0;

	if (!v || !av) {
		free(v);
		free(av);
		return -ENOMEM;
	}
	for (size_t i = 0; i < np; i++)
		bad += read_cfg_policy(c->daemon.policies[i], &v[i], &dg) != 0;
	for (size_t i = 0; i < na; i++)
		if (c->daemon.adopt[i].policy)
			bad += read_cfg_policy(c->daemon.adopt[i].policy, &av[i], &dg) != 0;
	if (dg.total)
		wd_diags_print(stderr, &dg);
	wd_diags_free(&dg);
	if (bad) {
		cpol_free(v, np);
		cpol_free(av, na);
		return -EINVAL;
	}
	*out = v;
	*n_out = np;
	*aout = av;
	return 0;
}

/* Switches every sandbox whose policy comes from the config (or the embedded default) to what
 * the config says now. Not by sandbox id: the policy recorded for the sandbox at its creation is
 * what is being replaced (an explicit `apply --sandbox` is not FROM_CONFIG). */
void repolicy_config_sandboxes(struct daemon *d)
{
	for (size_t i = 0; i < d->n_sb; i++) {
		struct dsb *s = d->sb[i];
		struct wd_diags dg = {0};
		struct pol_choice pc;

		if (s->from == FROM_ADOPT) {
			/* The policy of the rule that matches it now, if that rule names one. */
			int r = rule_of_cgroup(d, s->cg.path);

			if (r < 0 || !d->apol[r].text)
				continue;
			memset(&pc, 0, sizeof(pc));
			pc.from = FROM_ADOPT;
			snprintf(pc.name, sizeof(pc.name), "%s", d->apol[r].path);
			pc.text = strdup(d->apol[r].text);
			pc.len = d->apol[r].len;
			if (!pc.text)
				continue;
		} else if (s->from != FROM_CONFIG && s->from != FROM_EMBEDDED) {
			continue;
		} else if (choose_policy(d, s->identity, NULL, NULL, &pc)) {
			continue;
		}
		if (sb_repolicy(d, s, &pc, &dg)) {
			wd_diags_print(stderr, &dg);
			logf_("sandbox %s keeps its policy: the config's does not compile for it",
			      s->id);
		}
		wd_diags_free(&dg);
		free(pc.text);
	}
}
