// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Self-protection: the deny rules every sandbox's policy gets for warden's private places, and
 * the refusal of a policy that may write the record (see guard.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "export/sink.h"
#include "policy/compile.h"
#include "policy/policy.h"
#include "sandbox/guard.h"

__attribute__((format(printf, 3, 4))) static int add(struct wd_guard *g, enum wd_guard_kind kind,
						     const char *fmt, ...)
{
	struct wd_guard_obj *v = realloc(g->v, (g->n + 1) * sizeof(*v));
	va_list ap;
	int n;

	if (!v)
		return -ENOMEM;
	g->v = v;
	v[g->n].kind = kind;
	va_start(ap, fmt);
	n = vasprintf(&v[g->n].path, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	g->n++;
	return 0;
}

/* Whether @path is @dir or below it. */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || !path[n]);
}

int wd_guard_init(struct wd_guard *g, const struct wd_config *cfg, const char *seq_file,
		  const char *events_file)
{
	const char *dirs[] = {cfg->daemon.state_dir, cfg->daemon.run_dir, cfg->daemon.bpf_dir};
	char buf[PATH_MAX];
	bool seq_inside = false;
	int err = 0;

	*g = (struct wd_guard){0};
	for (size_t i = 0; i < 3 && !err; i++) {
		if (!dirs[i])
			continue;
		err = add(g, WD_GUARD_DIR, "%s", dirs[i]);
		seq_inside |= seq_file && under(seq_file, dirs[i]);
	}
	if (!err && seq_file && !seq_inside)
		err = add(g, WD_GUARD_FILE, "%s", seq_file);
	/* The --events file first: `warden run` has always named it before the sinks. */
	if (!err && events_file)
		err = add(g, WD_GUARD_EVENTS, "%s", events_file);
	for (size_t i = 0; i < cfg->n_sinks && !err; i++)
		if (wd_sink_file(&cfg->sinks[i], buf, sizeof(buf)))
			err = add(g, WD_GUARD_SINK, "%s", buf);
	return err;
}

void wd_guard_free(struct wd_guard *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].path);
	free(g->v);
	*g = (struct wd_guard){0};
}

/* Every sandbox's policy also denies reading and writing the daemon's own state, its control
 * socket and counter, and its pins, whatever the policy's author wrote: deny wins. */
int wd_guard_protect(const struct wd_guard *g, struct wd_policy *p)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->v[i].kind == WD_GUARD_DIR || g->v[i].kind == WD_GUARD_FILE;
	if (!n)
		return 0;
	for (int op = WD_OP_READ; op <= WD_OP_WRITE; op++) {
		struct wd_path_list *l = &p->paths[op][WD_DENY];
		struct wd_path_rule *v = realloc(l->v, (l->n + n) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		for (size_t i = 0; i < g->n; i++) {
			const struct wd_guard_obj *o = &g->v[i];
			struct wd_path_rule *r = &l->v[l->n];

			if (o->kind != WD_GUARD_DIR && o->kind != WD_GUARD_FILE)
				continue;
			memset(r, 0, sizeof(*r));
			if (asprintf(&r->text, o->kind == WD_GUARD_DIR ? "%s/" : "%s", o->path) < 0)
				return -ENOMEM;
			r->kind = o->kind == WD_GUARD_DIR ? WD_PATH_PREFIX : WD_PATH_EXACT;
			l->n++;
			p->n_rules++;
		}
	}
	return 0;
}

/* Whether the compiled policy lets the sandbox write @path (exact entry and the longest prefix
 * entry, deny winning, as the kernel decides). */
bool wd_guard_may_write(const struct wd_compiled *c, const char *path, uint32_t *rule_id)
{
	char real[PATH_MAX];
	size_t best = 0;
	uint8_t v = WD_V_NONE;
	uint32_t exact_id = WD_RULE_DEFAULT, prefix_id = WD_RULE_DEFAULT;
	bool exact_allows;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (size_t i = 0; i < c->n_exact; i++)
		if (strcmp(c->exact[i].key.path, real) == 0) {
			v = c->exact[i].rule.verdict[WD_OP_WRITE];
			exact_id = c->exact[i].rule.rule_id[WD_OP_WRITE];
		}
	if (v == WD_V_DENY)
		return false;
	exact_allows = v == WD_V_ALLOW;
	for (size_t i = 0; i < c->n_prefix; i++) {
		const char *pre = c->prefix[i].key.path;
		size_t n = strlen(pre);

		if (n > best && strncmp(real, pre, n) == 0) {
			best = n;
			if (c->prefix[i].rule.verdict[WD_OP_WRITE] == WD_V_DENY)
				return false;
			if (c->prefix[i].rule.verdict[WD_OP_WRITE] == WD_V_ALLOW) {
				v = WD_V_ALLOW;
				prefix_id = c->prefix[i].rule.rule_id[WD_OP_WRITE];
			}
		}
	}
	/* What allows it: the file's own rule, else the longest prefix's. */
	if (v == WD_V_ALLOW && rule_id)
		*rule_id = exact_allows ? exact_id : prefix_id;
	return v == WD_V_ALLOW;
}

int wd_guard_check(const struct wd_guard *g, const struct wd_compiled *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct wd_guard_obj *o = &g->v[i];
		bool events = o->kind == WD_GUARD_EVENTS;
		uint32_t id = WD_RULE_DEFAULT;
		const char *text;

		if ((!events && o->kind != WD_GUARD_SINK) || !wd_guard_may_write(c, o->path, &id))
			continue;
		text = wd_compiled_rule_text(c, id);
		snprintf(err, errlen,
			 "the sandbox may write %s%s (rule %u: %s), so it could forge or erase its "
			 "own record; put %s where the policy does not allow writes",
			 events ? "the --events file " : "", o->path, id, text ? text : "?",
			 events ? "it" : "the sinks");
		return -EPERM;
	}
	return 0;
}
