// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Walking libyaml's document tree with every error reported at its line and column: the
 * common ground of the policy and config parsers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/yamlx.h"

void wd_yaml_err(struct wd_yaml *ps, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[WD_DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->errors++;
	wd_diags_add(ps->diags, ps->file, n ? (int)n->start_mark.line + 1 : 0,
		     n ? (int)n->start_mark.column + 1 : 0, "%s", msg);
}

yaml_node_t *wd_yaml_node(struct wd_yaml *ps, yaml_node_item_t i)
{
	return yaml_document_get_node(ps->doc, i);
}

const char *wd_yaml_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a string";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

bool wd_yaml_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* The scalar's text, or NULL (error reported) when @n is not a string or holds a NUL byte. */
const char *wd_yaml_scalar(struct wd_yaml *ps, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		wd_yaml_err(ps, n, "%s must be a string, not %s", what, wd_yaml_type_name(n));
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		wd_yaml_err(ps, n, "%s contains a NUL character", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* A string that must not be empty. */
const char *wd_yaml_nonempty(struct wd_yaml *ps, const yaml_node_t *n, const char *what)
{
	const char *s;

	if (wd_yaml_is_null(n)) {
		wd_yaml_err(ps, n, "%s must not be empty", what);
		return NULL;
	}
	s = wd_yaml_scalar(ps, n, what);
	if (s && !*s) {
		wd_yaml_err(ps, n, "%s must not be empty", what);
		return NULL;
	}
	return s;
}

size_t wd_yaml_seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* Whether @n is a list (a null value counts as an empty one when @null_ok); reports otherwise. */
bool wd_yaml_is_list(struct wd_yaml *ps, const yaml_node_t *n, const char *what, bool null_ok)
{
	if (n->type == YAML_SEQUENCE_NODE || (null_ok && wd_yaml_is_null(n)))
		return true;
	if (wd_yaml_is_null(n))
		wd_yaml_err(ps, n, "%s must not be empty", what);
	else if (n->type == YAML_SCALAR_NODE)
		wd_yaml_err(
			ps, n,
			"%s must be a list, not a string (write [%s] or one \"- item\" per line)",
			what, (const char *)n->data.scalar.value);
	else
		wd_yaml_err(ps, n, "%s must be a list, not %s", what, wd_yaml_type_name(n));
	return false;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* "a, b or c" */
static void join_names(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
					i == 0	     ? ""
					: i == n - 1 ? " or "
						     : ", ",
					names[i]);
}

/* Looks the keys of mapping @map up in @names: vals[i] (and keys[i]) is the value of names[i],
 * or NULL. Unknown and duplicate keys are reported. Returns false, reporting it, when @map is
 * not a mapping. */
bool wd_yaml_map_fields(struct wd_yaml *ps, const yaml_node_t *map, const char *where,
			const char *const *names, size_t n, yaml_node_t **vals, yaml_node_t **keys)
{
	yaml_node_pair_t *pair;
	char expected[256];
	size_t i;

	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		keys[i] = NULL;
	}
	if (map->type != YAML_MAPPING_NODE) {
		join_names(expected, sizeof(expected), names, n);
		wd_yaml_err(ps, map, "%s must be a mapping with %s, not %s", where, expected,
			    wd_yaml_type_name(map));
		return false;
	}
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = wd_yaml_node(ps, pair->key), *v = wd_yaml_node(ps, pair->value);
		const char *ks, *best = NULL;
		size_t best_d = SIZE_MAX;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			wd_yaml_err(ps, k, "keys in %s must be strings, not %s", where,
				    wd_yaml_type_name(k));
			continue;
		}
		ks = (const char *)k->data.scalar.value;
		for (i = 0; i < n; i++)
			if (strcmp(ks, names[i]) == 0)
				break;
		if (i < n && strlen(ks) == k->data.scalar.length) {
			if (keys[i]) {
				wd_yaml_err(ps, k, "duplicate key \"%s\" in %s (first at line %d)",
					    ks, where, (int)keys[i]->start_mark.line + 1);
				continue;
			}
			keys[i] = k;
			vals[i] = v;
			continue;
		}
		join_names(expected, sizeof(expected), names, n);
		for (i = 0; i < n; i++) {
			size_t d = edit_distance(ks, names[i]);

			if (d < best_d) {
				best_d = d;
				best = names[i];
			}
		}
		if (best && best_d <= 2 && best_d < strlen(ks))
			wd_yaml_err(ps, k,
				    "unknown key \"%s\" in %s; expected %s (did you mean \"%s\"?)",
				    ks, where, expected, best);
		else
			wd_yaml_err(ps, k, "unknown key \"%s\" in %s; expected %s", ks, where,
				    expected);
	}
	return true;
}

