// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing policies: libyaml's document API gives a node tree with marks, which is checked key by
 * key against the format of docs/policy.md. Every error is collected with its line and column;
 * a policy with any error is freed, never returned half-built. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "policy/policy.h"
#include "policy/path.h"
#include "lib/yamlx.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define POLICY_FILE_MAX (64u << 20) /* a 100,000-rule policy is a few MiB */
#define NAME_MAX_LEN	64
#define GLOB_MAX_LEN	233 /* "kind:name" at its longest */

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

static bool is_graph(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int wd_identity_valid(const char *id)
{
	const char *colon = strchr(id, ':');
	size_t klen, nlen, i;

	if (!colon)
		return -EINVAL;
	klen = (size_t)(colon - id);
	if (klen < 1 || klen > 32 || id[0] < 'a' || id[0] > 'z')
		return -EINVAL;
	for (i = 1; i < klen; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '-'))
			return -EINVAL;
	nlen = strlen(colon + 1);
	if (nlen < 1 || nlen > 200)
		return -EINVAL;
	for (i = 0; i < nlen; i++)
		if (!is_graph((unsigned char)colon[1 + i]))
			return -EINVAL;
	return 0;
}

bool wd_policy_applies_to(const struct wd_policy *p, const char *identity)
{
	size_t i;

	if (wd_identity_valid(identity))
		return false;
	for (i = 0; i < p->n_identities; i++)
		if (fnmatch(p->identities[i], identity, 0) == 0)
			return true;
	return false;
}

/* ---- The model ------------------------------------------------------------------------------ */

static void path_list_free(struct wd_path_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
}

static void net_list_free(struct wd_net_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].ports);
	}
	free(l->v);
}

void wd_policy_free(struct wd_policy *p)
{
	size_t i;
	int op, e;

	if (!p)
		return;
	free(p->source);
	free(p->name);
	for (i = 0; i < p->n_identities; i++)
		free(p->identities[i]);
	free(p->identities);
	for (op = 0; op < WD_OP_NR; op++)
		for (e = 0; e < WD_EFFECT_NR; e++)
			path_list_free(&p->paths[op][e]);
	for (e = 0; e < WD_EFFECT_NR; e++) {
		net_list_free(&p->net[e]);
		for (i = 0; i < p->abstract[e].n; i++)
			free(p->abstract[e].v[i].text);
		free(p->abstract[e].v);
	}
	free(p);
}

/* ---- The walk over libyaml's nodes (user/lib/yamlx.c) ---------------------------------------- */

struct parser {
	struct wd_yaml y;
	struct wd_policy *p;
};

#define err_at(ps, ...)			  wd_yaml_err(&(ps)->y, __VA_ARGS__)
#define node_at(ps, i)			  wd_yaml_node(&(ps)->y, i)
#define type_name(n)			  wd_yaml_type_name(n)
#define is_null(n)			  wd_yaml_is_null(n)
#define scalar(ps, n, what)		  wd_yaml_scalar(&(ps)->y, n, what)
#define nonempty_scalar(ps, n, what)	  wd_yaml_nonempty(&(ps)->y, n, what)
#define seq_len(n)			  wd_yaml_seq_len(n)
#define is_list(ps, n, what, null_ok)	  wd_yaml_is_list(&(ps)->y, n, what, null_ok)
#define map_fields(ps, m, w, nm, n, v, k) wd_yaml_map_fields(&(ps)->y, m, w, nm, n, v, k)

static void *ps_calloc(struct parser *ps, size_t n, size_t size)
{
	void *m = calloc(n ? n : 1, size);

	if (!m)
		ps->y.oom = true;
	return m;
}

static char *ps_strdup(struct parser *ps, const char *s)
{
	char *d = strdup(s);

	if (!d)
		ps->y.oom = true;
	return d;
}

/* ---- Sections ------------------------------------------------------------------------------- */

