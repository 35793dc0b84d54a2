// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The path sections of a policy: exec: and files:, and the path rule itself (which network's
 * unix: items use too). A path is checked here the way the compiler will expand it, with
 * placeholder values for the variables, so a policy that parses also compiles. */
#include <stdio.h>
#include <string.h>

#include "policy/internal.h"
#include "policy/path.h"

/* Whether @s, variables skipped, holds a wildcard character. */
static bool has_wildcard(const char *s)
{
	while (*s) {
		if (s[0] == '$' && s[1] == '{') {
			const char *end = strchr(s, '}');

			if (!end)
				return false;
			s = end + 1;
			continue;
		}
		if (*s == '*' || *s == '?' || *s == '[')
			return true;
		s++;
	}
	return false;
}

/* "/proc/ * /NAME" with NAME of [a-z_]{1,15}. */
static bool is_proc_rule(const char *s)
{
	size_t len;

	if (strncmp(s, "/proc/*/", 8) != 0)
		return false;
	len = strlen(s + 8);
	return len >= 1 && len < WD_NAME_MAX && strspn(s + 8, "abcdefghijklmnopqrstuvwxyz_") == len;
}

/* Whether @s is "${workdir}/", repeated slashes aside. */
static bool is_workdir_root(const char *s)
{
	size_t n = strlen("${workdir}");

	if (strncmp(s, "${workdir}", n) != 0 || s[n] != '/')
		return false;
	return strspn(s + n, "/") == strlen(s + n);
}

void wd_parse_path(struct parser *ps, yaml_node_t *n, const char *where, struct wd_path_list *list)
{
	static const struct wd_policy_ctx placeholders = {WD_PLACEHOLDER_WORKDIR,
							  WD_PLACEHOLDER_HOME};
	struct wd_path_rule *r;
	char out[4096], why_buf[160];
	const char *s, *why;
	size_t len;

	if (!(s = nonempty_scalar(ps, n, "a path")))
		return;
	len = strlen(s);
	if (has_wildcard(s)) {
		if (!is_proc_rule(s)) {
			err_at(ps, n,
			       "bad wildcard in path \"%s\": the only wildcard form allowed is "
			       "\"/proc/*/NAME\" (NAME: [a-z_]{1,15}); other paths are exact "
			       "files, "
			       "or prefixes ending in \"/\"",
			       s);
			return;
		}
	} else if (s[0] != '/' && strncmp(s, "${", 2) != 0) {
		err_at(ps, n,
		       "relative path \"%s\" in %s: paths must be absolute (start with \"/\", "
		       "\"${workdir}\" or \"${home}\")",
		       s, where);
		return;
	} else if (wd_path_expand(s, &placeholders, out, sizeof(out), why_buf, sizeof(why_buf),
				  &why)) {
		err_at(ps, n, "bad path \"%s\" in %s: %s", s, where, why);
		return;
	} else if (!strstr(s, "${") && strlen(out) > WD_PATH_MAX - 1) {
		err_at(ps, n, "path in %s is %zu bytes long; at most %d are allowed", where,
		       strlen(out), WD_PATH_MAX - 1);
		return;
	}
	r = &list->v[list->n];
	r->text = ps_strdup(ps, s);
	if (!r->text)
		return;
	r->loc.line = (int)n->start_mark.line + 1;
	r->loc.col = (int)n->start_mark.column + 1;
	r->kind = has_wildcard(s)     ? WD_PATH_PROC
		  : s[len - 1] == '/' ? WD_PATH_PREFIX
				      : WD_PATH_EXACT;
	r->uses_workdir = strstr(s, "${workdir}") != NULL;
	r->uses_home = strstr(s, "${home}") != NULL;
	r->workdir_root = is_workdir_root(s);
	ps->p->uses_workdir |= r->uses_workdir;
	ps->p->uses_home |= r->uses_home;
	list->n++;
}

static void parse_path_list(struct parser *ps, yaml_node_t *v, const char *where,
			    struct wd_path_list *list)
{
	yaml_node_item_t *it;

	if (!is_list(ps, v, where, true) || v->type != YAML_SEQUENCE_NODE)
		return;
	list->v = ps_calloc(ps, seq_len(v), sizeof(*list->v));
	if (!list->v)
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = node_at(ps, *it);

		if (n)
			wd_parse_path(ps, n, where, list);
	}
}

/* allow/deny lists of paths for @op. */
void wd_parse_allow_deny_paths(struct parser *ps, yaml_node_t *v, const char *where, int op)
{
	static const char *const names[] = {"allow", "deny"};
	yaml_node_t *vals[2], *keys[2];
	char sub[64];
	int e;

	if (is_null(v))
		return;
	if (!map_fields(ps, v, where, names, 2, vals, keys))
		return;
	for (e = 0; e < WD_EFFECT_NR; e++) {
		if (!vals[e])
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", where, names[e]);
		parse_path_list(ps, vals[e], sub, &ps->p->paths[op][e]);
	}
}

void wd_parse_files(struct parser *ps, yaml_node_t *v)
{
	static const char *const names[] = {"read", "write"};
	yaml_node_t *vals[2], *keys[2];

	if (is_null(v))
		return;
	if (!map_fields(ps, v, "files", names, 2, vals, keys))
		return;
	if (vals[0])
		wd_parse_allow_deny_paths(ps, vals[0], "files.read", WD_OP_READ);
	if (vals[1])
		wd_parse_allow_deny_paths(ps, vals[1], "files.write", WD_OP_WRITE);
}
