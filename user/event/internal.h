/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of user/event/ that make events share: the conversion (convert.c) in parts, for
 * the packer (pack.c) to pack once, and the event's strings (str.c). Not for other folders. */
#ifndef WD_EVENT_INTERNAL_H
#define WD_EVENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

#define WD_RULE_TEXT_MAX 1024 /* bytes of a rule's text carried in an event */

/* str.c. A bounded kernel string into @out's arena as valid UTF-8; an arena that overflows
 * loses the string (""), never the event. */
char *wd_ev_kstr(struct wd_pb_event *out, const char *s, size_t max);
/* A string of the caller's (the context), used as it is when it is valid UTF-8 already;
 * -ENOBUFS in *@err when it needed the arena and the arena is full. */
char *wd_ev_ctx_str(struct wd_pb_event *out, const char *s, int *err);

/* convert.c */
bool wd_ev_has_sandbox(const struct wd_event_ctx *ctx);
/* What every event of @ctx says alike: identity, sandbox, policy name. */
void wd_ev_init_context(struct wd_pb_event *out, const struct wd_event_ctx *ctx, int *err);
/* Whether a process that started at @start_ticks started after the event at @boot_ns: then it
 * is not the one that acted (its pid was reused). */
bool wd_ev_started_after(uint64_t start_ticks, uint64_t boot_ns);

/* What wd_ev_fill_process() learnt from its lookups, for the packer to tell whether the same
 * record would give the same process again. */
struct proc_seen {
	bool whole;	       /* every process looked up answered, none reused since */
	uint64_t newest_start; /* the latest start_ticks among them */
};

/* The Process of @e, with what the context's lookups add (gid, exec_id, ancestry); @seen may be
 * NULL. */
void wd_ev_fill_process(struct wd_pb_event *out, const struct wd_event *e,
			const struct wd_event_ctx *ctx, struct proc_seen *seen);
/* The text of @e's rule: the context's, or what the implicit rule refused. */
const char *wd_ev_rule_text(const struct wd_event *e, const struct wd_event_ctx *ctx);
/* Converts @e; with @parts, the identity, sandbox, policy name, rule and process are left out
 * (wd_event_pack() adds them, packed once). Returns as wd_event_to_pb(). */
int wd_ev_convert(const struct wd_event *e, const struct wd_event_ctx *ctx, struct wd_pb_event *out,
		  bool parts);

#endif