static void parse_version(struct parser *ps, yaml_node_t *v)
{
	const char *s = nonempty_scalar(ps, v, "version");

	if (!s)
		return;
	if (strcmp(s, "1") != 0) {
		if (strspn(s, "0123456789") == strlen(s))
			err_at(ps, v, "unsupported version %s; this warden reads version 1", s);
		else
			err_at(ps, v, "version must be the number 1, not \"%s\"", s);
	}
}

static void parse_name(struct parser *ps, yaml_node_t *v)
{
	const char *s = nonempty_scalar(ps, v, "name");
	size_t len;

	if (!s)
		return;
	len = strlen(s);
	if (len > NAME_MAX_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len) {
		err_at(ps, v, "bad name \"%s\": 1 to %d of A-Z a-z 0-9 . _ -", s, NAME_MAX_LEN);
		return;
	}
	ps->p->name = ps_strdup(ps, s);
}

static void parse_identities(struct parser *ps, yaml_node_t *v)
{
	struct wd_policy *p = ps->p;
	yaml_node_item_t *it;

	if (!is_list(ps, v, "identities", false))
		return;
	if (seq_len(v) == 0) {
		err_at(ps, v,
		       "identities must not be empty: list the identities (globs such as "
		       "\"ci:*\") the policy applies to");
		return;
	}
	p->identities = ps_calloc(ps, seq_len(v), sizeof(*p->identities));
	if (!p->identities)
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = node_at(ps, *it);
		const char *s, *c;

		if (!n || !(s = nonempty_scalar(ps, n, "an identity")))
			continue;
		for (c = s; *c && is_graph((unsigned char)*c); c++)
			;
		if (*c || strlen(s) > GLOB_MAX_LEN) {
			err_at(ps, n,
			       "bad identity glob \"%s\": at most %d printable characters, no "
			       "spaces",
			       s, GLOB_MAX_LEN);
			continue;
		}
		p->identities[p->n_identities] = ps_strdup(ps, s);
		if (p->identities[p->n_identities])
			p->n_identities++;
	}
}

/* A scalar that must be one of two words; returns the index or -1. */
static int parse_choice(struct parser *ps, yaml_node_t *v, const char *what, const char *a,
			const char *b)
{
	const char *s = nonempty_scalar(ps, v, what);

	if (!s)
		return -1;
	if (strcmp(s, a) == 0)
		return 0;
	if (strcmp(s, b) == 0)
		return 1;
	err_at(ps, v, "bad %s \"%s\"; expected %s or %s", what, s, a, b);
	return -1;
}

/* Whether @s, variables skipped, holds a wildcard character. */
static bool has_wildcard(const char *s)
{
	while (*s) {
		if (s[0] == '$' && s[1] == '{') {
			const char *end = strchr(s, '}');

			if (!end)
				return false;
			s = end + 1;
			continue;
		}
		if (*s == '*' || *s == '?' || *s == '[')
			return true;
		s++;
	}
	return false;
}

/* "/proc/ * /NAME" with NAME of [a-z_]{1,15}. */
static bool is_proc_rule(const char *s)
{
	size_t len;

	if (strncmp(s, "/proc/*/", 8) != 0)
		return false;
	len = strlen(s + 8);
	return len >= 1 && len < WD_NAME_MAX && strspn(s + 8, "abcdefghijklmnopqrstuvwxyz_") == len;
}

/* Whether @s is "${workdir}/", repeated slashes aside. */
static bool is_workdir_root(const char *s)
{
	size_t n = strlen("${workdir}");

	if (strncmp(s, "${workdir}", n) != 0 || s[n] != '/')
		return false;
	return strspn(s + n, "/") == strlen(s + n);
}

static void parse_path(struct parser *ps, yaml_node_t *n, const char *where,
		       struct wd_path_list *list)
{
	static const struct wd_policy_ctx placeholders = {WD_PLACEHOLDER_WORKDIR,
							  WD_PLACEHOLDER_HOME};
	struct wd_path_rule *r;
	char out[4096], why_buf[160];
	const char *s, *why;
	size_t len;

