/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The node's unix sockets at the start of a rung 3 sandbox: found in a bounded scan of the places
 * node services and other users keep them, for the mount plan to cover each one no "unix:" rule
 * allows (mounts.h, wd_mounts_plan_sockets). The cgroup hooks decide a connect by the path as
 * written (bpf/cgroup/unix.bpf.h): a symbolic link, a relative path or another user's socket
 * under the write rules pass as the sandbox's own there. A socket covered by a mount is not
 * reached by any name: every lookup of it ends on the cover. Sockets made after the start are
 * the hooks' only. The scan is bounded (directory entries, depth): what it did not see is
 * counted, for the report to say. */
#ifndef WD_SANDBOX_SOCKETS_H
#define WD_SANDBOX_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>

struct wd_compiled;

/* Bounds of a scan: directory entries read over all roots. */
#define WD_SOCK_SCAN_ENTRIES 60000
/* Lines of /proc/net/unix read (sockets bound in this network namespace, any path). */
#define WD_SOCK_SCAN_BOUND 20000

/* One place to scan, to @depth levels of directories below it (1: its entries only). */
struct wd_sock_root {
	const char *path;
	int depth;
};

struct wd_sock_scan {
	char **paths; /* the sockets to cover, sorted, each once */
	size_t n, cap;
	size_t n_allowed;   /* found and allowed by a unix: rule: left as they are */
	size_t n_entries;   /* directory entries read */
	size_t max_entries; /* the bound on them */
	bool full;	    /* the bound was reached: the scan stopped */
	char full_at[256];  /* the directory it stopped in */
	size_t n_deep;	    /* directories not entered: deeper than their root's depth */
	char deep_at[256];  /* the first of them */
	size_t n_remote;    /* mounts not entered: network and FUSE file systems */
	char remote_at[256];
	unsigned long elapsed_us; /* how long wd_sockets_scan took */
};

/* Whether the socket at @path is left to the job; NULL: none is. */
typedef bool (*wd_sock_allowed_fn)(void *ctx, const char *path);

/* Scans @roots (n_roots of them; the ones under an earlier root within its depth are skipped)
 * and, when @net_unix is not NULL, the bound paths listed in it (the format of /proc/net/unix),
 * for unix socket files. @remote and @pseudo (may be NULL, else NULL-terminated): mount points
 * not to enter, counted as not scanned (network and FUSE file systems) or not (/proc, /sys).
 * Returns 0 or -ENOMEM. */
int wd_sockets_scan_roots(const struct wd_sock_root *roots, size_t n_roots, const char *net_unix,
			  const char *const *remote, const char *const *pseudo, size_t max_entries,
			  wd_sock_allowed_fn allowed, void *ctx, struct wd_sock_scan *out);

/* The scan for a sandbox of @c: /run, /var/run, /tmp, /var/tmp, /dev/shm, /var/lib/docker,
 * /var/lib/containerd, /var/lib/kubelet, /root and /home/ *, the paths @c's unix deny rules name,
 * the trees its write rules allow, its workdir, and /proc/net/unix; each socket that @c's
 * "unix:" rules do not allow (wd_sockets_allowed) goes to @out->paths. Returns 0 or -ENOMEM. */
int wd_sockets_scan(const struct wd_compiled *c, struct wd_sock_scan *out);

/* Whether @c leaves the socket at @path to the job: a unix: rule allows it, and no file rule of
 * its own denies reading or writing it (as the cgroup hook decides, path_verdict). */
bool wd_sockets_allowed(const struct wd_compiled *c, const char *path);

/* One line for the report: what the scan covered, and what it did not see. */
void wd_sockets_describe(const struct wd_sock_scan *s, char *buf, size_t size);

void wd_sockets_free(struct wd_sock_scan *s);

#endif
