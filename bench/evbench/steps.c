// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's steps: one configuration at one rate (the sinks it opens, the producers at the rate,
 * the consumer's loop, the drain, then what came out of each sink), and the file sink's
 * baselines. */
#include "evbench.h"
#include "bench_events.skel.h"

static char *join(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

static int sink_configs(struct bench *b, enum mode m, const char *dir, struct wd_sink_cfg *c,
			char bufs[][PATH_MAX])
{
	static char file_name[] = "file", stream_name[] = "stream", syslog_name[] = "syslog",
		    jsonl_name[] = "jsonl";
	uint64_t q = (uint64_t)o.queue_mib << 20;
	int n = 0;

	c[n] = (struct wd_sink_cfg){.name = file_name,
				    .kind = WD_SINK_FILE,
				    .queue_bytes = q,
				    .dir = join(bufs[0], PATH_MAX, dir, "file"),
				    .max_bytes = (uint64_t)o.rotate_mib << 20};
	n++;
	if (m != M_ALL)
		return n;
	snprintf(bufs[1], PATH_MAX, "unix:%s", b->col.stream_path);
	c[n++] = (struct wd_sink_cfg){
		.name = stream_name, .kind = WD_SINK_STREAM, .queue_bytes = q, .address = bufs[1]};
	snprintf(bufs[2], PATH_MAX, "tcp:127.0.0.1:%d", b->col.syslog_port);
	c[n++] = (struct wd_sink_cfg){
		.name = syslog_name, .kind = WD_SINK_SYSLOG, .queue_bytes = q, .address = bufs[2]};
	c[n++] = (struct wd_sink_cfg){.name = jsonl_name,
				      .kind = WD_SINK_JSONL,
				      .queue_bytes = q,
				      .path = join(bufs[3], PATH_MAX, dir, "events.jsonl"),
				      .max_bytes = (uint64_t)o.rotate_mib << 20};
	return n;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[PATH_MAX];
	struct stat st;

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (!lstat(sub, &st) && S_ISDIR(st.st_mode))
			rm_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

int run_step(struct bench *b, enum mode m, uint64_t rate, unsigned step, struct result *r)
{
	struct wd_sink_cfg cfg[SINKS_MAX];
	char bufs[SINKS_MAX][PATH_MAX], dir[PATH_MAX], err[512];
	struct itimerspec tick = {.it_interval.tv_nsec = TICK_MS * 1000000L,
				  .it_value.tv_nsec = TICK_MS * 1000000L};
	struct itimerspec end = {.it_value.tv_sec = o.time_ms / 1000,
				 .it_value.tv_nsec = (long)(o.time_ms % 1000) * 1000000L};
	uint64_t t0, t_stop, t_done, cpu0, cpu1, prod0, prod1, sent0, x, busy0, busy1, main0, bg0,
		bg1, bgk[BG_NR];
	int ep, tfd_tick, tfd_end, n_sinks = 0, ret = 0;
	struct epoll_event ev;
	bool stopping = false;

	memset(r, 0, sizeof(*r));
	r->m = m;
	r->target = rate;
	snprintf(dir, sizeof(dir), "%s/step-%02u-%s", o.dir, step, mode_name[m]);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;

	b->mode = m;
	b->consumed = b->bad = b->conv_err = b->emitted = 0;
	b->node_seq = b->sandbox_seq = 0;
	b->klost_reported = 0;
	b->reports = 0;
	if (m == M_FILE || m == M_ALL) {
		n_sinks = sink_configs(b, m, dir, cfg, bufs);
		pthread_mutex_lock(&b->col.mu);
		tally_reset(&b->col.stream);
		b->col.syslog_frames = 0;
		b->col.errors = 0;
		pthread_mutex_unlock(&b->col.mu);
		ret = wd_pipeline_open(&b->pl, cfg, (size_t)n_sinks, b->node, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "evbench: cannot open the pipeline: %s\n", err);
			return ret;
		}
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd_tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	tfd_end = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ep < 0 || tfd_tick < 0 || tfd_end < 0) {
		ret = -errno;
		goto out;
	}
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = wd_ringbuf_fd(b->rb)};
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = tfd_tick};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd_tick, &ev);
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = tfd_end};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd_end, &ev);

	/* Nothing of an earlier step is left in the ring buffer (nor goes to this step's sinks). */
	b->mode = M_RB;
	while (consume(b) == 1)
		;
	b->mode = m;
	b->consumed = b->bad = 0;
	b->klost_base = percpu_sum(b, b->skel->maps.wd_bench_lost);
	sent0 = percpu_sum(b, b->skel->maps.wd_bench_sent);
	r->n_sinks = (size_t)n_sinks;
	find_sink_threads(b, r);
	main0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	cpu0 = consumer_cpu(b, &prod0);
	bg0 = bg_cpu(r, BG_NR);
	for (int k = 0; k < BG_NR; k++)
		bgk[k] = bg_cpu(r, (enum bg_kind)k);
	busy0 = cpu_busy_ns(o.cpu);

	t0 = now_ns();
	atomic_store(&b->stop, 0);
	atomic_store(&b->finished, 0);
	pthread_mutex_lock(&b->mu);
	b->rate = rate;
	b->gen++;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	timerfd_settime(tfd_tick, 0, &tick, NULL);
	timerfd_settime(tfd_end, 0, &end, NULL);

	while (!stopping) {
		struct epoll_event evs[4];
		/* Without wake-ups for every record the ring buffer is polled as well. */
		int n = epoll_wait(ep, evs, 4, o.wakeup_kib ? POLL_MS : -1);

		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (interrupted)
			stopping = true;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == tfd_tick) {
				if (read(fd, &x, sizeof(x)) < 0)
					continue;
				kernel_loss(b);
			} else if (fd == tfd_end) {
				stopping = true;
			} else {
				ret = consume(b);
				if (ret < 0)
					stopping = true;
			}
		}
		if (n == 0)
			ret = consume(b);
	}
	atomic_store(&b->stop, 1);
	while (atomic_load(&b->finished) < o.producers)
		consume(b);
	t_stop = now_ns();
	/* Every call has returned: all its records are committed. */
	while ((ret = consume(b)) == 1)
		;
	kernel_loss(b);
	r->drained = true;
	if (b->pl)
		r->drained = wd_pipeline_drain(b->pl, DRAIN_MS);
	t_done = now_ns();
	cpu1 = consumer_cpu(b, &prod1);
	bg1 = bg_cpu(r, BG_NR);
	/* Compression and write-behind run on the other CPUs: not the consumer's work. */
	cpu0 -= bg0;
	cpu1 -= bg1;
	for (int k = 0; k < BG_NR; k++)
		r->bg_cpu_s[k] = (double)(bg_cpu(r, (enum bg_kind)k) - bgk[k]) / 1e9;
	busy1 = cpu_busy_ns(o.cpu);
	r->main_cpu_s = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - main0) / 1e9;
	for (int i = 0; i < n_sinks; i++)
		if (r->sink[i].tid)
			r->sink[i].cpu_ns = thread_cpu_ns(r->sink[i].tid) - r->sink[i].cpu_ns;

	for (unsigned i = 0; i < o.producers; i++)
		r->produced += b->prod[i].done;
	r->bpf_sent = percpu_sum(b, b->skel->maps.wd_bench_sent) - sent0;
	r->klost = b->klost_reported;
	r->reports = b->reports;
	r->consumed = b->consumed;
	r->conv_err = b->conv_err + b->bad;
	r->emitted = b->emitted;
	r->node_seq = b->node_seq;
	r->run_s = (double)(t_stop - t0) / 1e9;
	r->total_s = (double)(t_done - t0) / 1e9;
	r->lag_ms = (double)(t_done - t_stop) / 1e6;
	r->cons_cpu_s = (double)(cpu1 - cpu0) / 1e9;
	r->prod_cpu_s = (double)(prod1 - prod0) / 1e9;
	r->other_s =
		busy1 - busy0 > cpu1 - cpu0 ? (double)(busy1 - busy0 - (cpu1 - cpu0)) / 1e9 : 0;
	for (int i = 0; i < n_sinks; i++)
		wd_pipeline_stats(b->pl, (size_t)i, &r->sink[i].st);
	if (b->pl) {
		wd_pipeline_close(b->pl, 1000);
		b->pl = NULL;
	}
