// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The network: section of a policy: "to:" an address (with ports and protocol), "to: sandbox",
 * "unix:" a socket path and "abstract:" a socket name, in allow and deny lists. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/internal.h"

/* "any", an address, or address/prefix. */
static int parse_cidr(const char *s, struct wd_net_rule *r, char *why, size_t why_size)
{
	char addr[64], masked[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned int max, plen, i;
	struct in_addr a4;
	bool v4;

	memset(r->addr, 0, sizeof(r->addr));
	if (strcmp(s, "any") == 0) {
		r->plen = 0;
		return 0;
	}
	if ((slash ? (size_t)(slash - s) : strlen(s)) >= sizeof(addr)) {
		snprintf(why, why_size, "not an address");
		return -EINVAL;
	}
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		v4 = true;
		max = 32;
		r->addr[10] = 0xff;
		r->addr[11] = 0xff;
		memcpy(&r->addr[12], &a4, 4);
	} else if (inet_pton(AF_INET6, addr, r->addr) == 1) {
		v4 = false;
		max = 128;
	} else {
		snprintf(
			why, why_size,
			"\"%s\" is not an IPv4 or IPv6 address (expected a CIDR such as 10.0.0.0/8 "
			"or fd00::/8, an address, or any)",
			addr);
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		const char *d = slash + 1;

		if (!*d || strlen(d) > 3 || strspn(d, "0123456789") != strlen(d) ||
		    (plen = (unsigned int)atoi(d)) > max) {
			snprintf(why, why_size, "bad prefix length \"/%s\"; expected /0 to /%u", d,
				 max);
			return -EINVAL;
		}
	}
	r->plen = (v4 ? 96 : 0) + plen;
	for (i = r->plen; i < 128; i++) {
		if (r->addr[i / 8] & (0x80 >> (i % 8)))
			break;
	}
	if (i < 128) {
		__u8 m[16];

		memcpy(m, r->addr, 16);
		for (i = r->plen; i < 128; i++)
			m[i / 8] &= (__u8) ~(0x80 >> (i % 8));
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (const void *)&m[12] : (const void *)m,
			  masked, sizeof(masked));
		snprintf(why, why_size, "host bits set in \"%s\" (did you mean %s/%u?)", s, masked,
			 plen);
		return -EINVAL;
	}
	return 0;
}

/* One port ("443") or range ("8000-8100"). */
static int parse_port(const char *s, struct wd_port_range *pr, char *why, size_t why_size)
{
	unsigned long lo, hi;
	const char *dash;
	char *end;

	if (!*s || !strchr("0123456789", s[0]))
		goto bad;
	lo = strtoul(s, &end, 10);
	dash = end;
	if (*dash == '\0') {
		hi = lo;
	} else if (*dash == '-' && dash[1] >= '0' && dash[1] <= '9') {
		hi = strtoul(dash + 1, &end, 10);
		if (*end)
			goto bad;
	} else {
		goto bad;
	}
	if (lo == 0 || hi == 0 || lo > 65535 || hi > 65535) {
		snprintf(why, why_size, "bad port \"%s\": ports are 1 to 65535", s);
		return -EINVAL;
	}
	if (lo > hi) {
		snprintf(why, why_size, "bad port range \"%s\": the low port must come first", s);
		return -EINVAL;
	}
	pr->lo = (__u16)lo;
	pr->hi = (__u16)hi;
	return 0;
bad:
	snprintf(why, why_size,
		 "bad port \"%s\"; expected a number 1 to 65535 or a range \"lo-hi\"", s);
	return -EINVAL;
}

