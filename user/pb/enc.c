// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event path's encoders (see pb/enc.h). Proto3 rules as protobuf-c applies them: a scalar,
 * enum, string or bytes field equal to its zero value is not written; a message field is
 * written when set, even empty; fields go out in the order the .proto declares them. Field
 * numbers below 16 have one-byte tags, the few above (Confinement's last ones) two. */
#include <string.h>

#include "pb/enc.h"
#include "pb/wire.h"

enum { WT_VARINT = 0, WT_LEN = 2 };

/* What the encoders below write for each message: its fields numbered 1..n in this order, of
 * these types (u uint32, U uint64, s string, b bytes, e enum, o bool, m message, M repeated
 * message). */
static const struct {
	const ProtobufCMessageDescriptor *d;
	const char *types;
} known[] = {
	{&warden__v1__event__descriptor, "mmmmesmsmmmmmmm"},
	{&warden__v1__header__descriptor, "UUUssU"},
	{&warden__v1__process__descriptor, "uuuuusssM"},
	{&warden__v1__ancestor__descriptor, "uss"},
	{&warden__v1__exec__descriptor, "s"},
	{&warden__v1__file_open__descriptor, "soooeo"},
	{&warden__v1__connect__descriptor, "ebsueuo"},
	{&warden__v1__exec_mapping__descriptor, "so"},
	{&warden__v1__socket_create__descriptor, "ee"},
	{&warden__v1__confinement__descriptor, "esuuuuuuuuuususuo"},
};

static char type_code(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		return 'u';
	case PROTOBUF_C_TYPE_UINT64:
		return 'U';
	case PROTOBUF_C_TYPE_STRING:
		return 's';
	case PROTOBUF_C_TYPE_BYTES:
		return 'b';
	case PROTOBUF_C_TYPE_ENUM:
		return 'e';
	case PROTOBUF_C_TYPE_BOOL:
		return 'o';
	case PROTOBUF_C_TYPE_MESSAGE:
		return f->label == PROTOBUF_C_LABEL_REPEATED ? 'M' : 'm';
	default:
		return '?';
	}
}

bool wd_pb_enc_usable(void)
{
	/* A message whose fields differ (one added, say) is packed by protobuf-c until its
	 * encoder learns it. */
	for (size_t m = 0; m < sizeof(known) / sizeof(known[0]); m++) {
		const ProtobufCMessageDescriptor *d = known[m].d;

		if (d->n_fields != strlen(known[m].types))
			return false;
		for (unsigned i = 0; i < d->n_fields; i++) {
			const ProtobufCFieldDescriptor *f = &d->fields[i];

			if (f->id != i + 1 || type_code(f) != known[m].types[i] ||
			    (f->label == PROTOBUF_C_LABEL_REPEATED) != (known[m].types[i] == 'M'))
				return false;
		}
	}
	return true;
}

void wd_pb_enc_raw(struct wd_pb_out *o, const void *p, size_t n)
{
	if (o->full || (size_t)(o->end - o->p) < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, p, n);
	o->p += n;
}

static inline void put_varint(struct wd_pb_out *o, uint64_t v)
{
	uint8_t b[10];

	if (!o->full && o->end - o->p >= 10) {
		if (v < 0x80)
			*o->p++ = (uint8_t)v;
		else
			o->p += wd_pb_varint_put(o->p, v);
		return;
	}
	wd_pb_enc_raw(o, b, wd_pb_varint_put(b, v));
}

static inline void put_tag(struct wd_pb_out *o, unsigned field, unsigned wt)
{
	if (field >= 16) {
		put_varint(o, field << 3 | wt); /* two bytes (fields up to 2047) */
		return;
	}
	if (!o->full && o->p < o->end)
		*o->p++ = (uint8_t)(field << 3 | wt);
	else
		o->full = true;
}

static inline void put_uint(struct wd_pb_out *o, unsigned field, uint64_t v)
{
	if (!v)
		return;
	put_tag(o, field, WT_VARINT);
	put_varint(o, v);
}

static void put_bool(struct wd_pb_out *o, unsigned field, protobuf_c_boolean v)
{
	put_uint(o, field, v ? 1 : 0);
}

/* Enums are int32 on the wire: a negative one takes ten bytes. */
static void put_enum(struct wd_pb_out *o, unsigned field, int v)
{
	put_uint(o, field, (uint64_t)(int64_t)v);
}

static void put_bytes(struct wd_pb_out *o, unsigned field, const void *p, size_t n)
{
	if (!n)
		return;
	put_tag(o, field, WT_LEN);
	put_varint(o, n);
	wd_pb_enc_raw(o, p, n);
}

static void put_string(struct wd_pb_out *o, unsigned field, const char *s)
{
	if (s && s[0])
		put_bytes(o, field, s, strlen(s));
}

/* A message field: the tag, a length byte kept free, then the body (sub_end fixes the length,
 * moving the body when the length needs more than one byte). */