	if (!(s = nonempty_scalar(ps, n, "a path")))
		return;
	len = strlen(s);
	if (has_wildcard(s)) {
		if (!is_proc_rule(s)) {
			err_at(ps, n,
			       "bad wildcard in path \"%s\": the only wildcard form allowed is "
			       "\"/proc/*/NAME\" (NAME: [a-z_]{1,15}); other paths are exact "
			       "files, "
			       "or prefixes ending in \"/\"",
			       s);
			return;
		}
	} else if (s[0] != '/' && strncmp(s, "${", 2) != 0) {
		err_at(ps, n,
		       "relative path \"%s\" in %s: paths must be absolute (start with \"/\", "
		       "\"${workdir}\" or \"${home}\")",
		       s, where);
		return;
	} else if (wd_path_expand(s, &placeholders, out, sizeof(out), why_buf, sizeof(why_buf),
				  &why)) {
		err_at(ps, n, "bad path \"%s\" in %s: %s", s, where, why);
		return;
	} else if (!strstr(s, "${") && strlen(out) > WD_PATH_MAX - 1) {
		err_at(ps, n, "path in %s is %zu bytes long; at most %d are allowed", where,
		       strlen(out), WD_PATH_MAX - 1);
		return;
	}
	r = &list->v[list->n];
	r->text = ps_strdup(ps, s);
	if (!r->text)
		return;
	r->loc.line = (int)n->start_mark.line + 1;
	r->loc.col = (int)n->start_mark.column + 1;
	r->kind = has_wildcard(s)     ? WD_PATH_PROC
		  : s[len - 1] == '/' ? WD_PATH_PREFIX
				      : WD_PATH_EXACT;
	r->uses_workdir = strstr(s, "${workdir}") != NULL;
	r->uses_home = strstr(s, "${home}") != NULL;
	r->workdir_root = is_workdir_root(s);
	ps->p->uses_workdir |= r->uses_workdir;
	ps->p->uses_home |= r->uses_home;
	list->n++;
}

static void parse_path_list(struct parser *ps, yaml_node_t *v, const char *where,
			    struct wd_path_list *list)
{
	yaml_node_item_t *it;

	if (!is_list(ps, v, where, true) || v->type != YAML_SEQUENCE_NODE)
		return;
	list->v = ps_calloc(ps, seq_len(v), sizeof(*list->v));
	if (!list->v)
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = node_at(ps, *it);

		if (n)
			parse_path(ps, n, where, list);
	}
}

/* allow/deny lists of paths for @op. */
static void parse_allow_deny_paths(struct parser *ps, yaml_node_t *v, const char *where, int op)
{
	static const char *const names[] = {"allow", "deny"};
	yaml_node_t *vals[2], *keys[2];
	char sub[64];
	int e;

	if (is_null(v))
		return;
	if (!map_fields(ps, v, where, names, 2, vals, keys))
		return;
	for (e = 0; e < WD_EFFECT_NR; e++) {
		if (!vals[e])
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", where, names[e]);
		parse_path_list(ps, vals[e], sub, &ps->p->paths[op][e]);
	}
}

static void parse_files(struct parser *ps, yaml_node_t *v)
{
	static const char *const names[] = {"read", "write"};
	yaml_node_t *vals[2], *keys[2];

	if (is_null(v))
		return;
	if (!map_fields(ps, v, "files", names, 2, vals, keys))
		return;
	if (vals[0])
		parse_allow_deny_paths(ps, vals[0], "files.read", WD_OP_READ);
	if (vals[1])
		parse_allow_deny_paths(ps, vals[1], "files.write", WD_OP_WRITE);
}

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
		parse_path(ps, vals[3], where, &ps->p->paths[WD_OP_UNIX][effect]);
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

static void parse_network(struct parser *ps, yaml_node_t *v)
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

static void parse_sockets(struct parser *ps, yaml_node_t *v)
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

