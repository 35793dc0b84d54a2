// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's accounting: every event the producers made must come back from a sink's reader
 * or be reported lost. Tallies of the records a reader got (the file sink read back, the stream
 * collector's frames), and the checks of a step against them. */
#include "evbench.h"

static unsigned fid_header, fid_lifecycle;

void tally_reset(struct tally *t)
{
	uint8_t *seen = t->seen;
	size_t n = t->seen_bytes;

	if (seen)
		memset(seen, 0, n);
	*t = (struct tally){.seen = seen, .seen_bytes = n};
}

void tally_free(struct tally *t)
{
	free(t->seen);
	t->seen = NULL;
	t->seen_bytes = 0;
}

static void tally_mark(struct tally *t, uint64_t first, uint64_t last)
{
	for (uint64_t s = first; s && s <= last; s++) {
		size_t byte = s / 8;

		if (byte >= t->seen_bytes) {
			size_t n = t->seen_bytes ? t->seen_bytes : 1 << 16;
			uint8_t *p;

			while (n <= byte)
				n *= 2;
			p = realloc(t->seen, n);
			if (!p) {
				t->dup++;
				return;
			}
			memset(p + t->seen_bytes, 0, n - t->seen_bytes);
			t->seen = p;
			t->seen_bytes = n;
		}
		if (t->seen[byte] & (1u << (s % 8)))
			t->dup++;
		t->seen[byte] |= (uint8_t)(1u << (s % 8));
	}
}

/* Whether 1..@max are all marked and nothing above. */
static bool tally_complete(const struct tally *t, uint64_t max)
{
	for (uint64_t s = 1; s <= max; s++)
		if (s / 8 >= t->seen_bytes || !(t->seen[s / 8] & (1u << (s % 8))))
			return false;
	for (uint64_t s = max + 1; s / 8 < t->seen_bytes; s++)
		if (t->seen[s / 8] & (1u << (s % 8)))
			return false;
	return true;
}

static bool wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	int n = wd_pb_varint_get(*p, (size_t)(end - *p), v);

	if (n <= 0)
		return false;
	*p += n;
	return true;
}

/* The top-level fields of a record, without decoding it: its seq, and whether it is a
 * Lifecycle event (only those are decoded whole). */
static bool scan_record(const uint8_t *p, size_t len, uint64_t *seq, bool *lifecycle)
{
	const uint8_t *end = p + len;
	uint64_t tag, v;

	*seq = 0;
	*lifecycle = false;
	while (p < end) {
		if (!wire_varint(&p, end, &tag))
			return false;
		switch (tag & 7) {
		case 0:
			if (!wire_varint(&p, end, &v))
				return false;
			break;
		case 1:
			p += 8;
			break;
		case 5:
			p += 4;
			break;
		case 2:
			if (!wire_varint(&p, end, &v) || v > (uint64_t)(end - p))
				return false;
			if ((tag >> 3) == fid_lifecycle)
				*lifecycle = true;
			if ((tag >> 3) == fid_header) {
				const uint8_t *q = p, *qend = p + v;
				uint64_t t2, v2;

				while (q < qend) {
					if (!wire_varint(&q, qend, &t2))
						return false;
					if ((t2 & 7) == 0) {
						if (!wire_varint(&q, qend, &v2))
							return false;
						if ((t2 >> 3) == 1)
							*seq = v2;
					} else if ((t2 & 7) == 2) {
						if (!wire_varint(&q, qend, &v2) ||
						    v2 > (uint64_t)(qend - q))
							return false;
						q += v2;
					} else if ((t2 & 7) == 1) {
						q += 8;
					} else if ((t2 & 7) == 5) {
						q += 4;
					} else {
						return false;
					}
				}
			}
			p += v;
			break;
		default:
			return false;
		}
	}
	return p == end;
}

void tally_record(struct tally *t, const uint8_t *rec, size_t len)
{
	Warden__V1__Event *ev;
	uint64_t seq;
	uint8_t pre[WD_PB_VARINT_MAX];
	bool lc;

	t->records++;
	t->bytes += len + wd_pb_varint_put(pre, len);
	if (!scan_record(rec, len, &seq, &lc)) {
		t->bad++;
		return;
	}
	if (seq) {
		if (seq <= t->last_seq)
			t->disorder++;
		t->last_seq = seq;
		tally_mark(t, seq, seq);
	}
	if (!lc) {
		t->delivered++;
		return;
	}
	ev = warden__v1__event__unpack(NULL, len, rec);
	if (!ev || !ev->lifecycle) {
		t->bad++;
	} else if (ev->lifecycle->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
		const Warden__V1__Lifecycle *l = ev->lifecycle;

		if (seq) {
			t->kernel_reported += l->lost_count;
			t->reports++;
		} else {
			t->pipe_reported += l->lost_count;
			t->markers++;
		}
		if (l->lost_count)
			tally_mark(t, l->lost_first_seq, l->lost_last_seq);
		if (l->lost_count && l->lost_last_seq - l->lost_first_seq + 1 != l->lost_count)
			t->dup++;
	}
	if (ev)
		warden__v1__event__free_unpacked(ev, NULL);
}

