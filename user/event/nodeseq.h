/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The node's event sequence counter, shared by every warden process on the node through a
 * MAP_SHARED page of a file under /run/warden, and the pid cache that spares /proc reads. */
#ifndef WD_NODESEQ_H
#define WD_NODESEQ_H

#include <stdint.h>

#include "event/event.h"

#define WD_RUN_DIR	 "/run/warden"
#define WD_NODE_SEQ_FILE WD_RUN_DIR "/seq"

/* Maps the counter at @path (created when missing, seeded with CLOCK_REALTIME in ns, so it keeps
 * growing across reboots). *@counter points into the shared page; update it only with atomic
 * operations. Returns 0 or -errno. */
int wd_node_seq_open(const char *path, uint64_t **counter);
void wd_node_seq_close(uint64_t *counter);

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
/* Points @ctx's proc_lookup at @c, with its generation and lifetime, so that wd_event_pack()
 * may keep processes packed (wd_event_ctx.proc_gen). */
void wd_proc_cache_ctx(struct wd_proc_cache *c, struct wd_event_ctx *ctx);
/* /proc reads and answers from the cache, since it was made. */
void wd_proc_cache_stats(const struct wd_proc_cache *c, uint64_t *reads, uint64_t *hits);

#endif