static void parse_root(struct parser *ps, yaml_node_t *root)
{
	enum { VERSION, NAME, IDENTITIES, MODE, FILELESS, EXEC, FILES, NETWORK, SOCKETS, NKEYS };
	static const char *const names[NKEYS] = {
		"version", "name",  "identities", "mode",    "fileless_exec",
		"exec",	   "files", "network",	  "sockets",
	};
	yaml_node_t *vals[NKEYS], *keys[NKEYS];
	struct wd_policy *p = ps->p;
	int i, c;

	if (!map_fields(ps, root, "the policy", names, NKEYS, vals, keys))
		return;
	for (i = VERSION; i <= IDENTITIES; i++)
		if (!vals[i])
			err_at(ps, root, "missing required key \"%s\"", names[i]);
	if (vals[VERSION])
		parse_version(ps, vals[VERSION]);
	if (vals[NAME])
		parse_name(ps, vals[NAME]);
	if (vals[IDENTITIES])
		parse_identities(ps, vals[IDENTITIES]);
	if (vals[MODE] && (c = parse_choice(ps, vals[MODE], "mode", "enforce", "audit")) >= 0)
		p->audit = c == 1;
	if (vals[FILELESS] &&
	    (c = parse_choice(ps, vals[FILELESS], "fileless_exec", "deny", "allow")) >= 0)
		p->allow_fileless = c == 1;
	if (vals[EXEC])
		parse_allow_deny_paths(ps, vals[EXEC], "exec", WD_OP_EXEC);
	if (vals[FILES])
		parse_files(ps, vals[FILES]);
	if (vals[NETWORK])
		parse_network(ps, vals[NETWORK]);
	p->families = 1ull << AF_UNIX | 1ull << AF_INET | 1ull << AF_INET6;
	if (vals[SOCKETS])
		parse_sockets(ps, vals[SOCKETS]);
}

int wd_policy_parse_string(const char *name, const char *yaml, size_t len, struct wd_policy **out,
			   struct wd_diags *diags)
{
	struct parser ps = {.y = {.file = name, .diags = diags}};
	size_t op, e, total = 0;
	yaml_document_t doc;
	yaml_parser_t yp;
	yaml_node_t *root;
	int ret;

	*out = NULL;
	if (!name)
		name = ps.y.file = "<policy>";
	ret = wd_yaml_load(&ps.y, &yp, &doc, yaml, len, "policy");
	if (ret)
		return ret;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		wd_diags_add(diags, name, 0, 0,
			     "the policy is empty; version, name and identities are required");
		ps.y.errors++;
		goto out;
	}
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p || !(ps.p->source = strdup(name))) {
		ps.y.oom = true;
		goto out;
	}
	parse_root(&ps, root);
	for (op = 0; op < WD_OP_NR; op++)
		for (e = 0; e < WD_EFFECT_NR; e++)
			total += ps.p->paths[op][e].n;
	ps.p->n_rules = total + ps.p->net[WD_ALLOW].n + ps.p->net[WD_DENY].n +
			(ps.p->to_sandbox ? 1 : 0) + ps.p->abstract[WD_ALLOW].n +
			ps.p->abstract[WD_DENY].n;
out:
	ret = wd_yaml_done(&ps.y, &yp, &doc);
	if (ret)
		wd_policy_free(ps.p);
	else
		*out = ps.p;
	return ret;
}

int wd_policy_parse_fd(int fd, const char *name, struct wd_policy **out, struct wd_diags *diags)
{
	size_t len;
	char *buf;
	int ret;

	*out = NULL;
	ret = wd_yaml_read_fd(fd, name, POLICY_FILE_MAX, &buf, &len, diags);
	if (ret)
		return ret;
	ret = wd_policy_parse_string(name, buf, len, out, diags);
	free(buf);
	return ret;
}

int wd_policy_parse_file(const char *path, struct wd_policy **out, struct wd_diags *diags)
{
	size_t len;
	char *buf;
	int ret;

	*out = NULL;
	ret = wd_yaml_read_file(path, POLICY_FILE_MAX, &buf, &len, diags);
	if (ret)
		return ret;
	ret = wd_policy_parse_string(path, buf, len, out, diags);
	free(buf);
	return ret;
}
