// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden events --follow`. Each sink is followed on its own: its current segment NAME.pb is
 * read by offset as records are appended, whole records only; when NAME.pb is renamed away
 * (rotated), the rest of it is read through the descriptor still open on it, segments rotated
 * since are read from their rotated files, and the new NAME.pb is followed from its start. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/events.h"
#include "event/event.h"
#include "export/sink_file.h"

#define FOLLOW_BUF     (4 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX))
#define FOLLOW_WAIT_MS 1000 /* a wake-up without inotify, or should it miss something */

struct follow {
	char *name; /* the sink's name */
	char *cur;  /* DIR/NAME.pb */
	int fd;	    /* the segment being followed, or -1 */
	dev_t dev;
	ino_t ino;
	uint64_t done;	  /* bytes of it read as whole records */
	uint64_t records; /* whole records read from it */
	uint64_t seen;	  /* rotation numbers up to this one are read, or were there before */
	bool broken;	  /* a corrupt record: nothing more is read from this segment */
};

struct follower {
	char *dir;
	bool one; /* NAME.pb was given: that sink only */
	struct follow *f;
	size_t n;
};

static void follow_error(const struct follow *f, int err, const char *then)
{
	fflush(stdout);
	fprintf(stderr, "warden events: %s: record %llu (at byte %llu): %s; %s\n", f->cur,
		(unsigned long long)f->records + 1, (unsigned long long)f->done,
		wd_pb_strerror(err), then);
}

/* Prints the whole records appended since the last call; a record not all there yet is left
 * for the next call. */
static void follow_read(struct events *x, struct follow *f)
{
	static uint8_t buf[FOLLOW_BUF];
	ssize_t got;

	if (f->fd < 0 || f->broken)
		return;
	do {
		size_t off = 0;
		int err = 0;

		got = pread(f->fd, buf, sizeof(buf), (off_t)f->done);
		if (got < 0)
			err = -errno;
		while (!err && (size_t)got > off) {
			size_t avail = (size_t)got - off;
			Warden__V1__Event *ev;
			uint64_t len;
			int used = wd_pb_varint_get(buf + off, avail, &len);

			if (used < 0 || (used > 0 && len > WD_PB_RECORD_MAX)) {
				err = used < 0 ? -EBADMSG : -EMSGSIZE;
				break;
			}
			/* The writer has not put all of it there yet. */
			if (used == 0 || len > avail - (size_t)used)
				break;
			ev = warden__v1__event__unpack(NULL, len, buf + off + used);
			if (!ev) {
				err = -EPROTO;
				break;
			}
			wd_events_emit(x, ev);
			warden__v1__event__free_unpacked(ev, NULL);
			off += (size_t)used + len;
			f->done += (size_t)used + len;
			f->records++;
		}
		if (err) {
			follow_error(f, err, "following this sink again from its next segment");
			f->broken = true;
			return;
		}
		if (!off)
			break;
	} while ((size_t)got == sizeof(buf));
}

/* NAME.pb was renamed away or removed: what the writer put into it is final. Reads its rest,
 * and works out which rotation it became, so that it is not read again from there. */
static void follow_finish(struct events *x, struct follower *w, struct follow *f)
{
	struct sink_file_segment *segs;
	struct stat st;
	size_t n;

	follow_read(x, f);
	if (!f->broken && !fstat(f->fd, &st) && (uint64_t)st.st_size > f->done)
		follow_error(f, -EBADMSG, "the segment was rotated with it");
	if (!sink_file_list(w->dir, f->name, &segs, &n)) {
		for (size_t i = 0; i < n; i++) {
			if (segs[i].current || segs[i].n <= f->seen)
				continue;
			/* The first rotation after it is it, unless that is a plain file of
			 * another inode: then its own was deleted already. */
			if (segs[i].compressed || (!stat(segs[i].path, &st) &&
						   st.st_ino == f->ino && st.st_dev == f->dev))
				f->seen = segs[i].n;
			break;
		}
		sink_file_list_free(segs, n);
	}
	close(f->fd);
	f->fd = -1;
	f->broken = false;
}

/* Reads the segments rotated since f->seen, then opens NAME.pb; when a rotation comes between
 * the listing and the open, the listing is done again, so that no segment is skipped and none
 * read twice. */
static void follow_catch_up(struct events *x, struct follower *w, struct follow *f)
{
	struct sink_file_segment *segs;
	struct stat st;
	bool again = true;
	size_t n;
	int err;

	while (again) {
		again = false;
		err = sink_file_list(w->dir, f->name, &segs, &n);
		if (err) {
			fprintf(stderr, "warden events: %s: %s\n", w->dir, strerror(-err));
			return;
		}
		for (size_t i = 0; i < n; i++) {
			if (segs[i].current || segs[i].n <= f->seen)
				continue;
			/* NAME.pb, opened just before, may be this one: read it from here. */
			if (f->fd >= 0) {
				close(f->fd);
				f->fd = -1;
			}
			wd_events_show_file(x, segs[i].path);
			f->seen = segs[i].n;
		}
		sink_file_list_free(segs, n);
		if (f->fd >= 0)
			return;
		f->fd = open(f->cur, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			if (errno != ENOENT)
				fprintf(stderr, "warden events: %s: %s\n", f->cur, strerror(errno));
			return;
		}
		if (fstat(f->fd, &st)) {
			close(f->fd);
			f->fd = -1;
			return;
		}
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->done = f->records = 0;
		f->broken = false;
		again = true;
	}
}

