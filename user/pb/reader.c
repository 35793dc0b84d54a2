// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record reader: a FILE* or a gzFile, one length prefix and one record at a time, never
 * trusting a length before it is checked against the limit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb/frame.h"
#include "pb/reader.h"
#include "pb/wire.h"

void wd_pb_reader_init_file(struct wd_pb_reader *r, FILE *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->max = WD_PB_RECORD_MAX;
}

void wd_pb_reader_init_gz(struct wd_pb_reader *r, gzFile gz)
{
	memset(r, 0, sizeof(*r));
	r->gz = gz;
	r->max = WD_PB_RECORD_MAX;
}

int wd_pb_reader_open(struct wd_pb_reader *r, const char *path)
{
	int fd = strcmp(path, "-") == 0 ? fcntl(0, F_DUPFD_CLOEXEC, 3)
					: open(path, O_RDONLY | O_CLOEXEC);
	gzFile gz;

	if (fd < 0)
		return -errno;
	/* gzip data is inflated, anything else read as it is. */
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	wd_pb_reader_init_gz(r, gz);
	r->owns = true;
	return 0;
}

void wd_pb_reader_close(struct wd_pb_reader *r)
{
	if (r->owns && r->gz)
		gzclose(r->gz);
	if (r->owns && r->f)
		fclose(r->f);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Reads up to @n bytes; returns how many, or -EIO. Short only at the end of the input. */
static ssize_t src_read(struct wd_pb_reader *r, void *buf, size_t n)
{
	size_t got = 0;

	if (r->f) {
		got = fread(buf, 1, n, r->f);
		return got < n && ferror(r->f) ? -EIO : (ssize_t)got;
	}
	while (got < n) {
		int chunk = n - got > INT_MAX ? INT_MAX : (int)(n - got), k, zerr;

		k = gzread(r->gz, (char *)buf + got, (unsigned)chunk);
		if (k < 0)
			return -EIO;
		if (k == 0) {
			/* A gzip stream cut short ends like a file but leaves an error. */
			gzerror(r->gz, &zerr);
			if (zerr != Z_OK && zerr != Z_STREAM_END)
				return -EIO;
			break;
		}
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int wd_pb_read_record(struct wd_pb_reader *r, const uint8_t **rec, size_t *len)
{
	uint8_t pre[WD_PB_VARINT_MAX];
	uint64_t size = 0;
	size_t i;
	ssize_t k;
	int used = 0;

	/* The prefix byte by byte: a record may be as short as one byte. */
	for (i = 0; i < WD_PB_VARINT_MAX; i++) {
		k = src_read(r, pre + i, 1);
		if (k < 0)
			return (int)k;
		if (k == 0)
			return i == 0 ? 0 : -EBADMSG;
		if (!(pre[i] & 0x80))
			break;
	}
	used = wd_pb_varint_get(pre, i < WD_PB_VARINT_MAX ? i + 1 : WD_PB_VARINT_MAX, &size);
	if (used <= 0)
		return -EBADMSG;
	if (size > r->max)
		return -EMSGSIZE;
	if (size > r->cap || !r->buf) {
		uint8_t *b = realloc(r->buf, size ? size : 1);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = size ? size : 1;
	}
	k = src_read(r, r->buf, size);
	if (k < 0)
		return (int)k;
	if ((uint64_t)k < size)
		return -EBADMSG;
	r->offset += (uint64_t)used + size;
	r->n++;
	*rec = r->buf;
	*len = size;
	return 1;
}

int wd_pb_read_event(struct wd_pb_reader *r, Warden__V1__Event **ev)
{
	uint64_t start = r->offset;
	const uint8_t *rec;
	size_t len;
	int ret = wd_pb_read_record(r, &rec, &len);

	if (ret <= 0)
		return ret;
	*ev = warden__v1__event__unpack(NULL, len, rec);
	if (!*ev) {
		/* Not a good record: the error points at its start, as for the others. */
		r->n--;
		r->offset = start;
		return -EPROTO;
	}
	return 1;
}

const char *wd_pb_strerror(int err)
{
	switch (err) {
	case -EBADMSG:
		return "truncated or malformed record (the input ends inside it, or its length "
		       "prefix is not a varint)";
	case -EMSGSIZE:
		return "record length over the limit of 65536 bytes (not an event file, or "
		       "corrupt)";
	case -EPROTO:
		return "record is not a valid warden.v1.Event";
	case -EIO:
		return "read error or corrupt compressed data";
	}
	return strerror(err < 0 ? -err : err);
}