/* The field numbers scan_record looks for, from the descriptor of warden.v1.Event. */
int tally_fields_init(void)
{
	const ProtobufCFieldDescriptor *fh = protobuf_c_message_descriptor_get_field_by_name(
		&warden__v1__event__descriptor, "header");
	const ProtobufCFieldDescriptor *fl = protobuf_c_message_descriptor_get_field_by_name(
		&warden__v1__event__descriptor, "lifecycle");

	if (!fh || !fl)
		return -ENOENT;
	fid_header = fh->id;
	fid_lifecycle = fl->id;
	return 0;
}

/* Reads back every segment of the file sink (rotated and compressed ones too). */
int read_file_sink(const char *dir, struct tally *t)
{
	struct sink_file_segment *segs;
	size_t n;
	int err = sink_file_list(dir, "file", &segs, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		struct wd_pb_reader r;
		const uint8_t *rec;
		size_t len;
		int ret;

		err = wd_pb_reader_open(&r, segs[i].path);
		if (err)
			break;
		while ((ret = wd_pb_read_record(&r, &rec, &len)) == 1)
			tally_record(t, rec, len);
		if (ret < 0)
			err = ret;
		wd_pb_reader_close(&r);
	}
	sink_file_list_free(segs, n);
	return err;
}

/* Lines of the JSON sink's files (the current one and any rotated ones, compressed or not). */
int count_lines(const char *dir, uint64_t *lines)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX], buf[1 << 16];
	int len;

	*lines = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		gzFile gz;

		if (strncmp(de->d_name, "events", 6) || !strstr(de->d_name, ".jsonl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		gz = gzopen(path, "rb");
		if (!gz)
			continue;
		while ((len = gzread(gz, buf, sizeof(buf))) > 0)
			for (int i = 0; i < len; i++)
				*lines += buf[i] == '\n';
		gzclose(gz);
	}
	closedir(d);
	return 0;
}

/* Checks one sink's accounting: what its reader got plus what was reported lost must be what
 * the producers made, and every seq number must come back exactly once. */
void check_tallied(struct result *r, struct sink_result *s)
{
	struct tally *t = s->t;
	uint64_t unreported = s->st.lost - s->st.lost_reported;
	/* A queue that dropped one of warden's own EVENTS_LOST reports counts it in its marker
	 * with the events it stood for: a seq that is no event of the producers. */
	uint64_t dropped_reports = r->reports - t->reports;
	uint64_t sum =
		t->delivered + t->kernel_reported + t->pipe_reported + unreported - dropped_reports;

	s->ok = false;
	if (t->bad)
		snprintf(s->why, sizeof(s->why), "%" PRIu64 " records do not decode", t->bad);
	else if (sum != r->produced)
		snprintf(s->why, sizeof(s->why),
			 "delivered %" PRIu64 " + reported lost %" PRIu64 " (kernel) + %" PRIu64
			 " (queue) + unreported %" PRIu64 " = %" PRIu64 ", produced %" PRIu64,
			 t->delivered, t->kernel_reported, t->pipe_reported, unreported, sum,
			 r->produced);
	else if (t->pipe_reported != s->st.lost_reported)
		snprintf(s->why, sizeof(s->why),
			 "the sink reports %" PRIu64 " lost, its pipeline says %" PRIu64,
			 t->pipe_reported, s->st.lost_reported);
	else if (t->dup || t->disorder || !tally_complete(t, r->node_seq))
		snprintf(s->why, sizeof(s->why),
			 "seq numbers 1..%" PRIu64 " not accounted for exactly once (%" PRIu64
			 " twice, %" PRIu64 " out of order)",
			 r->node_seq, t->dup, t->disorder);
	else
		s->ok = true;
}

/* Syslog and JSON lines are only counted: records = written + markers (one at most per lost). */
void check_counted(struct sink_result *s)
{
	uint64_t w = s->st.written, l = s->st.lost - s->st.lost_carried; /* records */

	s->ok = s->seen >= w && s->seen <= w + l && (l || s->seen == w);
	if (!s->ok)
		snprintf(s->why, sizeof(s->why),
			 "reader got %" PRIu64 " records; the sink wrote %" PRIu64
			 " and lost %" PRIu64,
			 s->seen, w, l);
}
