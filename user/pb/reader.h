/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading length-delimited records (pb/frame.h) from files, gzip-compressed or not, with errors
 * that say where a file breaks. */
#ifndef WD_PB_READER_H
#define WD_PB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "pb/frame.h"
#include "warden/v1/event.pb-c.h"

/* Reads length-delimited records from a FILE* or a gzFile (which reads uncompressed files as
 * they are too). */
struct wd_pb_reader {
	FILE *f;
	gzFile gz;
	bool owns;    /* opened by wd_pb_reader_open: closed by wd_pb_reader_close */
	uint8_t *buf; /* the last record, valid until the next read */
	size_t cap;
	size_t max;	 /* the largest record accepted; WD_PB_RECORD_MAX by default */
	uint64_t offset; /* bytes consumed (uncompressed): where the next record starts */
	uint64_t n;	 /* records read completely */
};

void wd_pb_reader_init_file(struct wd_pb_reader *r, FILE *f);
void wd_pb_reader_init_gz(struct wd_pb_reader *r, gzFile gz);
/* Opens @path, gzip-compressed or not ("-": standard input). Returns 0 or -errno. */
int wd_pb_reader_open(struct wd_pb_reader *r, const char *path);
void wd_pb_reader_close(struct wd_pb_reader *r);

/* The next record's bytes in @rec (valid until the next read). Returns 1, 0 at the end of the
 * input between two records, or -errno: -EBADMSG the input ends inside a record (a truncated
 * last record) or a length prefix is malformed, -EMSGSIZE a length over r->max, -EIO a read
 * error or corrupt compressed data. After an error, r->n is the number of the good records
 * before the bad one and r->offset where the bad one starts. */
int wd_pb_read_record(struct wd_pb_reader *r, const uint8_t **rec, size_t *len);

/* The next record decoded; free it with warden__v1__event__free_unpacked(ev, NULL). Returns as
 * wd_pb_read_record(), and -EPROTO for a record that is not a valid Event. */
int wd_pb_read_event(struct wd_pb_reader *r, Warden__V1__Event **ev);

/* What the reader's errors mean, for messages. */
const char *wd_pb_strerror(int err);

#endif
