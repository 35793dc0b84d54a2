// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing warden's config file: the same walk over libyaml's tree as policies (user/lib/yamlx.c),
 * every error with its line and column, nothing returned from a file with any error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cgroup.h"
#include "config/config.h"
#include "warden/abi.h"
#include "lib/duration.h"
#include "lib/sockaddr.h"
#include "lib/yamlx.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define CONFIG_FILE_MAX (1u << 20)
#define SINKS_MAX	32
#define NS_PER_MS	1000000ull

struct cparser {
	struct wd_yaml y;
	struct wd_config *c;
};

static char *dup_or_oom(struct cparser *ps, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		ps->y.oom = true;
	return d;
}

int wd_size_parse(const char *s, uint64_t *bytes)
{
	static const struct {
		const char *suffix;
		uint64_t mul;
	} units[] = {
		{"", 1},
		{"B", 1},
		{"KiB", 1ull << 10},
		{"MiB", 1ull << 20},
		{"GiB", 1ull << 30},
		{"TiB", 1ull << 40},
		{"K", 1ull << 10},
		{"M", 1ull << 20},
		{"G", 1ull << 30},
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	while (*end == ' ')
		end++;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mul)
				return -EINVAL;
			*bytes = v * units[i].mul;
			return 0;
		}
	}
	return -EINVAL;
}

static bool parse_size(struct cparser *ps, yaml_node_t *n, const char *what, uint64_t *out)
{
	const char *s = wd_yaml_nonempty(&ps->y, n, what);

	if (!s)
		return false;
	if (wd_size_parse(s, out) || !*out) {
		wd_yaml_err(
			&ps->y, n,
			"%s: \"%s\" is not a size; write bytes or a number with KiB, MiB or GiB, "
			"e.g. 64MiB",
			what, s);
		return false;
	}
	return true;
}

static bool parse_duration(struct cparser *ps, yaml_node_t *n, const char *what, uint64_t *ns)
{
	const char *s = wd_yaml_nonempty(&ps->y, n, what);
	uint64_t ms;

	if (!s)
		return false;
	/* Milliseconds too, for backoffs. */
	if (strlen(s) > 2 && !strcmp(s + strlen(s) - 2, "ms")) {
		char *end;

		ms = strtoull(s, &end, 10);
		if (end == s + strlen(s) - 2 && ms > 0) {
			*ns = ms * NS_PER_MS;
			return true;
		}
	} else if (wd_duration_parse(s, &ms) == 0) {
		*ns = ms * NS_PER_MS;
		return true;
	}
	wd_yaml_err(&ps->y, n, "%s: \"%s\" is not a duration; write e.g. 500ms, 30s, 15m, 1h or 7d",
		    what, s);
	return false;
}

