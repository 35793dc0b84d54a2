/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Length-delimited records: every file and stream of warden.v1.Event messages is a sequence of
 * them, each a base-128 varint of the message's length (pb/wire.h), then the message. */
#ifndef WD_PB_FRAME_H
#define WD_PB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "warden/v1/event.pb-c.h"

/* The largest message a reader accepts and a writer produces. A length prefix above it is
 * rejected before anything is allocated: lengths in files are never trusted. */
#define WD_PB_RECORD_MAX (64 * 1024)

/* Packs @m with its length prefix into @buf. Returns 0 and the framed length in @len, -EMSGSIZE if
 * the message is over WD_PB_RECORD_MAX, -ENOBUFS if @cap is too small (WD_PB_VARINT_MAX +
 * WD_PB_RECORD_MAX always suffices). */
int wd_pb_frame(const Warden__V1__Event *m, uint8_t *buf, size_t cap, size_t *len);

/* The node seq of an encoded event (the last record of a sink, when warden starts again);
 * returns 0 or -EPROTO. */
int wd_pb_record_seq(const uint8_t *rec, size_t len, uint64_t *seq);

#endif
