// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing policies: libyaml's document API gives a node tree with marks, which is checked key by
 * key against the format of docs/policy.md. Every error is collected with its line and column;
 * a policy with any error is freed, never returned half-built. This file holds the entry points,
 * the model's lifetime and the top-level keys; the sections are parsed in files.c (exec, files),
 * network.c and sockets.c. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <yaml.h>

#include "policy/internal.h"

#define POLICY_FILE_MAX (64u << 20) /* a 100,000-rule policy is a few MiB */
#define NAME_MAX_LEN	64
#define GLOB_MAX_LEN	233 /* "kind:name" at its longest */

/* ---- Names ---------------------------------------------------------------------------------- */

static bool is_graph(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int wd_identity_valid(const char *id)
{
	const char *colon = strchr(id, ':');
	size_t klen, nlen, i;

	if (!colon)
		return -EINVAL;
	klen = (size_t)(colon - id);
	if (klen < 1 || klen > 32 || id[0] < 'a' || id[0] > 'z')
		return -EINVAL;
	for (i = 1; i < klen; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '-'))
			return -EINVAL;
	nlen = strlen(colon + 1);
	if (nlen < 1 || nlen > 200)
		return -EINVAL;
	for (i = 0; i < nlen; i++)
		if (!is_graph((unsigned char)colon[1 + i]))
			return -EINVAL;
	return 0;
}

bool wd_policy_applies_to(const struct wd_policy *p, const char *identity)
{
	size_t i;

	if (wd_identity_valid(identity))
		return false;
	for (i = 0; i < p->n_identities; i++)
		if (fnmatch(p->identities[i], identity, 0) == 0)
			return true;
	return false;
}

/* ---- The model ------------------------------------------------------------------------------ */

static void path_list_free(struct wd_path_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
}

static void net_list_free(struct wd_net_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].ports);
	}
	free(l->v);
}

void wd_policy_free(struct wd_policy *p)
{
	size_t i;
	int op, e;

	if (!p)
		return;
	free(p->source);
	free(p->name);
	for (i = 0; i < p->n_identities; i++)
		free(p->identities[i]);
	free(p->identities);
	for (op = 0; op < WD_OP_NR; op++)
		for (e = 0; e < WD_EFFECT_NR; e++)
			path_list_free(&p->paths[op][e]);
	for (e = 0; e < WD_EFFECT_NR; e++) {
		net_list_free(&p->net[e]);
		for (i = 0; i < p->abstract[e].n; i++)
			free(p->abstract[e].v[i].text);
		free(p->abstract[e].v);
	}
	free(p);
}

/* ---- The top-level keys --------------------------------------------------------------------- */

static void parse_version(struct parser *ps, yaml_node_t *v)
{
	const char *s = nonempty_scalar(ps, v, "version");

	if (!s)
		return;
	if (strcmp(s, "1") != 0) {
		if (strspn(s, "0123456789") == strlen(s))
			err_at(ps, v, "unsupported version %s; this warden reads version 1", s);
		else
			err_at(ps, v, "version must be the number 1, not \"%s\"", s);
	}
}

static void parse_name(struct parser *ps, yaml_node_t *v)
{
	const char *s = nonempty_scalar(ps, v, "name");
	size_t len;

	if (!s)
		return;
	len = strlen(s);
	if (len > NAME_MAX_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len) {
		err_at(ps, v, "bad name \"%s\": 1 to %d of A-Z a-z 0-9 . _ -", s, NAME_MAX_LEN);
		return;
	}
	ps->p->name = ps_strdup(ps, s);
}

static void parse_identities(struct parser *ps, yaml_node_t *v)
{
	struct wd_policy *p = ps->p;
	yaml_node_item_t *it;

	if (!is_list(ps, v, "identities", false))
		return;
	if (seq_len(v) == 0) {
		err_at(ps, v,
		       "identities must not be empty: list the identities (globs such as "
		       "\"ci:*\") the policy applies to");
		return;
	}
	p->identities = ps_calloc(ps, seq_len(v), sizeof(*p->identities));
	if (!p->identities)
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = node_at(ps, *it);
		const char *s, *c;

		if (!n || !(s = nonempty_scalar(ps, n, "an identity")))
			continue;
		for (c = s; *c && is_graph((unsigned char)*c); c++)
			;
		if (*c || strlen(s) > GLOB_MAX_LEN) {
			err_at(ps, n,
			       "bad identity glob \"%s\": at most %d printable characters, no "
			       "spaces",
			       s, GLOB_MAX_LEN);
			continue;
		}
		p->identities[p->n_identities] = ps_strdup(ps, s);
		if (p->identities[p->n_identities])
			p->n_identities++;
	}
}

