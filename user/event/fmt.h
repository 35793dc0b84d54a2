/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Human-readable lines for kernel events, as `warden run` prints them. */
#ifndef WD_EVENT_FMT_H
#define WD_EVENT_FMT_H

#include <stdio.h>

#include "warden/abi.h"

/* "allow", "DENY" or "AUDIT-DENY" (would have been denied). */
const char *wd_decision_name(unsigned decision);
/* exec, mmap-exec, open-read, open-write, connect, send, socket, confine, lost. */
const char *wd_event_kind(const struct wd_event *e);
/* "rename-to", "unlink", ... for enum wd_change; NULL for an open or an unknown value. */
const char *wd_change_name(unsigned change);

/* One line, no newline at the end:
 *   DENY exec /tmp/payload pid=12 ppid=10 uid=0 comm=sh exe=/usr/bin/bash rule=7 (why)
 * @who prefixes it (identity and sandbox), @why is the rule's description (NULL: none). */
void wd_event_format(FILE *f, const struct wd_event *e, const char *who, const char *why);

#endif
