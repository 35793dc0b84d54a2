/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of the policy parser share and nobody outside sees: the parser's state, the
 * walk over libyaml's nodes (user/lib/yamlx.c), and the section parsers parse_root
 * (policy.c) calls. */
#ifndef WD_POLICY_INTERNAL_H
#define WD_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/yamlx.h"
#include "policy/policy.h"

/* ---- The walk over libyaml's nodes (user/lib/yamlx.c) ---------------------------------------- */

struct parser {
	struct wd_yaml y;
	struct wd_policy *p;
};

#define err_at(ps, ...)			  wd_yaml_err(&(ps)->y, __VA_ARGS__)
#define node_at(ps, i)			  wd_yaml_node(&(ps)->y, i)
#define type_name(n)			  wd_yaml_type_name(n)
#define is_null(n)			  wd_yaml_is_null(n)
#define scalar(ps, n, what)		  wd_yaml_scalar(&(ps)->y, n, what)
#define nonempty_scalar(ps, n, what)	  wd_yaml_nonempty(&(ps)->y, n, what)
#define seq_len(n)			  wd_yaml_seq_len(n)
#define is_list(ps, n, what, null_ok)	  wd_yaml_is_list(&(ps)->y, n, what, null_ok)
#define map_fields(ps, m, w, nm, n, v, k) wd_yaml_map_fields(&(ps)->y, m, w, nm, n, v, k)

static inline void *ps_calloc(struct parser *ps, size_t n, size_t size)
{
	void *m = calloc(n ? n : 1, size);

	if (!m)
		ps->y.oom = true;
	return m;
}

static inline char *ps_strdup(struct parser *ps, const char *s)
{
	char *d = strdup(s);

	if (!d)
		ps->y.oom = true;
	return d;
}

/* ---- The sections: parse_root (policy.c) calls them ---------------------------------------- */

/* One path rule of @where, appended to @list (which has room for it). Network's unix: items are
 * path rules too (files.c). */
void wd_parse_path(struct parser *ps, yaml_node_t *n, const char *where, struct wd_path_list *list);
/* allow/deny lists of paths for @op: exec and files.read/write (files.c). */
void wd_parse_allow_deny_paths(struct parser *ps, yaml_node_t *v, const char *where, int op);
/* files: (files.c). */
void wd_parse_files(struct parser *ps, yaml_node_t *v);
/* network: (network.c). */
void wd_parse_network(struct parser *ps, yaml_node_t *v);
/* sockets: (sockets.c). */
void wd_parse_sockets(struct parser *ps, yaml_node_t *v);

#endif
