// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The node's shared event counter. */
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
