/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* warden.v1.Event as OCSF-shaped JSON: one event, one JSON object in the shape of OCSF schema
 * 1.1.0, for SIEMs that ingest OCSF. docs/events.md ("OCSF") has the mapping table. */
#ifndef WD_EVENT_OCSF_H
#define WD_EVENT_OCSF_H

#include <stdio.h>

#include "warden/v1/event.pb-c.h"

#define WD_OCSF_VERSION "1.1.0"

/* OCSF classes warden's events map to. */
enum {
	WD_OCSF_BASE_EVENT = 0,		 /* EVENTS_LOST, and actions newer than this code */
	WD_OCSF_FILE_ACTIVITY = 1001,	 /* file_open */
	WD_OCSF_MODULE_ACTIVITY = 1005,	 /* exec_mapping */
	WD_OCSF_PROCESS_ACTIVITY = 1007, /* exec, confinement */
	WD_OCSF_NETWORK_ACTIVITY = 4001, /* connect, socket_create */
	WD_OCSF_APP_LIFECYCLE = 6002,	 /* the other lifecycle events */
};

/* Where an event lands in OCSF's taxonomy; type_uid is class_uid * 100 + activity_id. */
struct wd_ocsf_class {
	unsigned category_uid;
	unsigned class_uid;
	unsigned activity_id;
	const char *category_name;
	const char *class_name;
	const char *activity_name;
};

void wd_ocsf_classify(const Warden__V1__Event *ev, struct wd_ocsf_class *out);

/* Writes @ev as one OCSF JSON object, without a newline. Attributes warden does not know are
 * left out (OCSF's convention) rather than written empty; warden's own fields that OCSF has no
 * place for (identity, sandbox, rule, policy, hook, and the action's details) are under
 * "unmapped". 64-bit numbers outside OCSF's own attributes are strings, as in --json. */
void wd_ocsf_event_json(FILE *f, const Warden__V1__Event *ev);
/* The same, appended to @b (check b->oom). */
struct wd_buf;
void wd_ocsf_event_json_buf(struct wd_buf *b, const Warden__V1__Event *ev);

#endif
