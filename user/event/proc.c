// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The /proc reader behind the process of an event, and the pid cache in front of it: entries
 * live for a while and are dropped when their process execs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event/event.h"
#include "event/proc.h"
#include "lib/clock.h"

#define CACHE_SLOTS 1024 /* a power of two */

/* Reads one small /proc file into @buf; returns its length or -errno. */
static ssize_t read_small(const char *root, uint32_t pid, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

int wd_proc_lookup_procfs(void *proc_root, uint32_t pid, struct wd_proc_info *out)
{
	const char *root = proc_root ? proc_root : "/proc";
	char buf[1024], path[PATH_MAX], *open_paren, *close_paren, *p;
	unsigned long long start;
	unsigned ppid;
	ssize_t n;
	size_t len;

	memset(out, 0, sizeof(*out));
	/* "pid (comm) state ppid ... starttime(22) ...": comm may hold spaces and parentheses. */
	n = read_small(root, pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1,
		   " %*c %u %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
		   "%llu",
		   &ppid, &start) != 2)
		return -EPROTO;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, len);
	out->ppid = ppid;
	out->start_ticks = start;

	if (read_small(root, pid, "status", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "\nGid:")) != NULL)
		out->gid = (uint32_t)strtoul(p + 5, NULL, 10);
	if (read_small(root, pid, "cgroup", buf, sizeof(buf)) > 0) {
		/* cgroup v2: the one line "0::/path". */
		for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (strncmp(p, "0::", 3) == 0) {
				len = strcspn(p + 3, "\n");
				if (len >= sizeof(out->cgroup))
					len = sizeof(out->cgroup) - 1;
				memcpy(out->cgroup, p + 3, len);
				break;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	out->exe[n > 0 ? n : 0] = '\0';
	return 0;
}

int wd_boot_id(char *buf, size_t size)
{
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	e = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -e : -ENODATA;
	buf[strcspn(buf, "\n") < (size_t)n ? strcspn(buf, "\n") : (size_t)n] = '\0';
	return 0;
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