out:
	if (ep >= 0)
		close(ep);
	if (tfd_tick >= 0)
		close(tfd_tick);
	if (tfd_end >= 0)
		close(tfd_end);
	if (b->pl) {
		wd_pipeline_close(b->pl, 1000);
		b->pl = NULL;
	}
	if (ret < 0)
		return ret;

	/* What came out of each sink. */
	if (m == M_ALL && !collector_idle(&b->col))
		snprintf(r->why, sizeof(r->why), "the collector's connections did not close");
	else if (m == M_ALL && b->col.errors)
		snprintf(r->why, sizeof(r->why), "the collector read %" PRIu64 " malformed frames",
			 b->col.errors);
	for (size_t i = 0; i < r->n_sinks; i++) {
		struct sink_result *s = &r->sink[i];
		const char *kind = cfg[i].kind == WD_SINK_FILE	   ? "file"
				   : cfg[i].kind == WD_SINK_STREAM ? "stream"
				   : cfg[i].kind == WD_SINK_SYSLOG ? "syslog"
								   : "jsonl";

		s->st.name = cfg[i].name;
		s->st.kind = kind;
		if (cfg[i].kind == WD_SINK_FILE) {
			tally_reset(&b->file_tally);
			s->t = &b->file_tally;
			s->tallied = true;
			ret = read_file_sink(cfg[i].dir, s->t);
			if (ret) {
				snprintf(s->why, sizeof(s->why), "cannot read %s back: %s",
					 cfg[i].dir, wd_pb_strerror(ret));
				continue;
			}
			s->seen = s->t->records;
			r->file_bytes = s->t->bytes;
			r->file_records = s->t->records;
		} else if (cfg[i].kind == WD_SINK_STREAM) {
			s->t = &b->col.stream;
			s->tallied = true;
			s->seen = s->t->records;
		} else if (cfg[i].kind == WD_SINK_SYSLOG) {
			s->seen = b->col.syslog_frames;
		} else {
			count_lines(dir, &s->seen);
		}
		if (s->tallied)
			check_tallied(r, s);
		else
			check_counted(s);
		/* Records: lost counts events, those a dropped EVENTS_LOST stood for too. */
		if (s->ok && s->st.written + s->st.lost - s->st.lost_carried != r->emitted) {
			s->ok = false;
			snprintf(s->why, sizeof(s->why),
				 "written %" PRIu64 " + lost %" PRIu64 " - carried %" PRIu64
				 " != emitted %" PRIu64,
				 s->st.written, s->st.lost, s->st.lost_carried, r->emitted);
		}
	}
	if (r->n_sinks) {
		r->delivered = r->sink[0].t->delivered;
		r->lost_pipe = r->sink[0].st.lost;
	} else {
		r->delivered = r->consumed;
	}

	/* The producers' calls all reached the BPF program; what it sent was consumed. */
	r->ok = !r->why[0];
	if (r->ok && r->bpf_sent + r->klost != r->produced)
		snprintf(r->why, sizeof(r->why),
			 "BPF sent %" PRIu64 " + lost %" PRIu64 " != %" PRIu64 " calls",
			 r->bpf_sent, r->klost, r->produced);
	else if (r->ok && r->consumed != r->bpf_sent)
		snprintf(r->why, sizeof(r->why), "consumed %" PRIu64 " of %" PRIu64 " records sent",
			 r->consumed, r->bpf_sent);
	else if (r->ok && r->conv_err)
		snprintf(r->why, sizeof(r->why), "%" PRIu64 " records failed to convert",
			 r->conv_err);
	else if (r->ok && !r->drained)
		snprintf(r->why, sizeof(r->why), "the pipeline did not drain in %d s",
			 DRAIN_MS / 1000);
	r->ok = !r->why[0];
	for (size_t i = 0; i < r->n_sinks; i++)
		if (!r->sink[i].ok) {
			r->ok = false;
			if (!r->why[0])
				snprintf(r->why, sizeof(r->why), "sink %s: %s", r->sink[i].st.name,
					 r->sink[i].why);
		}
	if (!o.keep)
		rm_tree(dir);
	return 0;
}