/* An item with "to:" an address (@vals: its to, ports and protocol; to is there). */
static void parse_net_addr(struct parser *ps, const char *where, struct wd_net_list *list,
			   yaml_node_t **vals)
{
	struct wd_net_rule r = {0};
	char why[200];
	const char *s;
	bool ok = true;

	if ((s = nonempty_scalar(ps, vals[0], "to"))) {
		if (parse_cidr(s, &r, why, sizeof(why))) {
			err_at(ps, vals[0], "bad address in %s: %s", where, why);
			ok = false;
		}
	} else {
		ok = false;
	}
	r.proto = WD_PROTO_ANY;
	if (vals[2]) {
		s = nonempty_scalar(ps, vals[2], "protocol");
		if (!s)
			ok = false;
		else if (strcmp(s, "tcp") == 0)
			r.proto = WD_PROTO_TCP;
		else if (strcmp(s, "udp") == 0)
			r.proto = WD_PROTO_UDP;
		else if (strcmp(s, "any") != 0) {
			err_at(ps, vals[2], "bad protocol \"%s\"; expected tcp, udp or any", s);
			ok = false;
		}
	}
	if (vals[1]) {
		yaml_node_t *pv = vals[1];
		yaml_node_item_t *it;

		if (!is_list(ps, pv, "ports", true)) {
			ok = false;
		} else if (pv->type != YAML_SEQUENCE_NODE || seq_len(pv) == 0) {
			err_at(ps, pv, "ports is empty; leave it out to mean any port");
			ok = false;
		} else if ((r.ports = ps_calloc(ps, seq_len(pv), sizeof(*r.ports)))) {
			for (it = pv->data.sequence.items.start; it < pv->data.sequence.items.top;
			     it++) {
				yaml_node_t *pn = node_at(ps, *it);

				if (!pn || !(s = nonempty_scalar(ps, pn, "a port"))) {
					ok = false;
					continue;
				}
				if (parse_port(s, &r.ports[r.n_ports], why, sizeof(why))) {
					err_at(ps, pn, "%s", why);
					ok = false;
					continue;
				}
				r.n_ports++;
			}
		} else {
			ok = false;
		}
	} else if ((r.ports = ps_calloc(ps, 1, sizeof(*r.ports)))) {
		r.ports[0].lo = 0;
		r.ports[0].hi = 65535;
		r.n_ports = 1;
	} else {
		ok = false;
	}
	if (ok)
		r.text = ps_strdup(ps, (const char *)vals[0]->data.scalar.value);
	if (!ok || !r.text) {
		free(r.ports);
		free(r.text);
		return;
	}
	r.loc.line = (int)vals[0]->start_mark.line + 1;
	r.loc.col = (int)vals[0]->start_mark.column + 1;
	list->v[list->n++] = r;
}

/* "abstract: NAME" or "abstract: PREFIX*": the name without the leading NUL, printable ASCII. */
static void parse_abstract(struct parser *ps, yaml_node_t *n, const char *where,
			   struct wd_abstract_list *list)
{
	struct wd_abstract_src *r = &list->v[list->n];
	const char *s = nonempty_scalar(ps, n, "abstract");
	size_t len;

	if (!s)
		return;
	len = strlen(s);
	r->prefix = len > 0 && s[len - 1] == '*';
	if (r->prefix)
		len--;
	if (len == 0) {
		err_at(ps, n,
		       "empty abstract socket name in %s; a prefix needs at least one byte "
		       "before the *",
		       where);
		return;
	}
	if (len > WD_ABSTRACT_NAME_MAX) {
		err_at(ps, n,
		       "abstract socket name in %s is %zu bytes long; at most %d are allowed",
		       where, len, WD_ABSTRACT_NAME_MAX);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '*') {
			err_at(ps, n,
			       "bad abstract socket name \"%s\" in %s: printable characters "
			       "without "
			       "spaces, and \"*\" only at the end (a prefix); leave out the "
			       "leading "
			       "NUL or \"@\" tools show",
			       s, where);
			return;
		}
	}
	if (s[0] == '@') {
		err_at(ps, n,
		       "abstract socket name \"%s\" in %s starts with \"@\": tools print \"@\" for "
		       "the leading NUL; write the name without it",
		       s, where);
		return;
	}
	r->text = ps_strdup(ps, s);
	if (!r->text)
		return;
	memcpy(r->name, s, len);
	r->len = (__u8)len;
	r->loc.line = (int)n->start_mark.line + 1;
	r->loc.col = (int)n->start_mark.column + 1;
	list->n++;
}

/* One item of network.allow or network.deny: "to:" an address (with ports and protocol), "to:
 * sandbox", "unix:" a socket path, or "abstract:" a socket name. */
