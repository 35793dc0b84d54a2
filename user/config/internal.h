/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The config parser's insides, shared by config.c (the file, the daemon's settings) and sinks.c
 * (events.sinks). */
#ifndef WD_CONFIG_INTERNAL_H
#define WD_CONFIG_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "lib/yamlx.h"

struct cparser {
	struct wd_yaml y;
	struct wd_config *c;
};

static inline char *dup_or_oom(struct cparser *ps, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		ps->y.oom = true;
	return d;
}

/* sinks.c: events: {sinks: [...]} into ps->c->sinks. */
void wd_config_parse_events(struct cparser *ps, yaml_node_t *v);

#endif