/* The baselines for the file sink: what write()s of 1 MiB from one reused buffer get into a new
 * file in the scratch directory, per second (the file is removed after), plain or written behind
 * as the sinks write (user/export/writebehind.h). They bound any writer of files here, warden's or
 * not; on VMs whose fresh memory the host supplies on first touch, plain writes into the page cache
 * are far below the memory's and the disk's speed. Returns bytes/s, or 0. */
double write_ceiling(const char *dir, uint64_t bytes, bool behind)
{
	static uint8_t buf[1 << 20];
	char path[PATH_MAX];
	uint64_t t0, left = bytes;
	struct wd_wb wb;
	double secs;
	int fd;

	snprintf(path, sizeof(path), "%s/ceiling", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	memset(buf, 0x5a, sizeof(buf));
	wd_wb_init(&wb);
	if (behind)
		wd_wb_file(&wb, fd, 0);
	t0 = now_ns();
	while (left) {
		ssize_t k = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (k <= 0)
			break;
		left -= (uint64_t)k;
		if (behind)
			wd_wb_advance(&wb, bytes - left);
	}
	secs = (double)(now_ns() - t0) / 1e9;
	wd_wb_destroy(&wb);
	close(fd);
	unlink(path);
	return left || secs <= 0 ? 0 : (double)bytes / secs;
}