static uint8_t *sub_begin(struct wd_pb_out *o, unsigned field)
{
	put_tag(o, field, WT_LEN);
	if (o->full || o->p >= o->end) {
		o->full = true;
		return NULL;
	}
	return o->p++;
}

static void sub_end(struct wd_pb_out *o, uint8_t *len_at)
{
	size_t n, k;
	uint8_t b[10];

	if (o->full)
		return;
	n = (size_t)(o->p - (len_at + 1));
	if (n < 0x80) {
		*len_at = (uint8_t)n;
		return;
	}
	k = wd_pb_varint_put(b, n);
	if ((size_t)(o->end - o->p) < k - 1) {
		o->full = true;
		return;
	}
	memmove(len_at + k, len_at + 1, n);
	memcpy(len_at, b, k);
	o->p += k - 1;
}

void wd_pb_enc_header(struct wd_pb_out *o, const Warden__V1__Header *h)
{
	uint8_t *l;

	if (!h)
		return;
	l = sub_begin(o, 1);
	put_uint(o, 1, h->seq);
	put_uint(o, 2, h->boot_ns);
	put_uint(o, 3, h->wall_ns);
	put_string(o, 4, h->node);
	put_string(o, 5, h->warden_version);
	put_uint(o, 6, h->sandbox_seq);
	sub_end(o, l);
}

void wd_pb_enc_process(struct wd_pb_out *o, const Warden__V1__Process *p)
{
	uint8_t *l;

	if (!p)
		return;
	l = sub_begin(o, 4);
	put_uint(o, 1, p->pid);
	put_uint(o, 2, p->tid);
	put_uint(o, 3, p->ppid);
	put_uint(o, 4, p->uid);
	put_uint(o, 5, p->gid);
	put_string(o, 6, p->comm);
	put_string(o, 7, p->exe);
	put_string(o, 8, p->exec_id);
	for (size_t i = 0; i < p->n_ancestry; i++) {
		const Warden__V1__Ancestor *a = p->ancestry[i];
		uint8_t *la = sub_begin(o, 9);

		put_uint(o, 1, a->pid);
		put_string(o, 2, a->exe);
		put_string(o, 3, a->comm);
		sub_end(o, la);
	}
	sub_end(o, l);
}

void wd_pb_enc_decision_hook(struct wd_pb_out *o, Warden__V1__Decision d, const char *hook)
{
	put_enum(o, 5, d);
	put_string(o, 6, hook);
}

bool wd_pb_enc_action(struct wd_pb_out *o, const Warden__V1__Event *ev)
{
	uint8_t *l;

	switch (ev->action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		l = sub_begin(o, 9);
		put_string(o, 1, ev->exec->path);
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		l = sub_begin(o, 10);
		put_string(o, 1, ev->file_open->path);
		put_bool(o, 2, ev->file_open->read);
		put_bool(o, 3, ev->file_open->write);
		put_bool(o, 4, ev->file_open->truncate);
		put_enum(o, 5, ev->file_open->change);
		put_bool(o, 6, ev->file_open->path_unresolved);
		break;
	case WARDEN__V1__EVENT__ACTION_CONNECT: {
		const Warden__V1__Connect *c = ev->connect;

		l = sub_begin(o, 11);
		put_enum(o, 1, c->family);
		put_bytes(o, 2, c->address.data, c->address.len);
		put_string(o, 3, c->address_text);
		put_uint(o, 4, c->port);
		put_enum(o, 5, c->protocol);
		put_uint(o, 6, c->ip_protocol);
		put_bool(o, 7, c->is_send);
		break;
	}
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		l = sub_begin(o, 12);
		put_string(o, 1, ev->exec_mapping->path);
		put_bool(o, 2, ev->exec_mapping->via_mprotect);
		break;
	case WARDEN__V1__EVENT__ACTION_SOCKET_CREATE:
		l = sub_begin(o, 13);
		put_enum(o, 1, ev->socket_create->family);
		put_enum(o, 2, ev->socket_create->type);
		break;
	case WARDEN__V1__EVENT__ACTION_CONFINEMENT: {
		const Warden__V1__Confinement *c = ev->confinement;

		l = sub_begin(o, 14);
		put_enum(o, 1, c->what);
		put_string(o, 2, c->path);
		put_uint(o, 3, c->capability);
		put_uint(o, 4, c->bpf_command);
		put_uint(o, 5, c->signal);
		put_uint(o, 6, c->target_pid);
		put_uint(o, 7, c->ptrace_mode);
		put_uint(o, 8, c->socket_option);
		put_uint(o, 9, c->mode);
		put_uint(o, 10, c->key_serial);
		put_uint(o, 11, c->key_permission);
		put_uint(o, 12, c->ioctl);
		put_string(o, 13, c->address);
		put_uint(o, 14, c->syscall);
		put_string(o, 15, c->syscall_name);
		put_uint(o, 16, c->error);
		put_bool(o, 17, c->maybe_kernel);
		break;
	}
	default:
		return false;
	}
	sub_end(o, l);
	return true;
}