static void follow_step(struct events *x, struct follower *w, struct follow *f)
{
	struct stat st;

	if (f->fd >= 0) {
		/* Cut shorter than what was read: not by warden (it cuts only torn tails). */
		if (!fstat(f->fd, &st) && (uint64_t)st.st_size < f->done) {
			fprintf(stderr,
				"warden events: %s was truncated to %llu bytes by someone else; "
				"following on from there\n",
				f->cur, (unsigned long long)st.st_size);
			f->done = (uint64_t)st.st_size;
		}
		follow_read(x, f);
		if (!stat(f->cur, &st) && st.st_ino == f->ino && st.st_dev == f->dev)
			return;
		follow_finish(x, w, f);
	}
	follow_catch_up(x, w, f);
}

static struct follow *follow_add(struct follower *w, const char *name, uint64_t seen)
{
	struct follow *v = realloc(w->f, (w->n + 1) * sizeof(*v)), *f;

	if (!v)
		return NULL;
	w->f = v;
	f = &v[w->n];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->seen = seen;
	f->name = strdup(name);
	if (!f->name || asprintf(&f->cur, "%s/%s.pb", w->dir, name) < 0) {
		free(f->name);
		return NULL;
	}
	w->n++;
	return f;
}

/* Sinks that appeared in the directory since the last look (all of them, the first time). */
static int follow_discover(struct follower *w)
{
	struct sink_file_segment *segs = NULL;
	size_t n = 0, k;
	int err = sink_file_list(w->dir, NULL, &segs, &n);

	for (size_t i = 0; !err && i < n; i++) {
		for (k = 0; k < w->n && strcmp(w->f[k].name, segs[i].name); k++)
			;
		if (k == w->n && !follow_add(w, segs[i].name, 0))
			err = -ENOMEM;
	}
	if (segs)
		sink_file_list_free(segs, n);
	return err;
}

int wd_events_follow(struct events *x, const char *arg)
{
	struct follower w = {0};
	struct stat st;
	char ev[4096];
	size_t len = strlen(arg);
	int in;

	if (strcmp(arg, "-") == 0) {
		fprintf(stderr,
			"warden events: --follow follows a file sink's directory or its "
			"current segment NAME.pb; standard input is read to its end without "
			"--follow\n");
		return 2;
	}
	if (stat(arg, &st)) {
		fprintf(stderr, "warden events: --follow %s: %s\n", arg, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode) &&
	    (!S_ISREG(st.st_mode) || len < 4 || strcmp(arg + len - 3, ".pb"))) {
		fprintf(stderr,
			"warden events: --follow %s: give a file sink's directory or its current "
			"segment NAME.pb (rotated segments never change)\n",
			arg);
		return 2;
	}
	if (S_ISDIR(st.st_mode)) {
		w.dir = strdup(arg);
		if (!w.dir)
			goto oom;
	} else {
		const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
		struct sink_file_segment *segs;
		uint64_t seen = 0;
		size_t n;
		char *name;

		w.one = true;
		w.dir = base == arg	  ? strdup(".")
			: base == arg + 1 ? strdup("/")
					  : strndup(arg, (size_t)(base - 1 - arg));
		name = strndup(base, strlen(base) - 3);
		if (!w.dir || !name)
			goto oom;
		/* From this segment on: the rotated ones there already are older. */
		if (!sink_file_list(w.dir, name, &segs, &n)) {
			for (size_t i = 0; i < n; i++)
				if (!segs[i].current && segs[i].n > seen)
					seen = segs[i].n;
			sink_file_list_free(segs, n);
		}
		if (!follow_add(&w, name, seen))
			goto oom;
		free(name);
	}
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in >= 0 && inotify_add_watch(in, w.dir,
					 IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO |
						 IN_DELETE | IN_CLOSE_WRITE) < 0) {
		close(in);
		in = -1;
	}
	for (;;) {
		if (!w.one && follow_discover(&w) == -ENOMEM)
			goto oom;
		for (size_t i = 0; i < w.n; i++)
			follow_step(x, &w, &w.f[i]);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "warden events: writing the output: %s\n", strerror(errno));
			return 1;
		}
		if (in >= 0) {
			struct pollfd p = {.fd = in, .events = POLLIN};

			if (poll(&p, 1, FOLLOW_WAIT_MS) > 0)
				while (read(in, ev, sizeof(ev)) > 0)
					;
		} else {
			poll(NULL, 0, FOLLOW_WAIT_MS / 4);
		}
	}
oom:
	fprintf(stderr, "warden events: out of memory\n");
	return 1;
}
