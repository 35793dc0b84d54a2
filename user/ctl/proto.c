// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control protocol without I/O: framing (a 4-byte big-endian length, then the message) and
 * who may do what. Pure: no syscalls, so tests/unit/test_ctl_proto.c covers all of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/control.h"
#include "ctl/internal.h"

/* --- Framing --------------------------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int wd_ctl_frame_len(const uint8_t hdr[WD_CTL_HDR_LEN], uint32_t *len)
{
	*len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	return *len > WD_CTL_MSG_MAX ? -EMSGSIZE : 0;
}

int wd_ctl_encode(const ProtobufCMessage *msg, uint8_t **buf, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b;

	if (n > WD_CTL_MSG_MAX)
		return -EMSGSIZE;
	b = malloc(WD_CTL_HDR_LEN + n);
	if (!b)
		return -ENOMEM;
	put_be32(b, n);
	protobuf_c_message_pack(msg, b + WD_CTL_HDR_LEN);
	*buf = b;
	*len = WD_CTL_HDR_LEN + n;
	return 0;
}

static int decode(const ProtobufCMessageDescriptor *d, const uint8_t *frame, size_t len,
		  ProtobufCMessage **out)
{
	uint32_t n;
	int err;

	if (len < WD_CTL_HDR_LEN)
		return -EPROTO;
	err = wd_ctl_frame_len(frame, &n);
	if (err)
		return err;
	if (len - WD_CTL_HDR_LEN != n)
		return -EPROTO;
	*out = protobuf_c_message_unpack(d, NULL, n, frame + WD_CTL_HDR_LEN);
	return *out ? 0 : -EPROTO;
}

int wd_ctl_decode_request(const uint8_t *frame, size_t len, Warden__V1__Request **out)
{
	return decode(&warden__v1__request__descriptor, frame, len, (ProtobufCMessage **)out);
}

int wd_ctl_decode_response(const uint8_t *frame, size_t len, Warden__V1__Response **out)
{
	return decode(&warden__v1__response__descriptor, frame, len, (ProtobufCMessage **)out);
}

/* An error response packed into @buf (at least ERR_FRAME_MAX bytes). Returns its length. */
size_t wd_ctl_pack_error(uint8_t *buf, Warden__V1__Error__Code code, const char *message)
{
	Warden__V1__Response resp = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Error e = WARDEN__V1__ERROR__INIT;
	char msg[WD_CTL_ERR_MAX];
	size_t n;

	/* Bounded so that the packed size is too (ERR_FRAME_MAX leaves room for the tags). */
	snprintf(msg, sizeof(msg), "%s", message);
	e.code = code;
	e.message = msg;
	resp.error = &e;
	n = protobuf_c_message_get_packed_size(&resp.base);
	if (n > ERR_FRAME_MAX - WD_CTL_HDR_LEN)
		return 0;
	put_be32(buf, n);
	protobuf_c_message_pack(&resp.base, buf + WD_CTL_HDR_LEN);
	return WD_CTL_HDR_LEN + n;
}

/* --- Authorisation --------------------------------------------------------------------- */

void wd_ctl_peer_free(struct wd_ctl_peer *p)
{
	free(p->groups);
	p->groups = NULL;
	p->n_groups = 0;
}

static bool in_group(const struct wd_ctl_peer *p, gid_t g)
{
	if (p->gid == g)
		return true;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == g)
			return true;
	return false;
}

bool wd_ctl_in_sandbox(const struct wd_ctl_auth *a, const char *cgroup)
{
	const char *root = a->sandbox_root ? a->sandbox_root : "/warden";
	size_t n = strlen(root);

	while (n && root[n - 1] == '/')
		n--;
	if (!strncmp(cgroup, root, n) && cgroup[n] == '/' && !strncmp(cgroup + n + 1, "sb-", 3))
		return true;
	return a->is_sandboxed && a->is_sandboxed(cgroup, a->arg);
}

int wd_ctl_authorize(const struct wd_ctl_auth *a, const struct wd_ctl_peer *p, wd_ctl_op op,
		     char *why, size_t size)
{
	const char *name = wd_ctl_op_name(op);
	bool reader;

	if (!p->cgroup[0]) {
		snprintf(why, size,
			 "permission denied: cannot tell whether pid %d (uid %u) runs inside a "
			 "sandbox: its cgroup is unknown%s",
			 (int)p->pid, (unsigned)p->uid,
			 p->pid ? "" : " (it is in a pid namespace the daemon cannot see into)");
		return -EACCES;
	}
	if (wd_ctl_in_sandbox(a, p->cgroup)) {
		snprintf(
			why, size,
			"permission denied: pid %d (uid %u) runs inside the sandbox cgroup %s, and "
			"sandboxed processes may not use the warden daemon",
			(int)p->pid, (unsigned)p->uid, p->cgroup);
		return -EACCES;
	}
	if (p->uid == 0 || (a->admin_group && in_group(p, a->admin_gid)))
		return 0;
	reader = a->read_group && in_group(p, a->read_gid);
	if (reader && wd_ctl_op_is_read(op))
		return 0;

	if (reader)
		snprintf(why, size,
			 "permission denied: uid %u is in the read-only group %s, and %s needs "
			 "root%s%s",
			 (unsigned)p->uid, a->read_group, name, a->admin_group ? " or group " : "",
			 a->admin_group ? a->admin_group : "");
	else if (a->admin_group && a->read_group && wd_ctl_op_is_read(op))
		snprintf(why, size,
			 "permission denied: uid %u is neither root nor in group %s or %s",
			 (unsigned)p->uid, a->admin_group, a->read_group);
	else if (a->admin_group)
		snprintf(why, size, "permission denied: uid %u is neither root nor in group %s",
			 (unsigned)p->uid, a->admin_group);
	else
		snprintf(why, size,
			 "permission denied: uid %u is not root, and the daemon names no admin "
			 "group",
			 (unsigned)p->uid);
	return -EACCES;
}

int wd_ctl_parse_proc_cgroup(const char *text, char *path, size_t size)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');

		if (!strncmp(line, "0::", 3)) {
			size_t n = end - (line + 3);

			if (n >= size)
				return -ENAMETOOLONG;
			memcpy(path, line + 3, n);
			path[n] = '\0';
			return n ? 0 : -ENOENT;
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}