/* libyaml's own error, at its line and column. */
void wd_yaml_syntax_error(struct wd_yaml *ps, const yaml_parser_t *yp)
{
	const yaml_mark_t *m = yp->problem ? &yp->problem_mark : &yp->context_mark;
	int line = (int)m->line + 1, col = (int)m->column + 1;

	ps->errors++;
	if (yp->error == YAML_MEMORY_ERROR) {
		ps->oom = true;
		return;
	}
	if (yp->context)
		wd_diags_add(ps->diags, ps->file, line, col,
			     "YAML syntax error: %s %s (from %d:%d)",
			     yp->problem ? yp->problem : "error", yp->context,
			     (int)yp->context_mark.line + 1, (int)yp->context_mark.column + 1);
	else
		wd_diags_add(ps->diags, ps->file, line, col, "YAML syntax error: %s",
			     yp->problem ? yp->problem : "unknown error");
}

int wd_yaml_load(struct wd_yaml *ps, yaml_parser_t *yp, yaml_document_t *doc, const char *buf,
		 size_t len, const char *what)
{
	yaml_document_t next;

	ps->first_diag = ps->diags->n;
	if (!yaml_parser_initialize(yp)) {
		ps->oom = true;
		return -ENOMEM;
	}
	yaml_parser_set_input_string(yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(yp, doc)) {
		wd_yaml_syntax_error(ps, yp);
		yaml_parser_delete(yp);
		return ps->oom ? -ENOMEM : -EINVAL;
	}
	ps->doc = doc;
	if (!yaml_document_get_root_node(doc))
		return 0;
	/* A second document would be silently ignored otherwise. */
	if (!yaml_parser_load(yp, &next)) {
		wd_yaml_syntax_error(ps, yp);
	} else {
		if (yaml_document_get_root_node(&next)) {
			ps->errors++;
			wd_diags_add(ps->diags, ps->file, (int)next.start_mark.line + 1,
				     (int)next.start_mark.column + 1,
				     "a second YAML document; a %s file holds one", what);
		}
		yaml_document_delete(&next);
	}
	return 0;
}

int wd_yaml_done(struct wd_yaml *ps, yaml_parser_t *yp, yaml_document_t *doc)
{
	yaml_document_delete(doc);
	yaml_parser_delete(yp);
	wd_diags_sort(ps->diags, ps->first_diag);
	return ps->oom ? -ENOMEM : ps->errors ? -EINVAL : 0;
}

int wd_yaml_read_fd(int fd, const char *name, size_t max, char **out, size_t *out_len,
		    struct wd_diags *diags)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	struct stat st;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		wd_diags_add(diags, name, 0, 0, "is a directory");
		return -EISDIR;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				wd_diags_add(diags, name, 0, 0, "larger than %zu MiB", max >> 20);
				free(buf);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			wd_diags_add(diags, name, 0, 0, "cannot read: %s", strerror(-ret));
			free(buf);
			return ret;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

int wd_yaml_read_file(const char *path, size_t max, char **out, size_t *out_len,
		      struct wd_diags *diags)
{
	int fd, ret;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		wd_diags_add(diags, path, 0, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	ret = wd_yaml_read_fd(fd, path, max, out, out_len, diags);
	close(fd);
	return ret;
}

/* @parse on what a wd_yaml_read_*() that returned @ret read into @buf, which it frees. */
static int parse_read(int ret, const char *name, char *buf, size_t len, wd_yaml_parse_fn *parse,
		      void *out, struct wd_diags *diags)
{
	if (!ret)
		ret = parse(name, buf, len, out, diags);
	free(buf);
	return ret;
}

int wd_yaml_parse_fd(int fd, const char *name, size_t max, wd_yaml_parse_fn *parse, void *out,
		     struct wd_diags *diags)
{
	size_t len;
	char *buf;
	int ret = wd_yaml_read_fd(fd, name, max, &buf, &len, diags);

	return parse_read(ret, name, buf, len, parse, out, diags);
}

int wd_yaml_parse_file(const char *path, size_t max, wd_yaml_parse_fn *parse, void *out,
		       struct wd_diags *diags)
{
	size_t len;
	char *buf;
	int ret = wd_yaml_read_file(path, max, &buf, &len, diags);

	return parse_read(ret, path, buf, len, parse, out, diags);
}
