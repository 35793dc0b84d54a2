// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Status messages of the pipeline and its sinks: handed to the log function of the pipeline's
 * owner, which logs them with its own prefix; without one, printed to stderr as before. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "export/sink.h"

void wd_sink_log_init(struct wd_sink_log *l, const struct wd_sink_cfg *c)
{
	l->fn = c->log;
	l->arg = c->log_arg;
	snprintf(l->sink, sizeof(l->sink), "%s", c->name ? c->name : "?");
}

void wd_sink_logf(const struct wd_sink_log *l, const char *legacy, const char *fmt, ...)
{
	char msg[PATH_MAX + 256]; /* a jsonl sink names its file */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->fn)
		l->fn(l->arg, l->sink, msg);
	else if (legacy)
		fprintf(stderr, "warden: %s%s\n", legacy, msg);
	else
		fprintf(stderr, "warden: sink %s: %s\n", l->sink, msg);
}
