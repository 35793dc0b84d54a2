/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What ocsf.c and ocsf_class.c share: OCSF's enum values, and the parts of an OCSF object that
 * say what an event means rather than what it holds. Not for other folders. */
#ifndef WD_EVENT_OCSF_CLASS_H
#define WD_EVENT_OCSF_CLASS_H

#include <stddef.h>

#include "event/ocsf.h"

/* OCSF categories, and the activities used here (OCSF 1.1.0 enums). */
#define CAT_UNCATEGORIZED 0
#define CAT_SYSTEM	  1
#define CAT_NETWORK	  4
#define CAT_APPLICATION	  6

#define ACT_UNKNOWN 0
#define ACT_OTHER   99

/* security_control profile: action_id and disposition_id. */
#define ACTION_ALLOWED	     1
#define ACTION_DENIED	     2
#define DISPOSITION_ALLOWED  1
#define DISPOSITION_BLOCKED  2
#define DISPOSITION_DETECTED 15 /* "a policy violation was detected without further action" */

#define STATUS_SUCCESS 1
#define STATUS_FAILURE 2

#define SEV_INFORMATIONAL 1
#define SEV_LOW		  2
#define SEV_MEDIUM	  3
#define SEV_HIGH	  4

#define FILE_TYPE_UNKNOWN 0
#define FILE_TYPE_REGULAR 1

#define DIRECTION_OUTBOUND 2

/* SEV_*: how severe the event is, and the name OCSF gives that severity. */
unsigned wd_ocsf_severity(const Warden__V1__Event *ev);
const char *wd_ocsf_severity_name(unsigned s);

/* One sentence for people: what was decided about what (@c: the event's class). */
void wd_ocsf_message(const Warden__V1__Event *ev, const struct wd_ocsf_class *c, char *buf,
		     size_t size);

/* A connect's address from its bytes when they are there (they are authoritative), else its
 * text. */
void wd_ocsf_address_text(const Warden__V1__Connect *c, char *buf, size_t size);

#endif
