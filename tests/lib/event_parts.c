// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An event with room for every message (tests/lib/event_parts.h), set up empty. */
#include <string.h>

#include "event_parts.h"

void wt_ev_init(struct wt_ev *e)
{
	memset(e, 0, sizeof(*e));
	e->ev = (Warden__V1__Event)WARDEN__V1__EVENT__INIT;
	e->hdr = (Warden__V1__Header)WARDEN__V1__HEADER__INIT;
	e->id = (Warden__V1__Identity)WARDEN__V1__IDENTITY__INIT;
	e->sb = (Warden__V1__Sandbox)WARDEN__V1__SANDBOX__INIT;
	e->proc = (Warden__V1__Process)WARDEN__V1__PROCESS__INIT;
	e->rule = (Warden__V1__Rule)WARDEN__V1__RULE__INIT;
	e->exec = (Warden__V1__Exec)WARDEN__V1__EXEC__INIT;
	e->file = (Warden__V1__FileOpen)WARDEN__V1__FILE_OPEN__INIT;
	e->conn = (Warden__V1__Connect)WARDEN__V1__CONNECT__INIT;
	e->map = (Warden__V1__ExecMapping)WARDEN__V1__EXEC_MAPPING__INIT;
	e->sock = (Warden__V1__SocketCreate)WARDEN__V1__SOCKET_CREATE__INIT;
	e->conf = (Warden__V1__Confinement)WARDEN__V1__CONFINEMENT__INIT;
	e->lc = (Warden__V1__Lifecycle)WARDEN__V1__LIFECYCLE__INIT;
	e->ev.header = &e->hdr;
	e->ev.identity = &e->id;
	e->ev.sandbox = &e->sb;
	e->ev.process = &e->proc;
	e->ev.rule = &e->rule;
}
