// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The node's shared event counter and the pid cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "event/nodeseq.h"

#define CACHE_SLOTS 1024 /* a power of two */

/* Creates the counter file whole under a temporary name and links it into place, so no process
 * ever maps a half-written one; the first to link wins, the others use its file. */
static int create_counter(const char *path)
{
	char tmp[4096];
	uint64_t seed = wd_clock_ns(CLOCK_REALTIME);
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, &seed, sizeof(seed), 0) != sizeof(seed) || ftruncate(fd, 4096) || fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && link(tmp, path) && errno != EEXIST)
		ret = -errno;
	unlink(tmp);
	return ret;
}

int wd_node_seq_open(const char *path, uint64_t **counter)
{
	char dir[4096], *slash;
	struct stat st;
	void *m;
	int fd, ret;

	*counter = NULL;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		ret = create_counter(path);
		if (ret)
			return ret;
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	/* Someone else's file there is not ours to trust. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0077) || st.st_size < 4096) {
		close(fd);
		return -EPERM;
	}
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	*counter = m;
	return 0;
}

void wd_node_seq_close(uint64_t *counter)
{
	if (counter)
		munmap(counter, 4096);
}

struct proc_slot {
	uint32_t pid;
	uint64_t at; /* CLOCK_MONOTONIC of the read; 0: empty */
	struct wd_proc_info info;
};

struct wd_proc_cache {
	uint64_t ttl_ns;
	/* Grows whenever an answer may change: a slot filled, dropped or forgotten. */
	uint64_t gen;
	uint64_t reads, hits;
	int (*read)(void *arg, uint32_t pid, struct wd_proc_info *out);
	void *read_arg;
	struct proc_slot slot[CACHE_SLOTS];
};

static int read_procfs(void *arg, uint32_t pid, struct wd_proc_info *out)
{
	(void)arg;
	return wd_proc_lookup_procfs(NULL, pid, out);
}

struct wd_proc_cache *wd_proc_cache_new(unsigned ttl_ms)
{
	struct wd_proc_cache *c = calloc(1, sizeof(*c));

	if (c) {
		c->ttl_ns = (uint64_t)ttl_ms * 1000000ull;
		c->gen = 1;
		c->read = read_procfs;
	}
	return c;
}

void wd_proc_cache_free(struct wd_proc_cache *c)
{
	free(c);
}

void wd_proc_cache_set_reader(struct wd_proc_cache *c,
			      int (*read)(void *arg, uint32_t pid, struct wd_proc_info *out),
			      void *arg)
{
	c->read = read;
	c->read_arg = arg;
	c->gen++;
}

void wd_proc_cache_ctx(struct wd_proc_cache *c, struct wd_event_ctx *ctx)
{
	ctx->proc_lookup = wd_proc_cache_lookup;
	ctx->proc_lookup_arg = c;
	ctx->proc_gen = &c->gen;
	ctx->proc_keep_ns = c->ttl_ns;
}

void wd_proc_cache_stats(const struct wd_proc_cache *c, uint64_t *reads, uint64_t *hits)
{
	*reads = c->reads;
	*hits = c->hits;
}

void wd_proc_cache_forget(struct wd_proc_cache *c, uint32_t pid)
{
	struct proc_slot *s = &c->slot[pid & (CACHE_SLOTS - 1)];

	if (s->pid == pid && s->at) {
		s->at = 0;
		c->gen++;
	}
}

int wd_proc_cache_lookup(void *arg, uint32_t pid, struct wd_proc_info *buf,
			 const struct wd_proc_info **out)
{
	struct wd_proc_cache *c = arg;
	struct proc_slot *s = &c->slot[pid & (CACHE_SLOTS - 1)];
	uint64_t now = wd_clock_ns(CLOCK_MONOTONIC);
	int ret;

	if (s->at && s->pid == pid && now - s->at < c->ttl_ns) {
		c->hits++;
		*out = &s->info;
		return 0;
	}
	/* Read into @buf: a failed read leaves the slot's entry for another pid alone. */
	c->reads++;
	c->gen++;
	ret = c->read(c->read_arg, pid, buf);
	if (ret) {
		if (s->pid == pid)
			s->at = 0;
		return ret;
	}
	s->pid = pid;
	s->at = now;
	s->info = *buf;
	*out = &s->info;
	return 0;
}
