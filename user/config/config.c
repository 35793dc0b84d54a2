// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing warden's config file: the same walk over libyaml's tree as policies (user/lib/yamlx.c),
 * every error with its line and column, nothing returned from a file with any error. The sinks
 * are sinks.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cgroup.h"
#include "config/internal.h"
#include "warden/abi.h"

#define CONFIG_FILE_MAX (1u << 20)

static char *abs_path(struct cparser *ps, yaml_node_t *n, const char *what)
{
	const char *s = wd_yaml_nonempty(&ps->y, n, what);

	if (s && s[0] != '/') {
		wd_yaml_err(&ps->y, n, "%s must be an absolute path, not \"%s\"", what, s);
		return NULL;
	}
	return s ? dup_or_oom(ps, s) : NULL;
}

static void parse_adopt(struct cparser *ps, yaml_node_t *v, struct wd_daemon_cfg *d)
{
	static const char *const names[] = {"cgroup", "identity", "policy"};
	yaml_node_item_t *it;
	size_t n;

	if (!wd_yaml_is_list(&ps->y, v, "daemon.adopt", true) || v->type != YAML_SEQUENCE_NODE)
		return;
	n = wd_yaml_seq_len(v);
	d->adopt = calloc(n ? n : 1, sizeof(*d->adopt));
	if (!d->adopt) {
		ps->y.oom = true;
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *rn = wd_yaml_node(&ps->y, *it), *vals[3], *keys[3];
		struct wd_adopt_rule *r = &d->adopt[d->n_adopt++];
		const char *s;

		if (!rn || !wd_yaml_map_fields(&ps->y, rn, "an adopt rule", names, 3, vals, keys))
			continue;
		r->line = (int)rn->start_mark.line + 1;
		r->col = (int)rn->start_mark.column + 1;
		if (!vals[0] || !vals[1]) {
			wd_yaml_err(&ps->y, rn, "an adopt rule needs %s",
				    !vals[0] ? "cgroup: a glob on cgroup paths"
					     : "identity: a template such as \"k8s:{base}\"");
			continue;
		}
		r->cgroup = abs_path(ps, vals[0], "adopt.cgroup");
		/* The kernel matches it too, when a cgroup is made (include/warden/glob.h). */
		if (r->cgroup && r->cgroup[strcspn(r->cgroup, "[]\\")]) {
			wd_yaml_err(&ps->y, vals[0],
				    "adopt.cgroup \"%s\" may use * and ? only, not brackets or "
				    "backslashes (the kernel matches it when a cgroup is made)",
				    r->cgroup);
		} else if (r->cgroup && (strstr(r->cgroup, "//") || strstr(r->cgroup, "/.") ||
					 r->cgroup[strlen(r->cgroup) - 1] == '/')) {
			/* glob(3) would find "." and ".." entries, or the same cgroup under
			 * another spelling, where the kernel sees one path. */
			wd_yaml_err(&ps->y, vals[0],
				    "adopt.cgroup \"%s\" must name each level once: no empty "
				    "component, none starting with '.', no trailing '/'",
				    r->cgroup);
		} else if (r->cgroup && strlen(r->cgroup) >= WD_ADOPT_PAT_MAX) {
			wd_yaml_err(&ps->y, vals[0], "adopt.cgroup is longer than %d bytes",
				    WD_ADOPT_PAT_MAX - 1);
		} else if (r->cgroup) {
			unsigned level = wd_cgroup_level("/", r->cgroup);

			if (level >= WD_LEVELS_MAX)
				wd_yaml_err(
					&ps->y, vals[0],
					"adopt.cgroup \"%s\" is %u levels deep; sandboxes can be "
					"at most %d deep",
					r->cgroup, level, WD_LEVELS_MAX - 1);
		}
		s = wd_yaml_nonempty(&ps->y, vals[1], "adopt.identity");
		if (s && !strchr(s, ':'))
			wd_yaml_err(
				&ps->y, vals[1],
				"adopt.identity \"%s\" must make kind:name, e.g. \"k8s:{base}\"",
				s);
		else if (s)
			r->identity = dup_or_oom(ps, s);
		if (vals[2])
			r->policy = abs_path(ps, vals[2], "adopt.policy");
	}
}

static void parse_daemon(struct cparser *ps, yaml_node_t *v)
{
	enum { STATE, RUN, BPF, ADMIN, RO, METRICS, POLICIES, ADOPT, DEGRADED, N };
	static const char *const names[N] = {
		"state_dir", "run_dir",	 "bpf_dir", "admin_group", "readonly_group",
		"metrics",   "policies", "adopt",   "degraded",
	};
	struct wd_daemon_cfg *d = &ps->c->daemon;
	yaml_node_t *vals[N], *keys[N];
	const char *s;

	if (!wd_yaml_map_fields(&ps->y, v, "daemon", names, N, vals, keys))
		return;
	if (vals[STATE])
		free(d->state_dir), d->state_dir = abs_path(ps, vals[STATE], "daemon.state_dir");
	if (vals[RUN])
		free(d->run_dir), d->run_dir = abs_path(ps, vals[RUN], "daemon.run_dir");
	if (vals[BPF])
		free(d->bpf_dir), d->bpf_dir = abs_path(ps, vals[BPF], "daemon.bpf_dir");
	if (vals[ADMIN] && (s = wd_yaml_nonempty(&ps->y, vals[ADMIN], "daemon.admin_group")))
		d->admin_group = dup_or_oom(ps, s);
	if (vals[RO] && (s = wd_yaml_nonempty(&ps->y, vals[RO], "daemon.readonly_group")))
		d->readonly_group = dup_or_oom(ps, s);
	if (vals[METRICS] && (s = wd_yaml_nonempty(&ps->y, vals[METRICS], "daemon.metrics"))) {
		free(d->metrics);
		d->metrics = strcmp(s, "off") ? dup_or_oom(ps, s) : NULL;
	}
	if (vals[POLICIES] && wd_yaml_is_list(&ps->y, vals[POLICIES], "daemon.policies", true) &&
	    vals[POLICIES]->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		d->policies = calloc(wd_yaml_seq_len(vals[POLICIES]) + 1, sizeof(char *));
		if (!d->policies) {
			ps->y.oom = true;
			return;
		}
		for (it = vals[POLICIES]->data.sequence.items.start;
		     it < vals[POLICIES]->data.sequence.items.top; it++) {
			yaml_node_t *pn = wd_yaml_node(&ps->y, *it);
			char *path = pn ? abs_path(ps, pn, "daemon.policies") : NULL;

			if (path)
				d->policies[d->n_policies++] = path;
		}
	}
	if (vals[ADOPT])
		parse_adopt(ps, vals[ADOPT], d);
	if (vals[DEGRADED] && (s = wd_yaml_nonempty(&ps->y, vals[DEGRADED], "daemon.degraded"))) {
		if (!strcmp(s, "true"))
			d->degraded = true;
		else if (strcmp(s, "false"))
			wd_yaml_err(&ps->y, vals[DEGRADED],
				    "daemon.degraded must be true or false");
	}
}

