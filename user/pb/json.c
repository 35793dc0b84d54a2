// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The proto3 JSON mapping of a message, driven by the generated descriptors so that it never
 * falls behind the .proto. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "pb/json.h"

static void json_base64(struct wd_buf *b, const uint8_t *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	wd_buf_ch(b, '"');
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		wd_buf_ch(b, tab[v >> 18 & 63]);
		wd_buf_ch(b, tab[v >> 12 & 63]);
		wd_buf_ch(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		wd_buf_ch(b, i + 2 < n ? tab[v & 63] : '=');
	}
	wd_buf_ch(b, '"');
}

static void json_message(struct wd_buf *b, const ProtobufCMessage *m);

/* warden.v1 has no floating-point field; should one come, printf formats it, with the digits
 * that tell a float (@single) or a double apart from its neighbours. */
static void json_double(struct wd_buf *b, bool single, double v)
{
	char t[32];
	int n = single ? snprintf(t, sizeof(t), "%.9g", v) : snprintf(t, sizeof(t), "%.17g", v);

	if (n > 0)
		wd_buf_add(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

static void json_value(struct wd_buf *b, const ProtobufCFieldDescriptor *fd, const void *v)
{
	const ProtobufCEnumValue *ev;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		wd_buf_i64(b, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		wd_buf_u64(b, *(const uint32_t *)v);
		break;
	/* 64-bit integers are strings in JSON: doubles would round them. */
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		wd_buf_ch(b, '"');
		wd_buf_i64(b, *(const int64_t *)v);
		wd_buf_ch(b, '"');
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		wd_buf_ch(b, '"');
		wd_buf_u64(b, *(const uint64_t *)v);
		wd_buf_ch(b, '"');
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		json_double(b, true, (double)*(const float *)v);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		json_double(b, false, *(const double *)v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		wd_buf_str(b, *(const protobuf_c_boolean *)v ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, *(const int *)v);
		if (ev)
			wd_json_buf_str(b, ev->name);
		else
			wd_buf_i64(b, *(const int *)v);
		break;
	case PROTOBUF_C_TYPE_STRING:
		wd_json_buf_str(b, *(char *const *)v ? *(char *const *)v : "");
		break;
	case PROTOBUF_C_TYPE_BYTES:
		json_base64(b, ((const ProtobufCBinaryData *)v)->data,
			    ((const ProtobufCBinaryData *)v)->len);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)v)
			json_message(b, *(ProtobufCMessage *const *)v);
		else
			wd_buf_add(b, "{}", 2);
		break;
	}
}

static size_t type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* map<K, V> fields are repeated messages of a generated *Entry type with key and value. */
static bool is_map(const ProtobufCFieldDescriptor *fd)
{
	const ProtobufCMessageDescriptor *d = fd->descriptor;
	size_t n;

	if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->label != PROTOBUF_C_LABEL_REPEATED)
		return false;
	n = strlen(d->name);
	return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
	       strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static void json_map(struct wd_buf *b, const ProtobufCFieldDescriptor *fd, size_t n,
		     ProtobufCMessage *const *items)
{
	const ProtobufCMessageDescriptor *d = fd->descriptor;

	wd_buf_ch(b, '{');
	for (size_t i = 0; i < n; i++) {
		const char *base = (const char *)items[i];

		if (i)
			wd_buf_ch(b, ',');
		/* JSON object keys are strings, whatever the key type. */
		if (d->fields[0].type == PROTOBUF_C_TYPE_STRING) {
			json_value(b, &d->fields[0], base + d->fields[0].offset);
		} else {
			wd_buf_ch(b, '"');
			json_value(b, &d->fields[0], base + d->fields[0].offset);
			wd_buf_ch(b, '"');
		}
		wd_buf_ch(b, ':');
		json_value(b, &d->fields[1], base + d->fields[1].offset);
	}
	wd_buf_ch(b, '}');
}

static void json_message(struct wd_buf *b, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	bool first = true;

	wd_buf_ch(b, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const void *v = base + fd->offset;

		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
				continue;
		} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE &&
			   fd->label != PROTOBUF_C_LABEL_REPEATED && !*(void *const *)v) {
			continue;
		}
		if (!first)
			wd_buf_ch(b, ',');
		first = false;
		wd_json_buf_str(b, fd->name);
		wd_buf_ch(b, ':');
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			const char *arr = *(const char *const *)v;

			if (is_map(fd)) {
				json_map(b, fd, n, (ProtobufCMessage *const *)arr);
				continue;
			}
			wd_buf_ch(b, '[');
			for (size_t k = 0; k < n; k++) {
				if (k)
					wd_buf_ch(b, ',');
				json_value(b, fd, arr + k * type_size(fd->type));
			}
			wd_buf_ch(b, ']');
		} else {
			json_value(b, fd, v);
		}
	}
	wd_buf_ch(b, '}');
}

void wd_pb_event_json_buf(struct wd_buf *b, const Warden__V1__Event *ev)
{
	json_message(b, &ev->base);
}

void wd_pb_event_json(FILE *f, const Warden__V1__Event *ev)
{
	struct wd_buf b = {0};

	wd_pb_event_json_buf(&b, ev);
	if (b.len)
		fwrite(b.p, 1, b.len, f);
	wd_buf_free(&b);
}
