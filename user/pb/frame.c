// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Framing one message, and reading the seq back out of one record. */
#include <errno.h>
#include <string.h>

#include "pb/frame.h"
#include "pb/wire.h"

int wd_pb_frame(const Warden__V1__Event *m, uint8_t *buf, size_t cap, size_t *len)
{
	size_t size = warden__v1__event__get_packed_size(m), pre;
	uint8_t tmp[WD_PB_VARINT_MAX];

	if (size > WD_PB_RECORD_MAX)
		return -EMSGSIZE;
	pre = wd_pb_varint_put(tmp, size);
	if (pre + size > cap)
		return -ENOBUFS;
	memcpy(buf, tmp, pre);
	if (warden__v1__event__pack(m, buf + pre) != size)
		return -EPROTO;
	*len = pre + size;
	return 0;
}

int wd_pb_record_seq(const uint8_t *rec, size_t len, uint64_t *seq)
{
	Warden__V1__Event *ev = warden__v1__event__unpack(NULL, len, rec);

	if (!ev)
		return -EPROTO;
	*seq = ev->header ? ev->header->seq : 0;
	warden__v1__event__free_unpacked(ev, NULL);
	return 0;
}