static void daemon_defaults(struct cparser *ps)
{
	struct wd_daemon_cfg *d = &ps->c->daemon;

	d->state_dir = dup_or_oom(ps, "/var/lib/warden");
	d->run_dir = dup_or_oom(ps, "/run/warden");
	d->bpf_dir = dup_or_oom(ps, "/sys/fs/bpf/warden");
	d->metrics = dup_or_oom(ps, "127.0.0.1:9464");
}

static void parse_root(struct cparser *ps, yaml_node_t *root)
{
	static const char *const names[] = {"version", "node", "events", "daemon"};
	yaml_node_t *vals[4], *keys[4];
	const char *s;

	daemon_defaults(ps);
	if (!wd_yaml_map_fields(&ps->y, root, "the config", names, 4, vals, keys))
		return;
	if (!vals[0])
		wd_yaml_err(&ps->y, root, "missing required key \"version\" (write version: 1)");
	else if ((s = wd_yaml_nonempty(&ps->y, vals[0], "version")) && strcmp(s, "1"))
		wd_yaml_err(&ps->y, vals[0],
			    "unsupported config version \"%s\"; this warden reads 1", s);
	if (vals[1] && (s = wd_yaml_nonempty(&ps->y, vals[1], "node")))
		ps->c->node = dup_or_oom(ps, s);
	if (vals[2])
		wd_config_parse_events(ps, vals[2]);
	if (vals[3])
		parse_daemon(ps, vals[3]);
}

struct wd_config *wd_config_empty(void)
{
	struct cparser ps = {0};

	ps.c = calloc(1, sizeof(*ps.c));
	if (!ps.c)
		return NULL;
	ps.c->source = dup_or_oom(&ps, "<defaults>");
	daemon_defaults(&ps);
	if (ps.y.oom) {
		wd_config_free(ps.c);
		return NULL;
	}
	return ps.c;
}

void wd_config_free(struct wd_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_sinks; i++) {
		struct wd_sink_cfg *s = &c->sinks[i];

		free(s->name);
		free(s->dir);
		free(s->path);
		free(s->address);
		free(s->app_name);
		free(s->hostname);
	}
	free(c->sinks);
	free(c->daemon.state_dir);
	free(c->daemon.run_dir);
	free(c->daemon.bpf_dir);
	free(c->daemon.admin_group);
	free(c->daemon.readonly_group);
	free(c->daemon.metrics);
	for (i = 0; i < c->daemon.n_policies; i++)
		free(c->daemon.policies[i]);
	free(c->daemon.policies);
	for (i = 0; i < c->daemon.n_adopt; i++) {
		free(c->daemon.adopt[i].cgroup);
		free(c->daemon.adopt[i].identity);
		free(c->daemon.adopt[i].policy);
	}
	free(c->daemon.adopt);
	free(c->node);
	free(c->source);
	free(c);
}

int wd_config_parse_string(const char *name, const char *yaml, size_t len, struct wd_config **out,
			   struct wd_diags *diags)
{
	struct cparser ps = {.y = {.file = name ? name : "<config>", .diags = diags}};
	yaml_document_t doc;
	yaml_parser_t yp;
	yaml_node_t *root;
	int ret;

	*out = NULL;
	ret = wd_yaml_load(&ps.y, &yp, &doc, yaml, len, "config");
	if (ret)
		return ret;
	ps.c = calloc(1, sizeof(*ps.c));
	if (!ps.c || !(ps.c->source = strdup(ps.y.file))) {
		ps.y.oom = true;
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		wd_diags_add(diags, ps.y.file, 0, 0,
			     "the config is empty; write at least version: 1"),
			ps.y.errors++;
	else
		parse_root(&ps, root);
out:
	ret = wd_yaml_done(&ps.y, &yp, &doc);
	if (ret)
		wd_config_free(ps.c);
	else
		*out = ps.c;
	return ret;
}

/* wd_config_parse_string() as a wd_yaml_parse_fn. */
static int parse_text(const char *name, const char *yaml, size_t len, void *out,
		      struct wd_diags *diags)
{
	return wd_config_parse_string(name, yaml, len, out, diags);
}

int wd_config_parse_file(const char *path, struct wd_config **out, struct wd_diags *diags)
{
	*out = NULL;
	return wd_yaml_parse_file(path, CONFIG_FILE_MAX, parse_text, out, diags);
}
