// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding the node's unix sockets at the start of a rung 3 sandbox (see sockets.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/mountinfo.h"
#include "policy/compile.h"
#include "sandbox/sockets.h"

WD_DEFINE_FREEP(dir, DIR, closedir)

struct walk {
	struct wd_sock_scan *s;
	const char *const *remote, *const *pseudo;
	wd_sock_allowed_fn allowed;
	void *ctx;
	int err;
};

static void note(char *at, size_t size, const char *path)
{
	if (!at[0])
		snprintf(at, size, "%s", path);
}

static int add_path(struct wd_sock_scan *s, const char *path)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->paths, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->paths = v;
		s->cap = cap;
	}
	s->paths[s->n] = strdup(path);
	if (!s->paths[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

/* A socket file at @path: to cover, unless the policy leaves it to the job. */
static void found(struct walk *w, const char *path)
{
	if (w->allowed && w->allowed(w->ctx, path))
		w->s->n_allowed++;
	else if (!w->err)
		w->err = add_path(w->s, path);
}

/* Whether @path is one of the mount points @v, or (@beneath) lies under one. */
static bool in_list(const char *const *v, const char *path, bool beneath)
{
	for (; v && *v; v++) {
		size_t len = strlen(*v);

		if (strcmp(*v, path) == 0 ||
		    (beneath && strncmp(*v, path, len) == 0 && (path[len] == '/' || len == 1)))
			return true;
	}
	return false;
}

/* The entries of the directory @fd (at @path, @len bytes of it) at @level, and the directories
 * among them while @level < @depth. Takes @fd. */
static void walk_dir(struct walk *w, int fd, char *path, size_t len, int level, int depth)
{
	_cleanup_with_(dirp) DIR *d = fdopendir(fd);
	struct dirent *de;

	if (!d) {
		close(fd);
		return;
	}
	while (!w->err && (de = readdir(d))) {
		unsigned char type = de->d_type;
		size_t nlen = strlen(de->d_name);
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (w->s->n_entries >= w->s->max_entries) {
			w->s->full = true;
			note(w->s->full_at, sizeof(w->s->full_at), path);
			return;
		}
		w->s->n_entries++;
		if (len + 1 + nlen >= PATH_MAX)
			continue;
		snprintf(path + len, PATH_MAX - len, "%s%s", len == 1 ? "" : "/", de->d_name);
		if (type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
				goto next;
			type = S_ISSOCK(st.st_mode)  ? DT_SOCK
			       : S_ISDIR(st.st_mode) ? DT_DIR
						     : DT_REG;
		}
		if (type == DT_SOCK) {
			found(w, path);
		} else if (type == DT_DIR && level >= depth) {
			w->s->n_deep++;
			note(w->s->deep_at, sizeof(w->s->deep_at), path);
		} else if (type == DT_DIR && in_list(w->pseudo, path, false)) {
			/* no socket files there */
		} else if (type == DT_DIR && in_list(w->remote, path, false)) {
			w->s->n_remote++;
			note(w->s->remote_at, sizeof(w->s->remote_at), path);
		} else if (type == DT_DIR) {
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk_dir(w, sub, path, strlen(path), level + 1, depth);
		}
	next:
		path[len] = '\0';
	}
}

/* Whether @path lies at @root or beneath it, and how many components below. */
static int below(const char *path, const char *root)
{
	size_t len = strlen(root);
	int n = 0;

	if (strcmp(root, "/") == 0)
		len = 0;
	else if (strncmp(path, root, len) != 0 || (path[len] != '\0' && path[len] != '/'))
		return -1;
	for (const char *p = path + len; *p; p++)
		n += *p == '/';
	return n;
}

/* The bound paths in @net_unix (/proc/net/unix: the last field of a line, when absolute). */
static void scan_net_unix(struct walk *w, const char *net_unix)
{
	const char *line = net_unix;
	struct stat st;

	for (size_t i = 0; line && *line && i < WD_SOCK_SCAN_BOUND && !w->err; i++) {
		const char *end = strchr(line, '\n'), *sp;
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char path[PATH_MAX];

		for (sp = line + len; sp > line && sp[-1] != ' '; sp--)
			;
		if (sp > line && *sp == '/' && (size_t)(line + len - sp) < sizeof(path)) {
			memcpy(path, sp, (size_t)(line + len - sp));
			path[line + len - sp] = '\0';
			if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
				found(w, path);
		}
		line = end ? end + 1 : NULL;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wd_sockets_scan_roots(const struct wd_sock_root *roots, size_t n_roots, const char *net_unix,
			  const char *const *remote, const char *const *pseudo, size_t max_entries,
			  wd_sock_allowed_fn allowed, void *ctx, struct wd_sock_scan *out)
{
	struct walk w = {
		.s = out, .remote = remote, .pseudo = pseudo, .allowed = allowed, .ctx = ctx};
	char(*real)[PATH_MAX] = calloc(n_roots + 1, PATH_MAX);
	int *depth = calloc(n_roots + 1, sizeof(*depth));
	size_t i, j, k;

	memset(out, 0, sizeof(*out));
	out->max_entries = max_entries;
	if (!real || !depth) {
		free(real);
		free(depth);
		return -ENOMEM;
	}
	/* /var/run is /run: each tree once, by its real name, to the deepest depth asked. */
	for (i = 0; i < n_roots; i++) {
		depth[i] = realpath(roots[i].path, real[i]) ? roots[i].depth : -1;
		for (j = 0; j < i && depth[i] >= 0; j++)
			if (depth[j] >= 0 && strcmp(real[i], real[j]) == 0) {
				depth[j] = depth[i] > depth[j] ? depth[i] : depth[j];
				depth[i] = -1;
			}
	}
	for (i = 0; i < n_roots && !w.err; i++) {
		char path[PATH_MAX];
		struct stat st;
		bool skip = depth[i] < 0;
		int fd;

		/* A root another one reaches to its full depth is read there. */
		for (j = 0; j < n_roots && !skip; j++) {
			int b = j != i && depth[j] >= 0 ? below(real[i], real[j]) : -1;

			skip = b > 0 && depth[j] >= b + depth[i];
		}
		if (skip || in_list(pseudo, real[i], true) || lstat(real[i], &st))
			continue;
		if (S_ISSOCK(st.st_mode)) {
			found(&w, real[i]);
			continue;
		}
		if (!S_ISDIR(st.st_mode) || depth[i] < 1)
			continue;
		if (in_list(remote, real[i], true)) {
			out->n_remote++;
			note(out->remote_at, sizeof(out->remote_at), real[i]);
			continue;
		}
		fd = open(real[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "%s", real[i]);
		walk_dir(&w, fd, path, strlen(path), 1, depth[i]);
	}
	free(real);
	free(depth);
	if (net_unix && !w.err)
		scan_net_unix(&w, net_unix);
	if (w.err) {
		wd_sockets_free(out);
		return w.err;
	}
	qsort(out->paths, out->n, sizeof(*out->paths), cmp_str);
	for (i = 0, k = 0; i < out->n; i++) {
		if (k && strcmp(out->paths[k - 1], out->paths[i]) == 0) {
			free(out->paths[i]);
			continue;
		}
		out->paths[k++] = out->paths[i];
	}
	out->n = k;
	return 0;
}

bool wd_sockets_allowed(const struct wd_compiled *c, const char *path)
{
	__u32 rid;

	if (wd_compiled_decide(c, path, false, WD_OP_UNIX, &rid) != WD_V_ALLOW)
		return false;
	if (wd_compiled_decide(c, path, false, WD_OP_READ, &rid) == WD_V_DENY &&
	    rid != WD_RULE_DEFAULT)
		return false;
	return !(wd_compiled_decide(c, path, false, WD_OP_WRITE, &rid) == WD_V_DENY &&
		 rid != WD_RULE_DEFAULT);
}

static bool allowed_by(void *ctx, const char *path)
{
	return wd_sockets_allowed(ctx, path);
}

/* Network and FUSE file systems: a scan there may hang on the server (counted as not scanned);
 * and file systems that hold no socket files (/proc, /sys: left silently). */
static const char *const remote_types[] = {"nfs",  "nfs4", "cifs", "smb3",   "smbfs",	 "9p",
					   "ceph", "afs",  "fuse", "lustre", "glusterfs"};
static const char *const pseudo_types[] = {
	"proc",	      "sysfs",	  "cgroup", "cgroup2",	"bpf",	       "debugfs", "tracefs",
	"securityfs", "configfs", "pstore", "efivarfs", "binfmt_misc", "fusectl", "nsfs"};

static bool type_in(const char *fstype, const char *const *types, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(types[i]);

		if (strncmp(fstype, types[i], len) == 0 && (!fstype[len] || fstype[len] == '.'))
			return true;
	}
	return false;
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The mount points of @remote and @pseudo file systems from /proc/self/mountinfo, each list
 * NULL-terminated. */
static int skip_mounts(char ***remote, char ***pseudo)
{
	_cleanup_file_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t n_remote = 0, n_pseudo = 0, cap = 0;
	int err = 0;

	*remote = calloc(1, sizeof(char *));
	*pseudo = calloc(1, sizeof(char *));
	if (!*remote || !*pseudo)
		err = -ENOMEM;
	while (!err && f && getline(&line, &cap, f) > 0) {
		char *point = NULL, *fstype = strstr(line, " - "), *save = NULL, *tok;
		int field = 0;

		if (!fstype)
			continue;
		*fstype = '\0';
		fstype = strtok_r(fstype + 3, " ", &save);
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			if (++field == 5)
				point = tok;
		if (!point || !fstype)
			continue;
		wd_mountinfo_unescape(point);
		if (type_in(fstype, remote_types, sizeof(remote_types) / sizeof(remote_types[0])))
			err = push(remote, &n_remote, point);
		else if (type_in(fstype, pseudo_types,
				 sizeof(pseudo_types) / sizeof(pseudo_types[0])))
			err = push(pseudo, &n_pseudo, point);
	}
	if (err) {
		strv_free(*remote);
		strv_free(*pseudo);
		*remote = *pseudo = NULL;
	}
	return err;
}

static char *read_all(const char *path)
{
	_cleanup_file_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, k;

	while (f) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap ? 2 * cap : 65536);

			if (!nb)
				break;
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		k = fread(buf + len, 1, cap - len - 1, f);
		len += k;
		if (!k)
			break;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Where node services and other users keep their sockets; 1 + levels of directories below. */
static const struct wd_sock_root node_roots[] = {
	{"/run", 6},
	{"/var/run", 6},
	{"/tmp", 5},
	{"/var/tmp", 5},
	{"/dev/shm", 3},
	{"/var/lib/docker", 3},
	{"/var/lib/containerd", 4},
	{"/var/lib/kubelet", 4},
	{"/root", 3},
	{"/home", 4},
};
#define N_NODE_ROOTS (sizeof(node_roots) / sizeof(node_roots[0]))
#define POLICY_DEPTH 6

int wd_sockets_scan(const struct wd_compiled *c, struct wd_sock_scan *out)
{
	_cleanup_free_ struct wd_sock_root *roots =
		calloc(N_NODE_ROOTS + c->n_exact + c->n_prefix + 1, sizeof(*roots));
	_cleanup_free_ char *net_unix = read_all("/proc/net/unix");
	char **remote = NULL, **pseudo = NULL;
	struct timespec t0, t1;
	size_t n = 0, i;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (!roots || skip_mounts(&remote, &pseudo))
		return -ENOMEM; /* skip_mounts frees what it made */
	for (i = 0; i < N_NODE_ROOTS; i++)
		roots[n++] = node_roots[i];
	/* The workdir: a socket there at the start is not the sandbox's (it has not started). */
	if (c->workdir)
		roots[n++] = (struct wd_sock_root){c->workdir, POLICY_DEPTH};
	/* The paths the unix deny rules name, and the trees where the hooks would let a socket
	 * pass as the sandbox's own (the write rules). */
	for (i = 0; i < c->n_exact; i++)
		if (c->exact[i].rule.verdict[WD_OP_UNIX] == WD_V_DENY ||
		    c->exact[i].rule.verdict[WD_OP_WRITE] == WD_V_ALLOW)
			roots[n++] = (struct wd_sock_root){c->exact[i].key.path, 0};
	for (i = 0; i < c->n_prefix; i++)
		if (c->prefix[i].rule.verdict[WD_OP_UNIX] == WD_V_DENY ||
		    c->prefix[i].rule.verdict[WD_OP_WRITE] == WD_V_ALLOW)
			roots[n++] = (struct wd_sock_root){c->prefix[i].key.path, POLICY_DEPTH};
	err = wd_sockets_scan_roots(roots, n, net_unix, (const char *const *)remote,
				    (const char *const *)pseudo, WD_SOCK_SCAN_ENTRIES, allowed_by,
				    (void *)c, out);
	strv_free(remote);
	strv_free(pseudo);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err)
		out->elapsed_us = (unsigned long)((t1.tv_sec - t0.tv_sec) * 1000000L +
						  (t1.tv_nsec - t0.tv_nsec) / 1000);
	return err;
}

void wd_sockets_describe(const struct wd_sock_scan *s, char *buf, size_t size)
{
	int k = snprintf(buf, size, "at this start: %zu covered, %zu allowed, %zu entries scanned",
			 s->n, s->n_allowed, s->n_entries);

	if (s->full && k >= 0 && (size_t)k < size)
		k += snprintf(
			buf + k, size - (size_t)k,
			"; NOT ENFORCED: the scan stopped at its bound of %zu entries (in %s)",
			s->max_entries, s->full_at);
	if (s->n_deep && k >= 0 && (size_t)k < size)
		k += snprintf(buf + k, size - (size_t)k,
			      "; NOT ENFORCED: %zu director%s below its depth bound (first %s)",
			      s->n_deep, s->n_deep == 1 ? "y" : "ies", s->deep_at);
	if (s->n_remote && k >= 0 && (size_t)k < size)
		snprintf(buf + k, size - (size_t)k,
			 "; NOT ENFORCED: %zu network or FUSE mount%s not scanned (first %s)",
			 s->n_remote, s->n_remote == 1 ? "" : "s", s->remote_at);
}

void wd_sockets_free(struct wd_sock_scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	memset(s, 0, sizeof(*s));
}
