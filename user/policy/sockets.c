// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sockets: section of a policy: which address families a job may open sockets in, and in
 * which of them raw ones; with the table of family names policies use. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Names ---------------------------------------------------------------------------------- */

/* Address family numbers are the kernel's ABI (include/linux/socket.h); spelled out because libc
 * headers lag behind (AF_XDP, AF_MCTP). */
static const struct {
	const char *name;
	int af;
} family_names[] = {
	{"unix", 1},	    {"inet", 2},     {"ax25", 3},     {"ipx", 4},	{"appletalk", 5},
	{"netrom", 6},	    {"bridge", 7},   {"atmpvc", 8},   {"x25", 9},	{"inet6", 10},
	{"rose", 11},	    {"decnet", 12},  {"netbeui", 13}, {"security", 14}, {"key", 15},
	{"netlink", 16},    {"packet", 17},  {"ash", 18},     {"econet", 19},	{"atmsvc", 20},
	{"rds", 21},	    {"sna", 22},     {"irda", 23},    {"pppox", 24},	{"wanpipe", 25},
	{"llc", 26},	    {"ib", 27},	     {"mpls", 28},    {"can", 29},	{"tipc", 30},
	{"bluetooth", 31},  {"iucv", 32},    {"rxrpc", 33},   {"isdn", 34},	{"phonet", 35},
	{"ieee802154", 36}, {"caif", 37},    {"alg", 38},     {"nfc", 39},	{"vsock", 40},
	{"kcm", 41},	    {"qipcrtr", 42}, {"smc", 43},     {"xdp", 44},	{"mctp", 45},
};

_Static_assert(AF_UNIX == 1 && AF_INET == 2 && AF_INET6 == 10 && AF_NETLINK == 16 &&
		       AF_PACKET == 17 && AF_ALG == 38 && AF_VSOCK == 40,
	       "address family numbers");

int wd_family_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(family_names); i++)
		if (strcmp(family_names[i].name, name) == 0)
			return family_names[i].af;
	return -ENOENT;
}

const char *wd_family_name(int af)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(family_names); i++)
		if (family_names[i].af == af)
			return family_names[i].name;
	return NULL;
}

/* ---- The section ---------------------------------------------------------------------------- */

/* A list of family names into a bitmask; @allowed (when not NULL) must hold each one. */
static __u64 parse_families(struct parser *ps, yaml_node_t *v, const char *where,
			    const __u64 *allowed)
{
	yaml_node_item_t *it;
	__u64 mask = 0;

	if (!is_list(ps, v, where, true) || v->type != YAML_SEQUENCE_NODE)
		return 0;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = node_at(ps, *it);
		const char *s;
		int af;

		if (!n || !(s = nonempty_scalar(ps, n, "a socket family")))
			continue;
		af = wd_family_by_name(s);
		if (af < 0) {
			err_at(ps, n,
			       "unknown socket family \"%s\" in %s; expected a name such as unix, "
			       "inet, inet6, netlink, packet, vsock, alg or xdp",
			       s, where);
			continue;
		}
		if (allowed && !(*allowed & (1ull << af))) {
			err_at(ps, n,
			       "\"%s\" is in sockets.raw but not in sockets.allow; list it in both",
			       s);
			continue;
		}
		mask |= 1ull << af;
	}
	return mask;
}

void wd_parse_sockets(struct parser *ps, yaml_node_t *v)
{
	static const char *const names[] = {"allow", "raw"};
	yaml_node_t *vals[2], *keys[2];

	if (is_null(v))
		return;
	if (!map_fields(ps, v, "sockets", names, 2, vals, keys))
		return;
	if (vals[0])
		ps->p->families = parse_families(ps, vals[0], "sockets.allow", NULL);
	if (vals[1])
		ps->p->raw_families = parse_families(ps, vals[1], "sockets.raw", &ps->p->families);
}
