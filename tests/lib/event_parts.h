/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A warden.v1.Event with room for every message it may point to, for tests that build events of
 * every kind field by field (the syslog sink's unit and host tests). */
#ifndef WT_EVENT_PARTS_H
#define WT_EVENT_PARTS_H

#include <stdint.h>

#include "warden/v1/event.pb-c.h"

struct wt_ev {
	Warden__V1__Event ev;
	Warden__V1__Header hdr;
	Warden__V1__Identity id;
	Warden__V1__Sandbox sb;
	Warden__V1__Process proc;
	Warden__V1__Rule rule;
	Warden__V1__Exec exec;
	Warden__V1__FileOpen file;
	Warden__V1__Connect conn;
	Warden__V1__ExecMapping map;
	Warden__V1__SocketCreate sock;
	Warden__V1__Confinement conf;
	Warden__V1__Lifecycle lc;
	char path[4096]; /* for a path the test makes */
	uint8_t addr[16];
};

/* Every message initialised and empty; the event points to its header, identity, sandbox,
 * process and rule, and has no action yet. */
void wt_ev_init(struct wt_ev *e);

#endif
