/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Walking libyaml's document tree with every error reported at its line and column: the
 * common ground of the policy and config parsers. */
#ifndef WD_YAMLX_H
#define WD_YAMLX_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "lib/diag.h"

struct wd_yaml {
	const char *file; /* for messages */
	yaml_document_t *doc;
	struct wd_diags *diags;
	int errors;
	bool oom;
	size_t first_diag; /* the diagnostics of this parse start here (wd_yaml_load sets it) */
};

/* Reports an error at @n's line and column (none when @n is NULL). */
__attribute__((format(printf, 3, 4))) void wd_yaml_err(struct wd_yaml *ps, const yaml_node_t *n,
						       const char *fmt, ...);
yaml_node_t *wd_yaml_node(struct wd_yaml *ps, yaml_node_item_t i);
/* "a string", "a list", "a mapping" */
const char *wd_yaml_type_name(const yaml_node_t *n);
/* An empty plain scalar, "~" or "null". */
bool wd_yaml_is_null(const yaml_node_t *n);
/* The scalar's text, or NULL (error reported) when @n is not a string or holds a NUL byte. */
const char *wd_yaml_scalar(struct wd_yaml *ps, const yaml_node_t *n, const char *what);
/* The same, and it must not be empty. */
const char *wd_yaml_nonempty(struct wd_yaml *ps, const yaml_node_t *n, const char *what);
size_t wd_yaml_seq_len(const yaml_node_t *n);
/* Whether @n is a list (a null value counts as an empty one when @null_ok); reports otherwise. */
bool wd_yaml_is_list(struct wd_yaml *ps, const yaml_node_t *n, const char *what, bool null_ok);
/* Looks the keys of mapping @map up in @names: vals[i] (and keys[i]) is the value of names[i],
 * or NULL. Unknown keys (with a "did you mean") and duplicates are reported. Returns false,
 * reporting it, when @map is not a mapping. */
bool wd_yaml_map_fields(struct wd_yaml *ps, const yaml_node_t *map, const char *where,
			const char *const *names, size_t n, yaml_node_t **vals, yaml_node_t **keys);
/* libyaml's own error, at its line and column. */
void wd_yaml_syntax_error(struct wd_yaml *ps, const yaml_parser_t *yp);

/* Initialises @yp and loads the one document of @buf into @doc (ps->doc is set); a second
 * document is an error ("a second YAML document; a @what file holds one"). Returns 0 (errors
 * may still have been reported; end with wd_yaml_done()) or -EINVAL/-ENOMEM when nothing was
 * loaded (@yp already deleted). */
int wd_yaml_load(struct wd_yaml *ps, yaml_parser_t *yp, yaml_document_t *doc, const char *buf,
		 size_t len, const char *what);

/* Deletes @doc and @yp and sorts this parse's diagnostics. Returns -ENOMEM, -EINVAL when an
 * error was reported, or 0. */
int wd_yaml_done(struct wd_yaml *ps, yaml_parser_t *yp, yaml_document_t *doc);

/* Reads all of @fd (at most @max bytes) into a NUL-terminated buffer. Returns 0 or -errno
 * (reported in @diags under @name). */
int wd_yaml_read_fd(int fd, const char *name, size_t max, char **out, size_t *out_len,
		    struct wd_diags *diags);
/* The same for the file at @path. */
int wd_yaml_read_file(const char *path, size_t max, char **out, size_t *out_len,
		      struct wd_diags *diags);

/* A parser of a whole file's text, such as wd_config_parse_string() and
 * wd_policy_parse_string() (@out is its result, as the parser types it). */
typedef int wd_yaml_parse_fn(const char *name, const char *text, size_t len, void *out,
			     struct wd_diags *diags);
/* Reads all of @fd (at most @max bytes) and hands the text to @parse under @name. Returns
 * @parse's result, or the -errno of reading (reported in @diags under @name). */
int wd_yaml_parse_fd(int fd, const char *name, size_t max, wd_yaml_parse_fn *parse, void *out,
		     struct wd_diags *diags);
/* The same for the file at @path, named @path. */
int wd_yaml_parse_file(const char *path, size_t max, wd_yaml_parse_fn *parse, void *out,
		       struct wd_diags *diags);

#endif
