/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The protobuf wire's base-128 varints: every record's length prefix, and the hand encoder's
 * integers (pb/enc.c). Knows nothing of warden's messages. */
#ifndef WD_PB_WIRE_H
#define WD_PB_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* A base-128 varint of 64 bits takes at most 10 bytes. */
#define WD_PB_VARINT_MAX 10

/* Writes @v at @p (room for WD_PB_VARINT_MAX bytes); returns the bytes written. */
size_t wd_pb_varint_put(uint8_t *p, uint64_t v);
/* Decodes a varint from @p (@n bytes available). Returns the bytes used, 0 if @n ends first,
 * or -EBADMSG for more than 10 bytes (or a 10th byte above 1). */
int wd_pb_varint_get(const uint8_t *p, size_t n, uint64_t *v);

#endif
