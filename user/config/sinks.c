// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sinks of warden's config file (events.sinks, docs/config.md): each one's keys as its type
 * takes them (user/export/sinks.c says which), sizes, durations and numbers, every error with
 * its line and column. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "lib/duration.h"
#include "lib/sockaddr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SINKS_MAX     32
#define NS_PER_MS     1000000ull

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

void wd_config_parse_events(struct cparser *ps, yaml_node_t *v)
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