static void parse_net_item(struct parser *ps, yaml_node_t *n, const char *where, int effect)
{
	static const char *const names[] = {"to", "ports", "protocol", "unix", "abstract"};
	yaml_node_t *vals[5], *keys[5];
	int kinds = 0;
	const char *s;

	if (n->type != YAML_MAPPING_NODE) {
		err_at(ps, n,
		       "items of %s must be mappings such as \"- to: 10.0.0.0/8\" or \"- unix: "
		       "/run/app.sock\", not %s",
		       where, type_name(n));
		return;
	}
	if (!map_fields(ps, n, where, names, 5, vals, keys))
		return;
	kinds = !!vals[0] + !!vals[3] + !!vals[4];
	if (kinds != 1) {
		err_at(ps, n,
		       kinds ? "an item of %s names one destination: \"to\", \"unix\" or "
			       "\"abstract\", not several"
			     : "missing key \"to\", \"unix\" or \"abstract\" in %s: the address, "
			       "CIDR, any or sandbox; a unix socket's path; or an abstract "
			       "socket's "
			       "name",
		       where);
		return;
	}
	if ((vals[3] || vals[4]) && (vals[1] || vals[2])) {
		err_at(ps, vals[1] ? keys[1] : keys[2],
		       "\"%s\" does not apply to unix sockets in %s; leave it out",
		       vals[1] ? "ports" : "protocol", where);
		return;
	}
	if (vals[3]) {
		s = nonempty_scalar(ps, vals[3], "unix");
		if (!s)
			return;
		if (strncmp(s, "/proc/", 6) == 0 || strchr(s, '*')) {
			err_at(ps, vals[3],
			       "bad unix socket path \"%s\" in %s: an exact path, or a directory "
			       "ending in \"/\" for every socket under it; no wildcards",
			       s, where);
			return;
		}
		wd_parse_path(ps, vals[3], where, &ps->p->paths[WD_OP_UNIX][effect]);
		return;
	}
	if (vals[4]) {
		parse_abstract(ps, vals[4], where, &ps->p->abstract[effect]);
		return;
	}
	s = vals[0]->type == YAML_SCALAR_NODE ? (const char *)vals[0]->data.scalar.value : NULL;
	if (s && strcmp(s, "sandbox") == 0) {
		if (effect == WD_DENY) {
			err_at(ps, vals[0],
			       "\"to: sandbox\" in %s: the sandbox's own listeners can only be "
			       "allowed (what nothing allows is denied)",
			       where);
			return;
		}
		if (vals[1] || vals[2]) {
			err_at(ps, vals[1] ? keys[1] : keys[2],
			       "\"to: sandbox\" takes no %s: it allows the sandbox's own "
			       "listeners, "
			       "whatever their port",
			       vals[1] ? "ports" : "protocol");
			return;
		}
		if (ps->p->to_sandbox) {
			err_at(ps, vals[0], "\"to: sandbox\" is already in %s (line %d)", where,
			       ps->p->sandbox_loc.line);
			return;
		}
		ps->p->to_sandbox = true;
		ps->p->sandbox_loc.line = (int)vals[0]->start_mark.line + 1;
		ps->p->sandbox_loc.col = (int)vals[0]->start_mark.column + 1;
		return;
	}
	parse_net_addr(ps, where, &ps->p->net[effect], vals);
}

void wd_parse_network(struct parser *ps, yaml_node_t *v)
{
	static const char *const names[] = {"allow", "deny"};
	yaml_node_t *vals[2], *keys[2];
	int e;

	if (is_null(v))
		return;
	if (!map_fields(ps, v, "network", names, 2, vals, keys))
		return;
	for (e = 0; e < WD_EFFECT_NR; e++) {
		const char *where = e == WD_ALLOW ? "network.allow" : "network.deny";
		struct wd_net_list *list = &ps->p->net[e];
		struct wd_path_list *unix_list = &ps->p->paths[WD_OP_UNIX][e];
		struct wd_abstract_list *abs_list = &ps->p->abstract[e];
		yaml_node_item_t *it;

		if (!vals[e] || !is_list(ps, vals[e], where, true) ||
		    vals[e]->type != YAML_SEQUENCE_NODE)
			continue;
		/* Each list can take every item. */
		list->v = ps_calloc(ps, seq_len(vals[e]), sizeof(*list->v));
		unix_list->v = ps_calloc(ps, seq_len(vals[e]), sizeof(*unix_list->v));
		abs_list->v = ps_calloc(ps, seq_len(vals[e]), sizeof(*abs_list->v));
		if (!list->v || !unix_list->v || !abs_list->v)
			continue;
		for (it = vals[e]->data.sequence.items.start; it < vals[e]->data.sequence.items.top;
		     it++) {
			yaml_node_t *n = node_at(ps, *it);

			if (n)
				parse_net_item(ps, n, where, e);
		}
	}
}
