/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Encoders written for the messages every kernel event carries (Header, Process, Ancestor and
 * the kernel's actions), so that the event path does not pay protobuf-c's table-driven packing
 * (about 0.5 us an event, the most of converting one). They write the bytes protobuf-c writes
 * for the same message, field for field in the same order: tests/unit/test_pb_enc.c holds them
 * to that over every message kind and random values, and wd_pb_enc_usable() refuses them when
 * a message gained fields they do not know (then the packer uses protobuf-c). */
#ifndef WD_PB_ENC_H
#define WD_PB_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/v1/event.pb-c.h"

/* Bounded output: every write checks the room left; one that does not fit sets @full and
 * writes nothing more. */
struct wd_pb_out {
	uint8_t *p, *end;
	bool full;
};

/* Whether the encoders know every field of every message they encode (the generated
 * descriptors have as many fields as they expect). */
bool wd_pb_enc_usable(void);

/* Raw bytes (already packed fields). */
void wd_pb_enc_raw(struct wd_pb_out *o, const void *p, size_t n);

/* Event fields 1 (header), 4 (process), 5 (decision), 6 (hook) and the action of the oneof
 * (9..14; not Lifecycle), each as protobuf-c packs it, nothing for unset ones. */
void wd_pb_enc_header(struct wd_pb_out *o, const Warden__V1__Header *h);
void wd_pb_enc_process(struct wd_pb_out *o, const Warden__V1__Process *p);
void wd_pb_enc_decision_hook(struct wd_pb_out *o, Warden__V1__Decision d, const char *hook);
/* Returns false for an action it does not encode (none, Lifecycle). */
bool wd_pb_enc_action(struct wd_pb_out *o, const Warden__V1__Event *ev);

#endif
