/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What /proc tells about the process of an event (its gid, start time, executable, cgroup, and
 * its parents), and the pid cache in front of it that spares /proc reads. */
#ifndef WD_EVENT_PROC_H
#define WD_EVENT_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "warden/abi.h"

/* What /proc tells about a live process; strings are NUL-terminated. */
struct wd_proc_info {
	uint32_t ppid;
	uint32_t gid;
	uint64_t start_ticks; /* /proc/PID/stat field 22: start time in clock ticks since boot */
	char comm[WD_COMM_LEN];
	char exe[WD_PATH_MAX];
	char cgroup[WD_PATH_MAX]; /* cgroup v2 path relative to the mount, "/warden/sb-..." */
};

/* Looks up @pid: 0 with *@out at its facts, either @buf filled in or storage of the callee's
 * own (a cache's entry) that stays valid until the next call with the same @arg, so that a
 * cache hit copies nothing; or -errno (-ENOENT: the process is gone). */
typedef int (*wd_proc_lookup_fn)(void *arg, uint32_t pid, struct wd_proc_info *buf,
				 const struct wd_proc_info **out);

/* The /proc reader for wd_event_ctx.proc_lookup. @proc_root is the procfs directory as a
 * const char * (NULL: "/proc"), so tests can point it at a fake tree. */
int wd_proc_lookup_procfs(void *proc_root, uint32_t pid, struct wd_proc_info *out);

/* /proc/sys/kernel/random/boot_id into @buf (37 bytes); returns 0 or -errno. */
int wd_boot_id(char *buf, size_t size);

/* A small cache in front of wd_proc_lookup_procfs(): entries live for @ttl_ms and are dropped
 * when their process execs (wd_proc_cache_forget). */
struct wd_proc_cache;
struct wd_proc_cache *wd_proc_cache_new(unsigned ttl_ms);
void wd_proc_cache_free(struct wd_proc_cache *c);
void wd_proc_cache_forget(struct wd_proc_cache *c, uint32_t pid);
/* A wd_proc_lookup_fn: @arg is the cache. A hit points *@out into the cache. */
int wd_proc_cache_lookup(void *arg, uint32_t pid, struct wd_proc_info *buf,
			 const struct wd_proc_info **out);
/* Reads through @read (called as @read(@arg, pid, out)) instead of wd_proc_lookup_procfs(). */
void wd_proc_cache_set_reader(struct wd_proc_cache *c,
			      int (*read)(void *arg, uint32_t pid, struct wd_proc_info *out),
			      void *arg);
struct wd_event_ctx;
/* Points @ctx's proc_lookup at @c, with its generation and lifetime, so that wd_event_pack()
 * may keep processes packed (wd_event_ctx.proc_gen). */
void wd_proc_cache_ctx(struct wd_proc_cache *c, struct wd_event_ctx *ctx);
/* /proc reads and answers from the cache, since it was made. */
void wd_proc_cache_stats(const struct wd_proc_cache *c, uint64_t *reads, uint64_t *hits);

#endif