static bool parse_uint(struct cparser *ps, yaml_node_t *n, const char *what, unsigned lo,
		       unsigned hi, unsigned *out)
{
	const char *s = wd_yaml_nonempty(&ps->y, n, what);
	unsigned long v;
	char *end;

	if (!s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || *s < '0' || *s > '9' || v < lo || v > hi) {
		wd_yaml_err(&ps->y, n, "%s must be a whole number from %u to %u, not \"%s\"", what,
			    lo, hi, s);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 64 || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* rotate: {size, age} and retain: {size, age, files} */
static void parse_rotate(struct cparser *ps, yaml_node_t *v, struct wd_sink_cfg *s)
{
	static const char *const names[] = {"size", "age"};
	yaml_node_t *vals[2], *keys[2];

	if (!wd_yaml_map_fields(&ps->y, v, "rotate", names, 2, vals, keys))
		return;
	if (vals[0])
		parse_size(ps, vals[0], "rotate.size", &s->max_bytes);
	if (vals[1])
		parse_duration(ps, vals[1], "rotate.age", &s->max_age_ns);
}

static void parse_retain(struct cparser *ps, yaml_node_t *v, struct wd_sink_cfg *s)
{
	static const char *const names[] = {"size", "age", "files"};
	yaml_node_t *vals[3], *keys[3];

	if (!wd_yaml_map_fields(&ps->y, v, "retain", names, 3, vals, keys))
		return;
	if (vals[0])
		parse_size(ps, vals[0], "retain.size", &s->keep_bytes);
	if (vals[1])
		parse_duration(ps, vals[1], "retain.age", &s->keep_age_ns);
	if (vals[2])
		parse_uint(ps, vals[2], "retain.files", 1, 1000000, &s->keep_files);
}

static void parse_reconnect(struct cparser *ps, yaml_node_t *v, struct wd_sink_cfg *s)
{
	static const char *const names[] = {"min", "max"};
	yaml_node_t *vals[2], *keys[2];

	if (!wd_yaml_map_fields(&ps->y, v, "reconnect", names, 2, vals, keys))
		return;
	if (vals[0])
		parse_duration(ps, vals[0], "reconnect.min", &s->reconnect_min_ns);
	if (vals[1])
		parse_duration(ps, vals[1], "reconnect.max", &s->reconnect_max_ns);
	if (s->reconnect_min_ns && s->reconnect_max_ns && s->reconnect_min_ns > s->reconnect_max_ns)
		wd_yaml_err(&ps->y, v, "reconnect.min is longer than reconnect.max");
}

/* The words that finish "a file sink needs dir: ..." when a sink's type requires a key. */
static const char *const key_needs[WD_SK_NR] = {
	[WD_SK_DIR] = "the directory it writes to",
	[WD_SK_PATH] = "the file it writes",
	[WD_SK_ADDRESS] = "unix:/path or tcp:HOST:PORT",
};

/* "file, stream, syslog or jsonl": the sink types, for a message. */
static void type_names(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < wd_sink_types_n && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      !i			 ? ""
				      : i + 1 == wd_sink_types_n ? " or "
								 : ", ",
				      wd_sink_types[i].name);
}

static void parse_sink(struct cparser *ps, yaml_node_t *n, struct wd_sink_cfg *s)
{
	yaml_node_t *vals[WD_SK_NR], *keys[WD_SK_NR];
	const struct wd_sink_type *t;
	struct wd_sockaddr_cfg sa;
	const char *str;
	char why[256];
	unsigned k, u;

	s->line = (int)n->start_mark.line + 1;
	s->col = (int)n->start_mark.column + 1;
	if (!wd_yaml_map_fields(&ps->y, n, "a sink", wd_sink_keys, WD_SK_NR, vals, keys))
		return;
	if (!vals[WD_SK_NAME] || !vals[WD_SK_TYPE]) {
		wd_yaml_err(&ps->y, n, "a sink needs %s", !vals[WD_SK_NAME] ? "a name" : "a type");
		return;
	}
	str = wd_yaml_nonempty(&ps->y, vals[WD_SK_NAME], "name");
	if (str && !valid_name(str))
		wd_yaml_err(&ps->y, vals[WD_SK_NAME],
			    "sink name \"%s\": use 1 to 64 of A-Z a-z 0-9 _ . - (not starting "
			    "with '.')",
			    str);
	else if (str)
		s->name = dup_or_oom(ps, str);
	str = wd_yaml_nonempty(&ps->y, vals[WD_SK_TYPE], "type");
	if (!str)
		return;
	t = wd_sink_type_named(str);
	if (!t) {
		type_names(why, sizeof(why));
		wd_yaml_err(&ps->y, vals[WD_SK_TYPE], "unknown sink type \"%s\"; expected %s", str,
			    why);
		return;
	}
	s->kind = t->kind;
	for (k = 0; k < WD_SK_NR; k++)
		if (keys[k] && !((WD_SK_COMMON | t->keys) & 1u << k))
			wd_yaml_err(&ps->y, keys[k], "a %s sink has no \"%s\"", str,
				    wd_sink_keys[k]);

	if (vals[WD_SK_QUEUE])
		parse_size(ps, vals[WD_SK_QUEUE], "queue", &s->queue_bytes);
	for (k = 0; k < WD_SK_NR; k++)
		if (t->required & 1u << k && !vals[k])
			wd_yaml_err(&ps->y, n, "a %s sink needs %s: %s", t->name, wd_sink_keys[k],
				    key_needs[k]);
	if (t->keys & WD_SK(DIR) && vals[WD_SK_DIR]) {
		if ((str = wd_yaml_nonempty(&ps->y, vals[WD_SK_DIR], "dir")) && str[0] != '/')
			wd_yaml_err(&ps->y, vals[WD_SK_DIR], "dir must be an absolute path");
		else if (str)
			s->dir = dup_or_oom(ps, str);
	}
	if (t->keys & WD_SK(PATH) && vals[WD_SK_PATH]) {
		if ((str = wd_yaml_nonempty(&ps->y, vals[WD_SK_PATH], "path")) && str[0] != '/')
			wd_yaml_err(&ps->y, vals[WD_SK_PATH], "path must be an absolute path");
		else if (str)
			s->path = dup_or_oom(ps, str);
	}
	if (t->keys & WD_SK(ADDRESS) && vals[WD_SK_ADDRESS]) {
		if ((str = wd_yaml_nonempty(&ps->y, vals[WD_SK_ADDRESS], "address")) &&
		    wd_sockaddr_parse(str, &sa, why, sizeof(why)))
			wd_yaml_err(&ps->y, vals[WD_SK_ADDRESS], "%s", why);
		else if (str)
			s->address = dup_or_oom(ps, str);
		if (t->tcp_only && s->address && !strncmp(s->address, "unix:", 5))
			wd_yaml_err(&ps->y, vals[WD_SK_ADDRESS],
				    "a %s sink speaks TCP (RFC 6587): write tcp:HOST:PORT",
				    t->name);
	}
	if (vals[WD_SK_ROTATE])
		parse_rotate(ps, vals[WD_SK_ROTATE], s);
	if (vals[WD_SK_RETAIN])
		parse_retain(ps, vals[WD_SK_RETAIN], s);
	if (vals[WD_SK_GZIP] && parse_uint(ps, vals[WD_SK_GZIP], "gzip_level", 1, 9, &u))
		s->gzip_level = (int)u;
	if (vals[WD_SK_FORMAT] && (str = wd_yaml_nonempty(&ps->y, vals[WD_SK_FORMAT], "format"))) {
		if (!strcmp(str, "warden"))
			s->json = WD_JSON_WARDEN;
		else if (!strcmp(str, "ocsf"))
			s->json = WD_JSON_OCSF;
		else
			wd_yaml_err(&ps->y, vals[WD_SK_FORMAT],
				    "format \"%s\": expected warden or ocsf", str);
	}
	if (vals[WD_SK_ACK] && (str = wd_yaml_nonempty(&ps->y, vals[WD_SK_ACK], "ack"))) {
		if (!strcmp(str, "true"))
			s->ack = true;
		else if (strcmp(str, "false"))
			wd_yaml_err(&ps->y, vals[WD_SK_ACK], "ack must be true or false");
	}
	if (vals[WD_SK_RECONNECT])
		parse_reconnect(ps, vals[WD_SK_RECONNECT], s);
	if (vals[WD_SK_APP] && (str = wd_yaml_nonempty(&ps->y, vals[WD_SK_APP], "app_name")))
		s->app_name = dup_or_oom(ps, str);
	if (vals[WD_SK_HOST] && (str = wd_yaml_nonempty(&ps->y, vals[WD_SK_HOST], "hostname")))
		s->hostname = dup_or_oom(ps, str);
	s->facility = 13;
	if (vals[WD_SK_FACILITY] && parse_uint(ps, vals[WD_SK_FACILITY], "facility", 0, 23, &u))
		s->facility = (int)u;
}

static void parse_events(struct cparser *ps, yaml_node_t *v)
{
	static const char *const names[] = {"sinks"};
	yaml_node_t *vals[1], *keys[1];
	yaml_node_item_t *it;
	size_t i, j, n;

	if (!wd_yaml_map_fields(&ps->y, v, "events", names, 1, vals, keys) || !vals[0])
		return;
	if (!wd_yaml_is_list(&ps->y, vals[0], "events.sinks", true) ||
	    vals[0]->type != YAML_SEQUENCE_NODE)
		return;
	n = wd_yaml_seq_len(vals[0]);
	if (n > SINKS_MAX) {
		wd_yaml_err(&ps->y, vals[0], "at most %d sinks", SINKS_MAX);
		return;
	}
	ps->c->sinks = calloc(n ? n : 1, sizeof(*ps->c->sinks));
	if (!ps->c->sinks) {
		ps->y.oom = true;
		return;
	}
	for (it = vals[0]->data.sequence.items.start, i = 0; it < vals[0]->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *sn = wd_yaml_node(&ps->y, *it);

		ps->c->n_sinks = i + 1;
		if (!sn)
			continue;
		parse_sink(ps, sn, &ps->c->sinks[i]);
		for (j = 0; j < i && ps->c->sinks[i].name; j++)
			if (ps->c->sinks[j].name &&
			    !strcmp(ps->c->sinks[j].name, ps->c->sinks[i].name))
				wd_yaml_err(&ps->y, sn,
					    "a second sink named \"%s\" (first at line %d)",
					    ps->c->sinks[i].name, ps->c->sinks[j].line);
		/* Two file sinks in one directory must not share a name: they would be one file. */
		for (j = 0; j < i; j++) {
			const struct wd_sink_cfg *a = &ps->c->sinks[j], *b = &ps->c->sinks[i];

			if (a->path && b->path && !strcmp(a->path, b->path))
				wd_yaml_err(&ps->y, sn, "path %s is already written by sink \"%s\"",
					    b->path, a->name ? a->name : "?");
		}
	}
}

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
		parse_events(ps, vals[2]);
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
