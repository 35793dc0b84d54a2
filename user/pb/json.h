/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* warden.v1.Event as JSON: the proto3 JSON mapping. */
#ifndef WD_PB_JSON_H
#define WD_PB_JSON_H

#include <stdio.h>

#include "warden/v1/event.pb-c.h"

/* The event as one line of JSON (no newline): the proto3 JSON mapping with the .proto's field
 * names; every field present (defaults included) except unset messages and the oneof members
 * not set; 64-bit integers as strings, enums as names (numbers when unknown), bytes as
 * base64. Any protobuf JSON parser reads it back. */
void wd_pb_event_json(FILE *f, const Warden__V1__Event *ev);
/* The same, appended to @b (check b->oom). */
struct wd_buf;
void wd_pb_event_json_buf(struct wd_buf *b, const Warden__V1__Event *ev);

#endif
