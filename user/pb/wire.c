// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Base-128 varints, the protobuf wire's integers and every record's length prefix. */
#include <errno.h>

#include "pb/wire.h"

size_t wd_pb_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int wd_pb_varint_get(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < WD_PB_VARINT_MAX; i++) {
		if (i >= n)
			return 0;
		/* The 10th byte holds bit 63 only. */
		if (i == WD_PB_VARINT_MAX - 1 && p[i] > 1)
			return -EBADMSG;
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return (int)i + 1;
		}
	}
	return -EBADMSG;
}
