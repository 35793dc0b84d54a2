// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tier: the syslog sink into a real rsyslog (its own rsyslogd instance: imtcp on a free
 * localhost port, omfile with the RFC 5424 template RSYSLOG_SyslogProtocol23Format). The sink
 * starts before rsyslogd is up and connects when it is; events of every kind, with strings
 * that need SD escaping, non-ASCII text, control characters and long paths, go through
 * wd_sink_syslog_backend(); every record must be stored exactly once, each stored line equal to
 * the message the sink made (structured data intact, byte for byte), and rsyslog's own parse
 * of the structured data must give back the seq. Skipped, with the reason, without rsyslogd. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "export/sink.h"
#include "export/sink_syslog.h"
#include "event_parts.h"
#include "collector.h"
#include "wdtest.h"

#define N	 700
#define WALL	 1735689600000000000ull /* 2025-01-01T00:00:00Z */
#define STORE_NS (20 * 1000000000ull)
#define NODE	 "build-7"

static char tmpdir[64];

static const char *find_rsyslogd(void)
{
	static const char *const where[] = {"/usr/sbin/rsyslogd", "/sbin/rsyslogd",
					    "/usr/local/sbin/rsyslogd"};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static bool port_open(uint16_t port)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&in, sizeof(in)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Its own rsyslogd: nothing of the system's configuration, its own port, files and pid file.
 * The second action keeps rsyslog's own parse of the SD-PARAM seq. */
static pid_t start_rsyslogd(const char *bin, uint16_t port)
{
	char conf[128], pidf[128];
	FILE *f;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", tmpdir);
	snprintf(pidf, sizeof(pidf), "%s/rsyslogd.pid", tmpdir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"global(workDirectory=\"%s\" maxMessageSize=\"64k\" net.enableDNS=\"off\")\n"
		"module(load=\"imtcp\")\n"
		"module(load=\"mmpstrucdata\")\n"
		"template(name=\"params\" type=\"string\" string=\""
		"%%$!rfc5424-sd!warden@32473!seq%%|%%$!rfc5424-sd!warden@32473!identity%%|"
		"%%$!rfc5424-sd!warden@32473!path%%\\n\")\n"
		"ruleset(name=\"wd\") {\n"
		"  action(type=\"omfile\" file=\"%s/out.log\" "
		"template=\"RSYSLOG_SyslogProtocol23Format\")\n"
		"  action(type=\"mmpstrucdata\")\n"
		"  action(type=\"omfile\" file=\"%s/params.log\" template=\"params\")\n"
		"}\n"
		"input(type=\"imtcp\" port=\"%u\" address=\"127.0.0.1\" ruleset=\"wd\")\n",
		tmpdir, tmpdir, tmpdir, port);
	if (fclose(f))
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(2, 1); /* its complaints go with the test's diagnostics */
		execl(bin, "rsyslogd", "-n", "-f", conf, "-i", pidf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop_rsyslogd(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- events of every kind --- */

#define VARIANTS 12

/* Event @seq: the kind and its strings depend on seq % VARIANTS. */
static void make_event(struct wt_ev *e, uint64_t seq)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	wt_ev_init(e);
	e->hdr.seq = seq;
	e->hdr.sandbox_seq = seq;
	e->hdr.wall_ns = WALL + seq * 1001001ull; /* microseconds that vary */
	e->hdr.node = NODE;
	e->id.name = seq % 3 ? "ci:acme/api#8812" : "agent:\"codegen\" [v2]\\beta";
	e->sb.id = "sb-0123456789abcdef";
	e->proc.pid = 4000 + (uint32_t)seq;
	e->proc.uid = 1000;
	e->proc.comm = "make";
	e->proc.exe = "/usr/bin/make";
	e->rule.id = (uint32_t)(seq % 17);
	e->rule.text = "policy.yaml:14:7 files.read deny /etc/shadow";
	e->ev.policy_name = "build";
	e->ev.decision = (Warden__V1__Decision)(1 + seq % 3);
	snprintf(e->path, sizeof(e->path), "/work/src/dir-%llu/file", (unsigned long long)seq);

	switch (seq % VARIANTS) {
	case 0:
		e->ev.hook = "bprm_check_security";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
		e->ev.exec = &e->exec;
		e->exec.path = e->path;
		break;
	case 1: /* everything SD-PARAM values must escape, and a newline */
		snprintf(e->path, sizeof(e->path), "/tmp/q\"uote\\back]slash\nnew-%llu",
			 (unsigned long long)seq);
		e->ev.hook = "file_open";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
		e->ev.file_open = &e->file;
		e->file.path = e->path;
		e->file.read = true;
		break;
	case 2: /* UTF-8 */
		snprintf(e->path, sizeof(e->path),
			 "/home/ren\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac-%llu",
			 (unsigned long long)seq);
		e->ev.hook = "path_truncate";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
		e->ev.file_open = &e->file;
		e->file.path = e->path;
		e->file.write = e->file.truncate = true;
		break;
	case 3:
		e->ev.hook = "cgroup/connect4";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
		e->ev.connect = &e->conn;
		e->conn.family = WARDEN__V1__FAMILY__FAMILY_INET;
		memcpy(e->addr, "\xa9\xfe\xa9\xfe", 4);
		e->conn.address.data = e->addr;
		e->conn.address.len = 4;
		e->conn.address_text = "169.254.169.254";
		e->conn.port = 80;
		e->conn.protocol = WARDEN__V1__PROTOCOL__PROTOCOL_TCP;
		e->conn.ip_protocol = 6;
		break;
	case 4:
		e->ev.hook = "cgroup/sendmsg6";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
		e->ev.connect = &e->conn;
		e->conn.family = WARDEN__V1__FAMILY__FAMILY_INET6;
		memcpy(e->addr, v6, 16);
		e->conn.address.data = e->addr;
		e->conn.address.len = 16;
		e->conn.address_text = "2001:db8::1";
		e->conn.port = 53;
		e->conn.protocol = WARDEN__V1__PROTOCOL__PROTOCOL_UDP;
		e->conn.ip_protocol = 17;
		e->conn.is_send = true;
		break;
	case 5:
		e->ev.hook = "unix_stream_connect";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
		e->ev.connect = &e->conn;
		e->conn.family = WARDEN__V1__FAMILY__FAMILY_UNIX;
		e->conn.address_text = "docker.sock";
		break;
	case 6:
		e->ev.hook = "file_mprotect";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
		e->ev.exec_mapping = &e->map;
		e->map.path = "payload.so";
		e->map.via_mprotect = true;
		break;
	case 7:
		e->ev.hook = "socket_create";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_SOCKET_CREATE;
		e->ev.socket_create = &e->sock;
		e->sock.family = WARDEN__V1__FAMILY__FAMILY_PACKET;
		e->sock.type = WARDEN__V1__SOCKET_TYPE__SOCKET_TYPE_RAW;
		break;
	case 8:
		e->ev.hook = "capable";
		e->ev.rule->id = 0;
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
		e->ev.confinement = &e->conf;
		e->conf.what = WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY;
		e->conf.capability = 21;
		break;
	case 9: /* a long path: a message of about 5 KiB */
		for (size_t i = 0; i < 2400; i++)
			e->path[i] = (char)('a' + i % 26);
		e->path[0] = '/';
		snprintf(e->path + 2400, sizeof(e->path) - 2400, "-%llu", (unsigned long long)seq);
		e->ev.hook = "mmap_file";
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
		e->ev.exec_mapping = &e->map;
		e->map.path = e->path;
		break;
	case 10:
		e->ev.process = NULL;
		e->ev.rule = NULL;
		e->ev.decision = WARDEN__V1__DECISION__DECISION_UNSPECIFIED;
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
		e->ev.lifecycle = &e->lc;
		e->lc.kind = WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST;
		e->lc.lost_count = 5;
		e->lc.lost_first_seq = seq * 1000;
		e->lc.lost_last_seq = seq * 1000 + 4;
		e->lc.detail = "ring buffer full";
		break;
	default:
		e->ev.process = NULL;
		e->ev.rule = NULL;
		e->ev.decision = WARDEN__V1__DECISION__DECISION_UNSPECIFIED;
		e->ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
		e->ev.lifecycle = &e->lc;
		e->lc.kind = WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED;
		e->lc.detail = "exit status 0";
		break;
	}
}

/* What the sink makes of event @seq: the line rsyslog must have stored. */
static int expected(uint64_t seq, struct wt_ev *e, char *buf, size_t size)
{
	const struct wd_syslog_opts o = {WD_SYSLOG_FACILITY, NODE, WD_SYSLOG_APP_NAME};
	int n;

	make_event(e, seq);
	n = wd_syslog_format(&o, &e->ev, buf, size - 1);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The path parameter of @e as the sink sends it, unescaped: the action's path, a newline
 * replaced by U+FFFD; "" for actions without one. */
static const char *sd_path(const struct wt_ev *e)
{
	static char p[4200];
	const char *src = "";
	size_t o = 0;

	switch (e->ev.action_case) {
	case WARDEN__V1__EVENT__ACTION_EXEC:
		src = e->exec.path;
		break;
	case WARDEN__V1__EVENT__ACTION_FILE_OPEN:
		src = e->file.path;
		break;
	case WARDEN__V1__EVENT__ACTION_EXEC_MAPPING:
		src = e->map.path;
		break;
	default:
		break;
	}
	for (; *src && o + 4 < sizeof(p); src++) {
		if (*src == '\n') {
			memcpy(p + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			p[o++] = *src;
		}
	}
	p[o] = '\0';
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !(s = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	*len = (size_t)read(fd, s, (size_t)st.st_size);
	close(fd);
	s[*len == (size_t)-1 ? 0 : *len] = '\0';
	return s;
}

static size_t count_lines(const char *path)
{
	size_t len, n = 0;
	char *s = slurp(path, &len);

	for (size_t i = 0; s && i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

static int put(const struct wd_sink_ops *ops, void *impl, const Warden__V1__Event *ev)
{
	uint8_t buf[16384];
	size_t len = warden__v1__event__pack(ev, buf);
	uint64_t until = wt_now_ns() + 10000000000ull;
	int ret;

	while ((ret = ops->write(impl, buf, len, ev)) == -EAGAIN && wt_now_ns() < until) {
		ops->tick(impl, 0);
		usleep(2000);
	}
	return ret;
}

static enum wt_result rsyslog_stores_every_record_intact(void)
{
	const char *bin = find_rsyslogd();
	struct wd_sink_cfg cfg = {.name = "siem", .kind = WD_SINK_SYSLOG};
	const struct wd_sink_ops *ops = NULL;
	void *impl = NULL;
	enum wt_result ret = WT_FAIL;
	static struct wt_ev e;
	static char want[WD_SYSLOG_MSG_MAX + 1];
	char addr[64], err[400], st[256], out[128], params[128], *log = NULL, *seqs = NULL;
	uint8_t seen[N + 1] = {0}, packed[16384];
	size_t len, lines = 0, bad = 0, dup = 0, missing = 0, seqlines = 0;
	uint16_t port;
	pid_t rs = -1;
	uint64_t t0;
	int r;

	if (!bin)
		return wt_skip("rsyslogd not installed (Debian package rsyslog; scripts/setup "
			       "installs it)");
	port = wt_free_port();
	WT_CHECK(port, "no free TCP port");
	snprintf(out, sizeof(out), "%s/out.log", tmpdir);
	snprintf(params, sizeof(params), "%s/params.log", tmpdir);

	/* The sink first, rsyslogd not yet there: refused, and it keeps trying. */
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%u", port);
	cfg.address = addr;
	cfg.reconnect_min_ns = 20 * 1000000ull;
	cfg.reconnect_max_ns = 200 * 1000000ull;
	r = wd_sink_syslog_backend(&cfg, NODE, &ops, &impl, err, sizeof(err));
	WT_CHECK(r == 0, "wd_sink_syslog_backend: %s", err);
	r = ops->tick(impl, 0);
	ops->describe(impl, st, sizeof(st));
	wt_diag("before rsyslogd: tick %d, %s", r, st);
	WT_CHECK(r == -ECONNREFUSED && strstr(st, "Connection refused"),
		 "want a refused connection before rsyslogd runs: tick %d, %s", r, st);
	make_event(&e, 1);
	len = warden__v1__event__pack(&e.ev, packed);
	r = ops->write(impl, packed, len, &e.ev);
	WT_CHECK(r == -EAGAIN, "write while not connected: %d, want -EAGAIN", r);

	rs = start_rsyslogd(bin, port);
	WT_CHECK(rs > 0, "cannot start %s", bin);
	t0 = wt_now_ns();
	while (!port_open(port)) {
		WT_CHECK(waitpid(rs, NULL, WNOHANG) == 0,
			 "rsyslogd exited (see its messages above)");
		WT_CHECK(wt_now_ns() - t0 < 10000000000ull, "rsyslogd not listening after 10 s");
		usleep(20000);
	}

	for (uint64_t seq = 1; seq <= N; seq++) {
		make_event(&e, seq);
		r = put(ops, impl, &e.ev);
		WT_CHECK(r == 0, "seq %llu: write: %s", (unsigned long long)seq, strerror(-r));
	}
	t0 = wt_now_ns();
	while ((lines = count_lines(out)) < N && wt_now_ns() - t0 < STORE_NS) {
		ops->flush(impl);
		ops->tick(impl, 0);
		usleep(50000);
	}
	ops->describe(impl, st, sizeof(st));
	wt_diag("sink: %s; rsyslog stored %zu lines in %.1f s", st, lines,
		(double)(wt_now_ns() - t0) / 1e9);
	ops->close(impl);
	impl = NULL;
	stop_rsyslogd(rs);
	rs = -1;

	log = slurp(out, &len);
	WT_CHECK(log, "rsyslog wrote no %s", out);
	lines = 0;
	for (char *line = log, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		const char *p = strstr(line, "[" WD_SYSLOG_SD_ID " seq=\"");
		unsigned long long seq;

		*nl = '\0';
		lines++;
		if (!p || sscanf(p, "[" WD_SYSLOG_SD_ID " seq=\"%llu\"", &seq) != 1 || !seq ||
		    seq > N) {
			if (!bad++)
				wt_diag("a line without a seq of ours: %.300s", line);
			continue;
		}
		if (seen[seq]++) {
			dup++;
			continue;
		}
		if (expected(seq, &e, want, sizeof(want)) < 0 || strcmp(line, want)) {
			if (!bad++)
				wt_diag("seq %llu differs:\n#  sent:   %.600s\n#  stored: %.600s",
					seq, want, line);
		}
	}
	for (uint64_t seq = 1; seq <= N; seq++)
		if (!seen[seq] && !missing++)
			wt_diag("seq %llu never stored", (unsigned long long)seq);
	/* rsyslog's own RFC 5424 parser (mmpstrucdata) undid the SD escaping: its values must be
	 * the event's strings (control characters replaced, as the sink does). */
	seqs = slurp(params, &len);
	WT_CHECK(seqs, "rsyslog wrote no %s", params);
	for (char *line = seqs, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		char vals[3 * 4200];

		*nl = '\0';
		seqlines++;
		make_event(&e, seqlines);
		snprintf(vals, sizeof(vals), "%zu|%s|%s", seqlines, e.id.name, sd_path(&e));
		if (strcmp(line, vals) && !bad++)
			wt_diag("rsyslog's parse of record %zu:\n#  want: %.300s\n#  got:  %.300s",
				seqlines, vals, line);
	}
	wt_diag("%zu lines stored, %zu differ, %zu duplicates, %zu missing; rsyslog parsed the SD "
		"of "
		"%zu",
		lines, bad, dup, missing, seqlines);
	WT_CHECK(missing == 0 && bad == 0 && dup == 0 && lines == N && seqlines == N,
		 "every record must be stored exactly once, as sent");
	ret = WT_PASS;
out:
	if (impl)
		ops->close(impl);
	stop_rsyslogd(rs);
	free(log);
	free(seqs);
	return ret;
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(rsyslog_stores_every_record_intact),
	};
	char cmd[128];
	int status;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wd-syslog.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	status = wt_main(cases, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (!getenv("KEEP") && system(cmd))
		wt_diag("could not remove %s", tmpdir);
	return status;
}
