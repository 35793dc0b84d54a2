// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compiling a policy into map entries: checking the variables, expanding the path rules, giving
 * each rule its id and description, then the stages that fold the path rules
 * (compile_paths.c) and the network rules (compile_net.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile_internal.h"
#include "policy/digest.h"

void wd_compiled_free(struct wd_compiled *c)
{
	__u32 i;

	if (!c)
		return;
	free(c->exact);
	free(c->prefix);
	free(c->proc);
	free(c->net);
	free(c->inode);
	free(c->deny_dirs);
	if (c->rule_text)
		for (i = 0; i < c->n_rules; i++)
			free(c->rule_text[i]);
	free(c->rule_text);
	free(c->workdir);
	free(c);
}

bool wd_compiled_same_confinement(const struct wd_compiled *a, const struct wd_compiled *b)
{
	return a->confine_digest_ok && b->confine_digest_ok &&
	       memcmp(a->confine_digest, b->confine_digest, sizeof(a->confine_digest)) == 0;
}

const char *wd_compiled_rule_text(const struct wd_compiled *c, __u32 rule_id)
{
	if (rule_id < c->first_rule_id || rule_id - c->first_rule_id >= c->n_rules)
		return NULL;
	return c->rule_text[rule_id - c->first_rule_id];
}

/* Checks a variable the policy uses: known, absolute, normalised, and (for ${home}) not "/". */
static bool check_var(struct comp *cs, const char *name, const char *val, bool home)
{
	const struct wd_path_rule *first = NULL;
	char out[WD_PATH_EXPAND_MAX], why_buf[160];
	const char *why;
	int op, e;
	size_t i;

	for (op = 0; op < WD_OP_NR && !first; op++)
		for (e = 0; e < WD_EFFECT_NR && !first; e++)
			for (i = 0; i < cs->p->paths[op][e].n && !first; i++) {
				const struct wd_path_rule *r = &cs->p->paths[op][e].v[i];

				if (home ? r->uses_home : r->uses_workdir)
					first = r;
			}
	if (!first)
		return true;
	if (!val) {
		cerr(cs, &first->loc,
		     "the policy uses ${%s} (first here), but the %s is not known; give it to "
		     "compile this policy",
		     name, home ? "home directory" : "workdir");
		return false;
	}
	if (val[0] != '/' ||
	    wd_path_expand(val, NULL, out, sizeof(out), why_buf, sizeof(why_buf), &why)) {
		cerr(cs, &first->loc, "${%s} is \"%.100s\": not a usable absolute path", name, val);
		return false;
	}
	if (home && strcmp(out, "/") == 0) {
		cerr(cs, &first->loc,
		     "${home} is \"/\": rules written with ${home} need a real home directory");
		return false;
	}
	return true;
}

static void rule_text_path(struct comp *cs, const struct pitem *it)
{
	const struct wd_path_rule *r = it->r;
	char **slot = &cs->c->rule_text[it->id - cs->c->first_rule_id];

	if (it->op == WD_OP_UNIX)
		*slot = xasprintf(cs, "%s:%d:%d network %s unix %s%s%s%s", cs->p->source,
				  r->loc.line, r->loc.col, effect_names[it->effect], r->text,
				  strcmp(r->text, it->path) ? " (" : "",
				  strcmp(r->text, it->path) ? it->path : "",
				  strcmp(r->text, it->path) ? ")" : "");
	else if (strcmp(r->text, it->path) != 0 && r->kind != WD_PATH_PROC)
		*slot = xasprintf(cs, "%s:%d:%d %s %s %s (%s)", cs->p->source, r->loc.line,
				  r->loc.col, op_names[it->op], effect_names[it->effect], r->text,
				  it->path);
	else
		*slot = xasprintf(cs, "%s:%d:%d %s %s %s", cs->p->source, r->loc.line, r->loc.col,
				  op_names[it->op], effect_names[it->effect], r->text);
}

static int expand_paths(struct comp *cs, struct pitem *items, struct pitem **by_kind[3],
			size_t nk[3], __u32 *next_id)
{
	const struct wd_policy *p = cs->p;
	char out[WD_PATH_EXPAND_MAX], why_buf[160];
	size_t i, n = 0;
	int op, e;

	for (op = 0; op < WD_OP_NR; op++) {
		for (e = 0; e < WD_EFFECT_NR; e++) {
			for (i = 0; i < p->paths[op][e].n; i++) {
				const struct wd_path_rule *r = &p->paths[op][e].v[i];
				struct pitem *it = &items[n++];
				size_t max = r->kind == WD_PATH_PREFIX
						     ? sizeof(((struct wd_prefix_key *)0)->path)
						     : sizeof(((struct wd_path_key *)0)->path);
				const char *why;
				int ret;

				it->id = (*next_id)++;
				it->op = (__u8)op;
				it->effect = (__u8)e;
				it->fixed = r->uses_workdir;
				it->r = r;
				if (r->kind == WD_PATH_PROC) {
					it->path = strdup(r->text + strlen("/proc/*/"));
				} else {
					ret = wd_path_expand(r->text, cs->ctx, out, sizeof(out),
							     why_buf, sizeof(why_buf), &why);
					if (ret) {
						cerr(cs, &r->loc, "bad path \"%s\" in %s.%s: %s",
						     r->text, op_names[op], effect_names[e], why);
						continue;
					}
					if (strlen(out) > max - 1) {
						cerr(cs, &r->loc,
						     "path \"%.60s...\" in %s.%s is %zu bytes long "
						     "after expansion; at most %zu are allowed",
						     out, op_names[op], effect_names[e],
						     strlen(out), max - 1);
						continue;
					}
					it->path = strdup(out);
				}
				if (!it->path)
					return -ENOMEM;
				rule_text_path(cs, it);
				by_kind[r->kind][nk[r->kind]++] = it;
			}
		}
	}
	return 0;
}

int wd_policy_compile(const struct wd_policy *p, const struct wd_policy_ctx *ctx, __u32 policy_id,
		      __u32 first_rule_id, struct wd_compiled **out, struct wd_diags *diags)
{
	struct comp cs = {.p = p, .ctx = ctx, .diags = diags};
	struct pitem *items = NULL, **by_kind[3] = {NULL, NULL, NULL};
	size_t n_paths = 0, nk[3] = {0, 0, 0}, i, first_diag = diags->n;
	struct nitem *nitems = NULL;
	struct wd_compiled *c;
	__u32 next_id = first_rule_id;
	int op, e, ret = -ENOMEM;
	bool wd_ok, home_ok;

	*out = NULL;
	if (!p || first_rule_id == WD_RULE_DEFAULT || policy_id >= WD_POLICIES_MAX)
		return -EINVAL;
	if (p->n_rules > WD_RULES_MAX || first_rule_id > WD_RULES_MAX - p->n_rules) {
		wd_diags_add(diags, p->source, 0, 0,
			     "the policy has %zu rules; with rule ids from %u they do not fit in "
			     "the %d rule ids there are",
			     p->n_rules, first_rule_id, WD_RULES_MAX);
		return -ENOSPC;
	}
	wd_ok = check_var(&cs, "workdir", ctx ? ctx->workdir : NULL, false);
	home_ok = check_var(&cs, "home", ctx ? ctx->home : NULL, true);
	if (!wd_ok || !home_ok)
		return -EINVAL;

	c = cs.c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->policy_id = policy_id;
	c->first_rule_id = first_rule_id;
	c->n_rules = (__u32)p->n_rules;
	c->rule_text = calloc(p->n_rules ? p->n_rules : 1, sizeof(*c->rule_text));
	c->cfg.flags = WD_POL_VALID | (p->audit ? WD_POL_AUDIT : 0) |
		       (p->allow_fileless ? WD_POL_ALLOW_FILELESS : 0) |
		       (p->allow_jit ? WD_POL_ALLOW_JIT : 0);
	c->cfg.families = p->families;
	c->cfg.raw_families = p->raw_families;
	if (!c->rule_text)
		goto out;

	/* The workdir rule applies to the ops with a "${workdir}/" allow. */
	for (op = 0; op < WD_OP_NR; op++)
		for (i = 0; i < p->paths[op][WD_ALLOW].n; i++)
			if (p->paths[op][WD_ALLOW].v[i].workdir_root)
				cs.carve_ops |= (__u8)(1u << op);
	if (cs.carve_ops) {
		char buf[WD_PATH_EXPAND_MAX], why_buf[160];
		const char *why;

		/* A workdir that does not expand is reported with the rule that uses it. */
		if (!wd_path_expand("${workdir}/", ctx, buf, sizeof(buf), why_buf, sizeof(why_buf),
				    &why)) {
			c->workdir = strdup(buf);
			if (!c->workdir)
				goto out;
		}
		cs.workdir_prefix = c->workdir;
	}

	for (op = 0; op < WD_OP_NR; op++)
		for (e = 0; e < WD_EFFECT_NR; e++)
			n_paths += p->paths[op][e].n;
	items = calloc(n_paths ? n_paths : 1, sizeof(*items));
	for (i = 0; i < 3; i++)
		by_kind[i] = calloc(n_paths ? n_paths : 1, sizeof(*by_kind[i]));
	nitems = calloc(p->net[0].n + p->net[1].n + 1, sizeof(*nitems));
	if (!items || !by_kind[0] || !by_kind[1] || !by_kind[2] || !nitems)
		goto out;
	ret = expand_paths(&cs, items, by_kind, nk, &next_id);
	if (ret)
		goto out;

	for (e = 0, i = 0; e < WD_EFFECT_NR; e++) {
		size_t k;

		for (k = 0; k < p->net[e].n; k++) {
			const struct wd_net_rule *r = &p->net[e].v[k];
			struct nitem *it = &nitems[i++];
			char text[256];

			it->r = r;
			it->id = next_id++;
			it->effect = (__u8)e;
			wd_compile_net_text(r, text, sizeof(text));
			c->rule_text[it->id - first_rule_id] =
				xasprintf(&cs, "%s:%d:%d network %s %s", p->source, r->loc.line,
					  r->loc.col, effect_names[e], text);
		}
	}
	if (p->to_sandbox) {
		c->cfg.sandbox_rule = next_id++;
		c->rule_text[c->cfg.sandbox_rule - first_rule_id] =
			xasprintf(&cs, "%s:%d:%d network allow sandbox (its own listeners)",
				  p->source, p->sandbox_loc.line, p->sandbox_loc.col);
	}
	wd_compile_abstract(&cs, &next_id);
	ret = -ENOMEM;
	if (cs.oom)
		goto out;
	if (cs.errors) {
		ret = -EINVAL;
		goto out;
	}
	if (wd_compile_exact(&cs, by_kind[WD_PATH_EXACT], nk[WD_PATH_EXACT]) ||
	    wd_compile_anchors(&cs, by_kind[WD_PATH_EXACT], nk[WD_PATH_EXACT],
			       by_kind[WD_PATH_PREFIX], nk[WD_PATH_PREFIX]) ||
	    wd_compile_prefix(&cs, by_kind[WD_PATH_PREFIX], nk[WD_PATH_PREFIX]) ||
	    wd_compile_proc(&cs, by_kind[WD_PATH_PROC], nk[WD_PATH_PROC]) ||
	    wd_compile_net(&cs, nitems, i))
		goto out;
	ret = cs.errors ? -EINVAL : 0;
	if (!ret)
		c->confine_digest_ok = wd_policy_confine_digest(p, ctx, c->confine_digest) == 0;
out:
	for (i = 0; items && i < n_paths; i++)
		free(items[i].path);
	free(items);
	for (i = 0; i < 3; i++)
		free(by_kind[i]);
	free(nitems);
	wd_diags_sort(diags, first_diag);
	if (ret) {
		wd_compiled_free(c);
		return ret;
	}
	*out = c;
	return 0;
}
