/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The syslog sink's message format: one RFC 5424 message per event, the key fields in the
 * structured data element warden@32473 (32473 is the documentation PEN of RFC 5612).
 * user/export/sink_syslog_format.c makes them; user/export/sink_syslog.c sends them. */
#ifndef WD_SINK_SYSLOG_H
#define WD_SINK_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "warden/v1/event.pb-c.h"

#define WD_SYSLOG_SD_ID	       "warden@32473"
#define WD_SYSLOG_FACILITY     13 /* log audit */
#define WD_SYSLOG_APP_NAME     "warden"
#define WD_SYSLOG_HOSTNAME_MAX 255 /* RFC 5424 field limits */
#define WD_SYSLOG_APP_NAME_MAX 48
/* Messages are cut to this size when only the free text would have to go (rsyslog's default
 * maxMessageSize is 8 KiB); structured data is never cut short. */
#define WD_SYSLOG_MSG_TARGET 8192
/* The largest message made; a bigger one is refused (it cannot happen with the kernel's
 * string bounds). */
#define WD_SYSLOG_MSG_MAX (64 * 1024)

struct wd_syslog_opts {
	int facility;	      /* 0..23 */
	const char *hostname; /* 1..255 printable US-ASCII, no spaces ("-": unknown) */
	const char *app_name; /* 1..48 of the same */
};

/* PRI's severity for @ev: denied 4 (warning), audit-denied 5 (notice), allowed 6 (info);
 * Lifecycle EVENTS_LOST 3 (err), other Lifecycle 5 (notice). */
int wd_syslog_severity(const Warden__V1__Event *ev);

/* MSGID: the event's kind as `warden events --kind` names it (exec, file, connect, mmap, socket,
 * confine, lifecycle), "-" for an action this build does not know. */
const char *wd_syslog_msgid(const Warden__V1__Event *ev);

/* Writes the message for @ev into @buf (no framing, no NUL). Returns its length, or -ENOBUFS
 * if @size is too small (WD_SYSLOG_MSG_MAX always suffices). */
int wd_syslog_format(const struct wd_syslog_opts *o, const Warden__V1__Event *ev, char *buf,
		     size_t size);

/* Whether @s may be a HOSTNAME or APP-NAME of at most @max bytes (1..@max of US-ASCII 33..126). */
bool wd_syslog_field_valid(const char *s, size_t max);

#endif
