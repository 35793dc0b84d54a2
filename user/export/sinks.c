// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sink registry: one row per kind of sink with everything the rest of warden needs to know
 * of it (its name, the config keys it takes, whether it writes files, its constructor). The
 * config parser, `warden config check` and the pipeline read it; tests/unit/test_export_sinks.c
 * fails when a kind has no row or a row is incomplete. */
#include <stdio.h>
#include <string.h>

#include "export/sink.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *const wd_sink_keys[WD_SK_NR] = {
	[WD_SK_NAME] = "name",	     [WD_SK_TYPE] = "type",	  [WD_SK_QUEUE] = "queue",
	[WD_SK_DIR] = "dir",	     [WD_SK_PATH] = "path",	  [WD_SK_ROTATE] = "rotate",
	[WD_SK_RETAIN] = "retain",   [WD_SK_GZIP] = "gzip_level", [WD_SK_FORMAT] = "format",
	[WD_SK_ADDRESS] = "address", [WD_SK_ACK] = "ack",	  [WD_SK_RECONNECT] = "reconnect",
	[WD_SK_APP] = "app_name",    [WD_SK_HOST] = "hostname",	  [WD_SK_FACILITY] = "facility",
};

static const char *file_of_file(const struct wd_sink_cfg *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.pb", c->dir, c->name);
	return buf;
}

static const char *file_of_jsonl(const struct wd_sink_cfg *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s", c->path);
	return buf;
}

const struct wd_sink_type wd_sink_types[] = {
	{
		.name = "file",
		.kind = WD_SINK_FILE,
		.keys = WD_SK(DIR) | WD_SK(ROTATE) | WD_SK(RETAIN) | WD_SK(GZIP),
		.required = WD_SK(DIR),
		.file = file_of_file,
		.backend = wd_sink_file_backend,
	},
	{
		.name = "stream",
		.kind = WD_SINK_STREAM,
		.keys = WD_SK(ADDRESS) | WD_SK(ACK) | WD_SK(RECONNECT),
		.required = WD_SK(ADDRESS),
		.backend = wd_sink_stream_backend,
	},
	{
		.name = "syslog",
		.kind = WD_SINK_SYSLOG,
		.keys = WD_SK(ADDRESS) | WD_SK(RECONNECT) | WD_SK(APP) | WD_SK(HOST) |
			WD_SK(FACILITY),
		.required = WD_SK(ADDRESS),
		.tcp_only = true,
		.backend = wd_sink_syslog_backend,
	},
	{
		.name = "jsonl",
		.kind = WD_SINK_JSONL,
		.keys = WD_SK(PATH) | WD_SK(ROTATE) | WD_SK(RETAIN) | WD_SK(GZIP) | WD_SK(FORMAT),
		.required = WD_SK(PATH),
		.file = file_of_jsonl,
		.backend = wd_sink_jsonl_backend,
	},
};
const size_t wd_sink_types_n = ARRAY_SIZE(wd_sink_types);

const struct wd_sink_type *wd_sink_type_of(enum wd_sink_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(wd_sink_types); i++)
		if (wd_sink_types[i].kind == kind)
			return &wd_sink_types[i];
	return NULL;
}

const struct wd_sink_type *wd_sink_type_named(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(wd_sink_types); i++)
		if (!strcmp(wd_sink_types[i].name, name))
			return &wd_sink_types[i];
	return NULL;
}

const char *wd_sink_file(const struct wd_sink_cfg *c, char *buf, size_t size)
{
	const struct wd_sink_type *t = wd_sink_type_of(c->kind);

	return t && t->file ? t->file(c, buf, size) : NULL;
}