/* A scalar that must be one of two words; returns the index or -1. */
static int parse_choice(struct parser *ps, yaml_node_t *v, const char *what, const char *a,
			const char *b)
{
	const char *s = nonempty_scalar(ps, v, what);

	if (!s)
		return -1;
	if (strcmp(s, a) == 0)
		return 0;
	if (strcmp(s, b) == 0)
		return 1;
	err_at(ps, v, "bad %s \"%s\"; expected %s or %s", what, s, a, b);
	return -1;
}

static void parse_root(struct parser *ps, yaml_node_t *root)
{
	enum {
		VERSION,
		NAME,
		IDENTITIES,
		MODE,
		FILELESS,
		JIT,
		EXEC,
		FILES,
		NETWORK,
		SOCKETS,
		NKEYS
	};
	static const char *const names[NKEYS] = {
		"version", "name", "identities", "mode",    "fileless_exec",
		"jit",	   "exec", "files",	 "network", "sockets",
	};
	yaml_node_t *vals[NKEYS], *keys[NKEYS];
	struct wd_policy *p = ps->p;
	int i, c;

	if (!map_fields(ps, root, "the policy", names, NKEYS, vals, keys))
		return;
	for (i = VERSION; i <= IDENTITIES; i++)
		if (!vals[i])
			err_at(ps, root, "missing required key \"%s\"", names[i]);
	if (vals[VERSION])
		parse_version(ps, vals[VERSION]);
	if (vals[NAME])
		parse_name(ps, vals[NAME]);
	if (vals[IDENTITIES])
		parse_identities(ps, vals[IDENTITIES]);
	if (vals[MODE] && (c = parse_choice(ps, vals[MODE], "mode", "enforce", "audit")) >= 0)
		p->audit = c == 1;
	if (vals[FILELESS] &&
	    (c = parse_choice(ps, vals[FILELESS], "fileless_exec", "deny", "allow")) >= 0)
		p->allow_fileless = c == 1;
	if (vals[JIT] && (c = parse_choice(ps, vals[JIT], "jit", "deny", "allow")) >= 0)
		p->allow_jit = c == 1;
	if (vals[EXEC])
		wd_parse_allow_deny_paths(ps, vals[EXEC], "exec", WD_OP_EXEC);
	if (vals[FILES])
		wd_parse_files(ps, vals[FILES]);
	if (vals[NETWORK])
		wd_parse_network(ps, vals[NETWORK]);
	p->families = 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6;
	if (vals[SOCKETS])
		wd_parse_sockets(ps, vals[SOCKETS]);
}

int wd_policy_parse_string(const char *name, const char *yaml, size_t len, struct wd_policy **out,
			   struct wd_diags *diags)
{
	struct parser ps = {.y = {.file = name, .diags = diags}};
	size_t op, e, total = 0;
	yaml_document_t doc;
	yaml_parser_t yp;
	yaml_node_t *root;
	int ret;

	*out = NULL;
	if (!name)
		name = ps.y.file = "<policy>";
	ret = wd_yaml_load(&ps.y, &yp, &doc, yaml, len, "policy");
	if (ret)
		return ret;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		wd_diags_add(diags, name, 0, 0,
			     "the policy is empty; version, name and identities are required");
		ps.y.errors++;
		goto out;
	}
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p || !(ps.p->source = strdup(name))) {
		ps.y.oom = true;
		goto out;
	}
	parse_root(&ps, root);
	for (op = 0; op < WD_OP_NR; op++)
		for (e = 0; e < WD_EFFECT_NR; e++)
			total += ps.p->paths[op][e].n;
	ps.p->n_rules = total + ps.p->net[WD_ALLOW].n + ps.p->net[WD_DENY].n +
			(ps.p->to_sandbox ? 1 : 0) + ps.p->abstract[WD_ALLOW].n +
			ps.p->abstract[WD_DENY].n;
out:
	ret = wd_yaml_done(&ps.y, &yp, &doc);
	if (ret)
		wd_policy_free(ps.p);
	else
		*out = ps.p;
	return ret;
}

/* wd_policy_parse_string as a wd_yaml_parse_fn. */
static int parse_text(const char *name, const char *yaml, size_t len, void *out,
		      struct wd_diags *diags)
{
	return wd_policy_parse_string(name, yaml, len, out, diags);
}

int wd_policy_parse_fd(int fd, const char *name, struct wd_policy **out, struct wd_diags *diags)
{
	*out = NULL;
	return wd_yaml_parse_fd(fd, name, POLICY_FILE_MAX, parse_text, out, diags);
}

int wd_policy_parse_file(const char *path, struct wd_policy **out, struct wd_diags *diags)
{
	*out = NULL;
	return wd_yaml_parse_file(path, POLICY_FILE_MAX, parse_text, out, diags);
}
