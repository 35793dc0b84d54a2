// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden daemon`: one long-lived process per node. Its BPF maps and links are pinned in bpffs,
 * so enforcement does not depend on it being alive: killed, it leaves every sandbox enforced,
 * and started again it takes the pinned objects over, re-adopts the sandboxes its SQLite state
 * lists, drains the events buffered meanwhile and ends the sandboxes whose TTL passed. One epoll
 * loop serves the control socket, the ring buffer, the commands it runs, signals, metrics
 * scrapes and a timer for TTLs and adoption. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <glob.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lib/clock.h"
#include "lib/cgroup.h"
#include "config/config.h"
#include "ctl/control.h"
#include "daemon/daemon.h"
#include "enforce/enforce.h"
#include "event/fmt.h"
#include "event/event.h"
#include "hooks/hooks.h"
#include "metrics/metrics.h"
#include "event/nodeseq.h"
#include "export/pipeline.h"
#include "policy/policy.h"
#include "policy/compile.h"
#include "sandbox/spawn.h"
#include "state/state.h"
#include "warden/glob.h"
#include "warden/version.h"
#include "lib/yamlx.h"
#include "wd_cgroup.skel.h"
#include "lib/mountinfo.h"

#define TICK_MS	   250	/* TTLs, adoption, emptiness, allowed events without wake-ups */
#define HASH_SLOTS 8192 /* cgroup id -> sandbox; at most WD_POLICIES_MAX sandboxes */
#define SB_MAX	   (WD_POLICIES_MAX - 1)
#define DRAIN_MS   5000
#define NS	   1000000000ull

enum ep_kind { EP_CTL = 1, EP_CONN, EP_RB, EP_SIG, EP_MET, EP_PIDFD, EP_INO };

/* What an fd in the epoll set is; the event carries a pointer to one of these. */
struct ep_tag {
	enum ep_kind kind;
};

/* Where a sandbox's policy comes from, so a change there reaches it. */
enum pol_from {
	FROM_SPEC = 1, /* given when the sandbox was made */
	FROM_SANDBOX,  /* policy apply --sandbox */
	FROM_IDENTITY, /* policy apply --identity */
	FROM_CONFIG,   /* daemon.policies, by identity glob */
	FROM_NODE,     /* policy apply --node-default */
	FROM_EMBEDDED, /* the embedded default */
	FROM_ADOPT,    /* the policy of the adoption rule that matched its cgroup */
};

struct dsb {
	char id[40];
	char *identity;
	struct wd_label labels[WD_PB_LABELS_MAX];
	size_t n_labels;
	struct wd_cgroup cg;
	char ev_cgroup[PATH_MAX]; /* the path in its events: kept after the cgroup is removed */
	enum wd_sb_origin origin;
	bool audit, degraded;
	uint32_t creator;
	uint64_t created_at, expires_at;
	struct wd_compiled *pol;
	enum pol_from from;
	char policy_name[256];
	int64_t policy_row;
	uint64_t generation;
	char workdir[PATH_MAX], home[PATH_MAX];
	uint64_t sandbox_seq, sb_lost_seen, denials;
	struct wd_event_ctx ctx;
	/* The command of a run request, and the client waiting for its end. */
	int pidfd;
	bool has_cmd;  /* made for a command: ends when its cgroup empties */
	bool was_held; /* adopted from the kernel's hold (made matching an adoption rule) */
	struct ep_tag pid_tag;
	struct wd_ctl_conn *run_conn;
	struct dconn *run_dc;
};

struct dconn {
	struct wd_ctl_conn *c;
	struct ep_tag tag;
	uint32_t events;
	bool busy; /* a run request waits for its command */
};

struct dec_count {
	char identity[160];
	uint8_t kind, decision;
	uint64_t n;
};

struct cfg_policy {
	char *path, *text;
	size_t len;
	struct wd_policy *p;
};

struct daemon {
	const char *config_path;
	struct wd_config *cfg;
	struct cfg_policy *cpol;
	size_t n_cpol;
	struct cfg_policy *apol; /* per adoption rule: its policy file (text NULL: none) */
	/* Holding new matching cgroups in the kernel (hold_install): whether the programs are
	 * attached, how many rules the kernel holds by, each rule's compiled policy (NULL: slot
	 * 0, nothing allowed) for the set in force and the previous one (a mkdir may have read
	 * it), the policies of a set being compiled, and the slots a daemon before this one
	 * held under (freed two sets later, like its own). */
	bool hold_on;
	unsigned n_hold;
	struct wd_compiled *hold[WD_ADOPT_MAX], *hold_prev[WD_ADOPT_MAX], *hold_next[WD_ADOPT_MAX];
	bool hold_old[WD_POLICIES_MAX], hold_old_prev[WD_POLICIES_MAX];
	uint64_t hold_fail_seen;
	struct wd_enforcer enf;
	struct wd_state *st;
	struct wd_pipeline *pipe;
	struct wd_ctl_server *ctl;
	struct wd_ctl_auth auth;
	struct wd_metrics_srv *met;
	int ep, sfd;
	struct ep_tag ctl_tag, rb_tag, sig_tag, met_tag, ino_tag;
	int ino; /* inotify on the directories adoption rules may match in; -1 none */
	bool ino_warned;

	struct dsb *sb[SB_MAX];
	size_t n_sb;
	uint64_t hkey[HASH_SLOTS];
	struct dsb *hval[HASH_SLOTS];
	bool slot_used[WD_POLICIES_MAX];
	struct dconn *conns[WD_CTL_MAX_CONNS];

	uint64_t *node_seq;
	struct wd_proc_cache *pc;
	struct wd_pb_event *pbe;
	struct wd_pb_packer *pk; /* kernel records */
	struct wd_event_ctx node_ctx;
	uint64_t lost_seen, *lost_cpu;
	int ncpu;
	char node[256], boot_id[40], kernel[128];
	uint64_t started_at, events_total, events_lost, ev_last, ev_last_t;
	double ev_rate;
	struct dec_count decs[1024];
	size_t n_decs;
	volatile uint64_t *rb_pos[2]; /* consumer and producer positions of the ring buffer */
	uint64_t failed[256];	      /* cgroups auto adoption failed for: not retried */
	size_t n_failed;
	size_t rb_size;
	bool stop;
};

__attribute__((format(printf, 1, 2))) static void logf_(const char *fmt, ...)
{
	va_list ap;

	fputs("warden daemon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* systemd's readiness protocol: one datagram to $NOTIFY_SOCKET. */
static void sd_notify_(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		logf_("cannot notify systemd: %s", strerror(errno));
	close(fd);
}

/* ---- Sandboxes by cgroup id ----------------------------------------------------------------- */

static size_t hslot(uint64_t cgid)
{
	return (size_t)((cgid * 0x9e3779b97f4a7c15ull) >> 51) & (HASH_SLOTS - 1);
}

static struct dsb *sb_by_cgid(struct daemon *d, uint64_t cgid)
{
	for (size_t i = hslot(cgid), n = 0; n < HASH_SLOTS; i = (i + 1) & (HASH_SLOTS - 1), n++) {
		if (!d->hkey[i])
			return NULL;
		if (d->hkey[i] == cgid && d->hval[i])
			return d->hval[i];
	}
	return NULL;
}

static void hash_put(struct daemon *d, struct dsb *s)
{
	size_t i = hslot(s->cg.id);

	while (d->hkey[i] && d->hkey[i] != s->cg.id && d->hval[i])
		i = (i + 1) & (HASH_SLOTS - 1);
	d->hkey[i] = s->cg.id;
	d->hval[i] = s;
}

/* Removal leaves the key (a tombstone) so probing goes on past it. */
static void hash_del(struct daemon *d, uint64_t cgid)
{
	for (size_t i = hslot(cgid), n = 0; n < HASH_SLOTS; i = (i + 1) & (HASH_SLOTS - 1), n++) {
		if (!d->hkey[i])
			return;
		if (d->hkey[i] == cgid && d->hval[i]) {
			d->hval[i] = NULL;
			return;
		}
	}
}

static struct dsb *sb_by_id(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (!strcmp(d->sb[i]->id, id))
			return d->sb[i];
	return NULL;
}

/* ---- Policy slots and rule ids -------------------------------------------------------------- */

static int slot_alloc(struct daemon *d)
{
	for (int i = 1; i < WD_POLICIES_MAX; i++)
		if (!d->slot_used[i]) {
			d->slot_used[i] = true;
			return i;
		}
	return -ENOSPC;
}

/* The @k-th policy of the kernel's hold: the rule set in force, the previous one, the next. */
static const struct wd_compiled *hold_policy(const struct daemon *d, size_t k)
{
	if (k < WD_ADOPT_MAX)
		return d->hold[k];
	if (k < 2 * WD_ADOPT_MAX)
		return d->hold_prev[k - WD_ADOPT_MAX];
	return d->hold_next[k - 2 * WD_ADOPT_MAX];
}

/* First fit among the rule id ranges the sandboxes and the hold's policies hold. */
static uint32_t rules_alloc(struct daemon *d, uint32_t n, const struct dsb *skip)
{
	uint32_t at = 1;

	for (;;) {
		bool moved = false;

		for (size_t i = 0; i < d->n_sb + 3 * WD_ADOPT_MAX; i++) {
			const struct wd_compiled *c =
				i < d->n_sb ? d->sb[i]->pol : hold_policy(d, i - d->n_sb);

			if ((i < d->n_sb && d->sb[i] == skip) || !c)
				continue;
			if (at < c->first_rule_id + c->n_rules && c->first_rule_id < at + n) {
				at = c->first_rule_id + c->n_rules;
				moved = true;
			}
		}
		if (!moved)
			break;
	}
	return (uint64_t)at + n <= WD_RULES_MAX ? at : 0;
}

/* The policy of a slot no sandbox uses any more: its entries go, its slot and rules are free. */
static void policy_release(struct daemon *d, struct wd_compiled *c)
{
	if (!c)
		return;
	wd_enforcer_clear_slot(&d->enf, c->policy_id);
	wd_enforcer_reset_hits(&d->enf, c->first_rule_id, c->n_rules);
	d->slot_used[c->policy_id] = false;
	wd_compiled_free(c);
}

/* ---- Which policy a sandbox gets ------------------------------------------------------------ */

struct pol_choice {
	enum pol_from from;
	char name[256];
	char *text; /* malloc'd */
	size_t len;
	int64_t row; /* state row of an applied policy, 0 otherwise */
	uint64_t generation;
};

static int choose_policy(struct daemon *d, const char *identity, const char *sb_id,
			 const Warden__V1__PolicySource *spec, struct pol_choice *pc)
{
	struct wd_state_policy *sp = NULL;

	memset(pc, 0, sizeof(*pc));
	if (spec && spec->text && spec->text[0]) {
		pc->from = FROM_SPEC;
		snprintf(pc->name, sizeof(pc->name), "%s",
			 spec->name && spec->name[0] ? spec->name : "<request>");
		pc->text = strdup(spec->text);
		pc->len = strlen(spec->text);
		return pc->text ? 0 : -ENOMEM;
	}
	if ((sb_id && wd_state_policy_current(d->st, WD_TARGET_SANDBOX, sb_id, &sp) == 0 &&
	     (pc->from = FROM_SANDBOX)) ||
	    (wd_state_policy_current(d->st, WD_TARGET_IDENTITY, identity, &sp) == 0 &&
	     (pc->from = FROM_IDENTITY))) {
		goto applied;
	}
	for (size_t i = 0; i < d->n_cpol; i++) {
		if (wd_policy_applies_to(d->cpol[i].p, identity)) {
			pc->from = FROM_CONFIG;
			snprintf(pc->name, sizeof(pc->name), "%s", d->cpol[i].path);
			pc->text = malloc(d->cpol[i].len + 1);
			if (!pc->text)
				return -ENOMEM;
			memcpy(pc->text, d->cpol[i].text, d->cpol[i].len + 1);
			pc->len = d->cpol[i].len;
			return 0;
		}
	}
	if (wd_state_policy_current(d->st, WD_TARGET_NODE, "", &sp) == 0) {
		pc->from = FROM_NODE;
		goto applied;
	}
	pc->from = FROM_EMBEDDED;
	snprintf(pc->name, sizeof(pc->name), "<default policy>");
	pc->text = malloc(wd_default_policy_len + 1);
	if (!pc->text)
		return -ENOMEM;
	memcpy(pc->text, wd_default_policy, wd_default_policy_len);
	pc->text[wd_default_policy_len] = '\0';
	pc->len = wd_default_policy_len;
	return 0;
applied:
	snprintf(pc->name, sizeof(pc->name), "%s",
		 sp->source && sp->source[0] ? sp->source : sp->name);
	pc->text = malloc(sp->text_len + 1);
	if (pc->text) {
		memcpy(pc->text, sp->text, sp->text_len);
		pc->text[sp->text_len] = '\0';
		pc->len = sp->text_len;
	}
	pc->row = sp->id;
	pc->generation = sp->generation;
	wd_state_policy_free(sp);
	return pc->text ? 0 : -ENOMEM;
}

/* Problems of a policy text for a response. */
struct problems {
	Warden__V1__PolicyProblem *v;
	Warden__V1__PolicyProblem **p;
	size_t n;
	char **msgs;
};

static void problems_from(struct problems *pr, const struct wd_diags *dg)
{
	memset(pr, 0, sizeof(*pr));
	if (!dg->n)
		return;
	pr->v = calloc(dg->n, sizeof(*pr->v));
	pr->p = calloc(dg->n, sizeof(*pr->p));
	if (!pr->v || !pr->p)
		return;
	for (size_t i = 0; i < dg->n; i++) {
		warden__v1__policy_problem__init(&pr->v[i]);
		pr->v[i].file = dg->v[i].file;
		pr->v[i].line = (uint32_t)(dg->v[i].line > 0 ? dg->v[i].line : 0);
		pr->v[i].column = (uint32_t)(dg->v[i].col > 0 ? dg->v[i].col : 0);
		pr->v[i].message = dg->v[i].msg;
		pr->p[i] = &pr->v[i];
	}
	pr->n = dg->n;
}

static void problems_free(struct problems *pr)
{
	free(pr->v);
	free(pr->p);
}

/* Every sandbox's policy also denies reading and writing the daemon's own state, its control
 * socket and counter, and its pins, whatever the policy's author wrote: deny wins. */
static int protect_daemon(struct daemon *d, struct wd_policy *p)
{
	const char *dirs[] = {d->cfg->daemon.state_dir, d->cfg->daemon.run_dir,
			      d->cfg->daemon.bpf_dir};

	for (int op = WD_OP_READ; op <= WD_OP_WRITE; op++) {
		struct wd_path_list *l = &p->paths[op][WD_DENY];
		struct wd_path_rule *v = realloc(l->v, (l->n + 3) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		for (int i = 0; i < 3; i++) {
			struct wd_path_rule *r = &l->v[l->n];

			memset(r, 0, sizeof(*r));
			if (asprintf(&r->text, "%s/", dirs[i]) < 0)
				return -ENOMEM;
			r->kind = WD_PATH_PREFIX;
			l->n++;
			p->n_rules++;
		}
	}
	return 0;
}

/* Parses and compiles @pc for a sandbox of @identity into a fresh slot. */
static int compile_for(struct daemon *d, const struct pol_choice *pc, const char *identity,
		       const char *workdir, const char *home, bool audit, const struct dsb *skip,
		       struct wd_compiled **out, struct wd_diags *dg)
{
	/* Sandboxes made without a job (create, adopt) have no working directory or home: the
	 * policy's ${workdir} and ${home} rules then name a directory that does not exist. */
	struct wd_policy_ctx ctx = {.workdir = workdir && workdir[0] ? workdir
								     : WD_PLACEHOLDER_WORKDIR,
				    .home = home && home[0] ? home : WD_PLACEHOLDER_HOME};
	struct wd_policy *p = NULL;
	uint32_t first;
	int slot, err;

	*out = NULL;
	err = wd_policy_parse_string(pc->name, pc->text, pc->len, &p, dg);
	if (err)
		return err;
	/* An adoption rule's policy is bound to it by the config: no identity check. */
	if ((pc->from == FROM_SPEC || pc->from == FROM_CONFIG) &&
	    !wd_policy_applies_to(p, identity)) {
		wd_diags_add(dg, pc->name, 0, 0,
			     "policy '%s' does not apply to identity '%s': add a matching glob to "
			     "its identities",
			     p->name, identity);
		wd_policy_free(p);
		return -EPERM;
	}
	if (audit)
		p->audit = true;
	err = protect_daemon(d, p);
	if (err) {
		wd_policy_free(p);
		return err;
	}
	if (p->uses_workdir && ctx.workdir && !strcmp(ctx.workdir, "/")) {
		wd_diags_add(dg, pc->name, 0, 0,
			     "refusing / as the job's working directory: the policy's ${workdir} "
			     "rules would cover the whole system");
		wd_policy_free(p);
		return -EINVAL;
	}
	first = rules_alloc(d, (uint32_t)(p->n_rules + 1), skip);
	slot = slot_alloc(d);
	if (!first || slot < 0) {
		wd_diags_add(dg, pc->name, 0, 0, "no room for another policy: %s",
			     slot < 0 ? "all policy slots are in use" : "rule ids exhausted");
		if (slot > 0)
			d->slot_used[slot] = false;
		wd_policy_free(p);
		return -ENOSPC;
	}
	/* Whatever a daemon before this one left in the slot goes first. */
	wd_enforcer_clear_slot(&d->enf, (uint32_t)slot);
	err = wd_policy_compile(p, &ctx, (uint32_t)slot, first, out, dg);
	wd_policy_free(p);
	if (err)
		d->slot_used[slot] = false;
	return err;
}

/* ---- Events --------------------------------------------------------------------------------- */

static const char *ctx_rule_text(void *arg, uint32_t rule_id)
{
	struct dsb *s = arg;

	return s->pol ? wd_compiled_rule_text(s->pol, rule_id) : NULL;
}

static void sb_ctx(struct daemon *d, struct dsb *s)
{
	snprintf(s->ev_cgroup, sizeof(s->ev_cgroup), "%s", s->cg.path);
	s->ctx = (struct wd_event_ctx){
		.identity = s->identity,
		.labels = s->labels,
		.n_labels = s->n_labels,
		.sandbox_id = s->id,
		.cgroup_path = s->ev_cgroup,
		.cgroup_id = s->cg.id,
		.policy_name = s->policy_name,
		.node = d->node,
		.boot_id = d->boot_id,
		.rule_text = ctx_rule_text,
		.rule_text_arg = s,
		.node_seq = d->node_seq,
		.sandbox_seq = &s->sandbox_seq,
		.boot_to_wall_ns = d->node_ctx.boot_to_wall_ns,
		.gen = wd_event_ctx_gen(),
	};
	wd_proc_cache_ctx(d->pc, &s->ctx);
}

static void emit_pb(struct daemon *d)
{
	d->events_total++;
	if (d->pipe)
		wd_pipeline_emit(d->pipe, &d->pbe->ev);
}

static void lifecycle(struct daemon *d, struct dsb *s, Warden__V1__Lifecycle__Kind kind,
		      const char *detail)
{
	if (wd_event_lifecycle_to_pb(s ? &s->ctx : &d->node_ctx, kind, detail, d->pbe) == 0)
		emit_pb(d);
}

static void count_decision(struct daemon *d, const char *identity, uint8_t kind, uint8_t dec)
{
	size_t i;

	for (i = 0; i < d->n_decs; i++)
		if (d->decs[i].kind == kind && d->decs[i].decision == dec &&
		    !strcmp(d->decs[i].identity, identity))
			break;
	if (i == d->n_decs) {
		if (d->n_decs == sizeof(d->decs) / sizeof(d->decs[0]))
			return;
		snprintf(d->decs[i].identity, sizeof(d->decs[i].identity), "%s", identity);
		d->decs[i].kind = kind;
		d->decs[i].decision = dec;
		d->n_decs++;
	}
	d->decs[i].n++;
}

static const char *hold_rule_text(const struct daemon *d, const struct wd_event *e);

static int on_event(void *arg, const struct wd_event *e)
{
	struct daemon *d = arg;
	struct dsb *s = sb_by_cgid(d, e->cgroup_id);
	char who[512];

	count_decision(d, s ? s->identity : "", (uint8_t)e->hdr.type, e->decision);
	if (s && e->decision != WD_DEC_ALLOW)
		s->denials++;
	/* Denials go to the daemon's log (the journal) as readable lines too. */
	if (e->decision != WD_DEC_ALLOW) {
		bool held = !s && wd_enforcer_held(&d->enf, e->cgroup_id, NULL);

		if (held)
			snprintf(who, sizeof(who),
				 "warden[held cgroup %" PRIu64 "]:", (uint64_t)e->cgroup_id);
		else
			snprintf(who, sizeof(who), "warden[%s %s]:", s ? s->identity : "?",
				 s ? s->id : "?");
		wd_event_format(stderr, e, who,
				s      ? ctx_rule_text(s, e->rule_id)
				: held ? hold_rule_text(d, e)
				       : "the sandbox has ended");
		fputc('\n', stderr);
	}
	if (!d->pipe || wd_pipeline_emit_record(d->pipe, d->pk, e, s ? &s->ctx : &d->node_ctx) >= 0)
		d->events_total++;
	if (e->hdr.type == WD_EV_EXEC)
		wd_proc_cache_forget(d->pc, e->pid);
	return 0;
}

/* Kernel reserve failures since the last look, as EVENTS_LOST per sandbox and for the node. */
static void check_lost(struct daemon *d)
{
	uint64_t total, rest;
	char detail[512];

	total = wd_enforcer_lost_cpu(&d->enf, d->lost_cpu, d->ncpu);
	if (total == d->lost_seen)
		return;
	rest = total - d->lost_seen;
	d->events_lost += rest;
	wd_lost_detail(detail, sizeof(detail), d->lost_cpu, d->ncpu);
	logf_("%" PRIu64 " events lost (%s)", rest, detail);
	for (size_t i = 0; i < d->n_sb; i++) {
		struct dsb *s = d->sb[i];
		uint64_t n = wd_enforcer_sandbox_lost(&d->enf, s->cg.id),
			 delta = n - s->sb_lost_seen;

		if (!delta || delta > rest)
			continue;
		s->sb_lost_seen = n;
		rest -= delta;
		if (wd_event_lost_to_pb(&s->ctx, delta, detail, d->pbe) == 0)
			emit_pb(d);
	}
	if (rest && wd_event_lost_to_pb(&d->node_ctx, rest, detail, d->pbe) == 0)
		emit_pb(d);
	d->lost_seen = total;
}

static void drain(struct daemon *d)
{
	wd_enforcer_drain(&d->enf);
	check_lost(d);
	wd_pipeline_kick(d->pipe);
}

static void drain_all(struct daemon *d)
{
	wd_enforcer_drain_all(&d->enf);
	check_lost(d);
	wd_pipeline_kick(d->pipe);
}

/* ---- Sandbox life --------------------------------------------------------------------------- */

static void sb_free(struct dsb *s)
{
	if (!s)
		return;
	free(s->identity);
	for (size_t i = 0; i < s->n_labels; i++) {
		free((char *)s->labels[i].key);
		free((char *)s->labels[i].value);
	}
	if (s->pidfd >= 0)
		close(s->pidfd);
	wd_cgroup_close(&s->cg);
	free(s);
}

static void kv_key(char *buf, size_t size, const struct dsb *s)
{
	snprintf(buf, size, "sandbox/%s", s->id);
}

/* What a restart needs to rebuild the sandbox's compiled policy: slot, rule ids, variables. */
static int save_kv(struct daemon *d, const struct dsb *s)
{
	char key[64], val[WD_STATE_TEXT_MAX];

	kv_key(key, sizeof(key), s);
	snprintf(val, sizeof(val), "%u %u %d %d %d %d\n%s\n%s", s->pol->policy_id,
		 s->pol->first_rule_id, (int)s->from, s->audit, s->degraded, s->has_cmd, s->workdir,
		 s->home);
	return wd_state_kv_set(d->st, key, val);
}

static const char *const lsm_needed_why =
	"this kernel cannot enforce exec and file rules (BPF LSM was not seen enforcing: boot "
	"with lsm=...,bpf and CONFIG_BPF_LSM=y), and degraded was not asked";

static void sb_list_remove(struct daemon *d, struct dsb *s)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (d->sb[i] == s) {
			d->sb[i] = d->sb[--d->n_sb];
			break;
		}
	hash_del(d, s->cg.id);
}

static void send_run_exited(struct daemon *d, struct dsb *s, int status, int sig,
			    Warden__V1__RunExited__Reason reason, const char *detail);

static int rule_of_cgroup(struct daemon *d, const char *cg_path);

/* An adopted sandbox that ends while its cgroup is still there and matches an adoption rule
 * the kernel holds by goes back to the hold (the rule's policy), not free: a process moved in
 * before the next adoption stays confined. */
static bool sb_rehold(struct daemon *d, struct dsb *s)
{
	int r;

	if (!d->hold_on || access(s->cg.path, F_OK))
		return false;
	r = rule_of_cgroup(d, s->cg.path);
	if (r < 0 || r >= WD_ADOPT_MAX)
		return false;
	return wd_enforcer_hold(&d->enf, s->cg.id, d->hold[r] ? d->hold[r]->policy_id : 0, false) ==
	       0;
}

/* Ends a sandbox: its processes are killed before its entries go, so nothing of it runs
 * unenforced; adopted cgroups stay (they are someone else's), the ones warden made go. */
static void sb_end(struct daemon *d, struct dsb *s, enum wd_sb_state state, const char *detail)
{
	Warden__V1__Lifecycle__Kind kind =
		state == WD_SB_EXPIRED	 ? WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED
		: state == WD_SB_REVOKED ? WARDEN__V1__LIFECYCLE__KIND__SANDBOX_REVOKED
					 : WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED;
	bool owned = s->origin == WD_SB_RUN;
	char key[64];
	int err = 0;

	if (owned || state != WD_SB_ENDED)
		err = owned ? wd_cgroup_destroy(&s->cg, 5000) : wd_cgroup_kill(&s->cg, 5000);
	if (err) {
		/* Something survived the kill: the sandbox stays, enforced, and is retried. */
		logf_("sandbox %s: could not empty cgroup %s: %s; it stays enforced", s->id,
		      s->cg.path, strerror(-err));
		return;
	}
	drain_all(d);
	lifecycle(d, s, kind, detail);
	if (!owned && sb_rehold(d, s))
		logf_("sandbox %s: its cgroup %s still matches an adoption rule: held by the "
		      "kernel until it is adopted again",
		      s->id, s->cg.path);
	else
		wd_enforcer_del_sandbox(&d->enf, s->cg.id);
	wd_enforcer_unpin_cgroup(&d->enf, s->cg.id);
	if (wd_state_sandbox_end(d->st, s->id, state, wd_clock_ns(CLOCK_REALTIME), detail) && d->st)
		logf_("sandbox %s: %s", s->id, wd_state_errmsg(d->st));
	kv_key(key, sizeof(key), s);
	wd_state_kv_set(d->st, key, "");
	if (s->run_dc)
		send_run_exited(d, s, -1, 0,
				state == WD_SB_EXPIRED ? WARDEN__V1__RUN_EXITED__REASON__EXPIRED
						       : WARDEN__V1__RUN_EXITED__REASON__REVOKED,
				detail);
	logf_("sandbox %s (%s) %s: %s", s->id, s->identity, wd_sb_state_name(state), detail);
	sb_list_remove(d, s);
	policy_release(d, s->pol);
	s->pol = NULL;
	if (s->pidfd >= 0)
		epoll_ctl(d->ep, EPOLL_CTL_DEL, s->pidfd, NULL);
	sb_free(s);
}

/* Whether the cgroup at @path (absolute, in cgroupfs) is the daemon's own or an ancestor of
 * it: adopting it would sandbox the daemon. */
static bool holds_daemon(const char *path)
{
	char mnt[PATH_MAX], root[PATH_MAX], self[PATH_MAX], line[PATH_MAX + 8], full[PATH_MAX * 2];
	size_t n;
	FILE *f;

	if (wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return true; /* cannot tell: refuse */
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return true;
	self[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(self, sizeof(self), "%s", line + 3);
		}
	fclose(f);
	if (!self[0])
		return true;
	snprintf(full, sizeof(full), "%s%s", mnt, strcmp(self, "/") ? self : "");
	n = strlen(path);
	return !strncmp(full, path, n) && (full[n] == '/' || !full[n]);
}

struct sb_req {
	const char *identity;
	Warden__V1__SandboxSpec *spec;
	enum wd_sb_origin origin;
	const char *adopt_path; /* adopt: the cgroup */
	bool rule_policy;	/* spec->policy is the adoption rule's (FROM_ADOPT) */
	uint32_t uid;
	const char *workdir, *home;
};

static int sb_create(struct daemon *d, const struct sb_req *q, struct dsb **out,
		     Warden__V1__Error__Code *code, char *why, size_t why_size, struct wd_diags *dg)
{
	Warden__V1__SandboxSpec *spec = q->spec;
	struct pol_choice pc = {0};
	struct wd_state_policy rec = {0};
	uint32_t held_slot = 0;
	struct wd_state_sandbox row = {0};
	unsigned char rnd[8];
	struct dsb *s;
	int err;

	*out = NULL;
	*code = WARDEN__V1__ERROR__CODE__INTERNAL;
	if (d->n_sb >= SB_MAX) {
		*code = WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED;
		snprintf(why, why_size, "the daemon governs %d sandboxes already", SB_MAX);
		return -ENOSPC;
	}
	if (wd_identity_valid(q->identity)) {
		*code = WARDEN__V1__ERROR__CODE__INVALID_REQUEST;
		snprintf(why, why_size,
			 "'%s' is not an identity: write kind:name, e.g. ci:acme/api#8812",
			 q->identity);
		return -EINVAL;
	}
	if (!d->enf.lsm && !(spec && spec->degraded) && !d->cfg->daemon.degraded) {
		*code = WARDEN__V1__ERROR__CODE__KERNEL_UNSUPPORTED;
		snprintf(why, why_size, "%s (%s)", lsm_needed_why, d->enf.lsm_error);
		return -EOPNOTSUPP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pidfd = -1;
	s->cg.fd = -1;
	s->identity = strdup(q->identity);
	for (size_t i = 0; spec && i < spec->n_labels && i < WD_PB_LABELS_MAX; i++) {
		s->labels[i].key = strdup(spec->labels[i]->key);
		s->labels[i].value = strdup(spec->labels[i]->value);
		s->n_labels++;
	}
	s->origin = q->origin;
	s->audit = spec && spec->audit;
	s->degraded = !d->enf.lsm;
	s->creator = q->uid;
	s->created_at = wd_clock_ns(CLOCK_REALTIME);
	s->expires_at = spec && spec->ttl_ms ? s->created_at + spec->ttl_ms * 1000000ull : 0;
	snprintf(s->workdir, sizeof(s->workdir), "%s", q->workdir ? q->workdir : "");
	snprintf(s->home, sizeof(s->home), "%s", q->home ? q->home : "");
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		err = -errno;
		goto fail;
	}
	snprintf(s->id, sizeof(s->id), "sb-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);

	err = choose_policy(d, q->identity, NULL, spec ? spec->policy : NULL, &pc);
	if (!err && q->rule_policy)
		pc.from = FROM_ADOPT;
	if (!err)
		err = compile_for(d, &pc, q->identity, s->workdir, s->home, s->audit, NULL, &s->pol,
				  dg);
	if (err) {
		*code = err == -ENOSPC ? WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED
				       : WARDEN__V1__ERROR__CODE__POLICY_INVALID;
		snprintf(why, why_size, "policy %s cannot be applied", pc.name);
		goto fail;
	}
	s->from = pc.from;
	snprintf(s->policy_name, sizeof(s->policy_name), "%s", pc.name);

	if (q->adopt_path) {
		err = wd_cgroup_open(&s->cg, q->adopt_path);
		if (!err && sb_by_cgid(d, s->cg.id))
			err = -EEXIST;
		if (!err)
			s->was_held = wd_enforcer_held(&d->enf, s->cg.id, &held_slot);
		if (!err && holds_daemon(s->cg.path)) {
			*code = WARDEN__V1__ERROR__CODE__INVALID_REQUEST;
			snprintf(why, why_size,
				 "cannot adopt cgroup %s: the warden daemon itself runs in it or "
				 "below "
				 "it",
				 q->adopt_path);
			err = -EINVAL;
			goto fail;
		}
		if (err) {
			*code = err == -EEXIST ? WARDEN__V1__ERROR__CODE__ALREADY_EXISTS
					       : WARDEN__V1__ERROR__CODE__NOT_FOUND;
			snprintf(why, why_size, "cannot adopt cgroup %s: %s", q->adopt_path,
				 err == -EEXIST ? "it is a sandbox already" : strerror(-err));
			goto fail;
		}
	} else {
		err = wd_cgroup_create(&s->cg, s->id);
		if (err) {
			snprintf(why, why_size, "cannot create the sandbox cgroup: %s",
				 strerror(-err));
			goto fail;
		}
	}
	/* The record first (the policy as applied, then the sandbox): a daemon that dies after
	 * this finds it and cleans up; one that dies before left no kernel state. */
	rec.target_kind = WD_TARGET_SANDBOX;
	rec.target = s->id;
	rec.name = s->pol->n_rules ? pc.name : pc.name;
	rec.source = pc.name;
	rec.text = pc.text;
	rec.text_len = pc.len;
	rec.applied_at = s->created_at;
	rec.applied_by = q->uid;
	err = wd_state_policy_record(d->st, &rec);
	if (err) {
		snprintf(why, why_size, "state: %s", wd_state_errmsg(d->st));
		goto fail_cg;
	}
	s->policy_row = rec.id;
	s->generation = rec.generation;
	row = (struct wd_state_sandbox){
		.id = s->id,
		.identity = s->identity,
		.labels = s->labels,
		.n_labels = s->n_labels,
		.cgroup_path = s->cg.path,
		.cgroup_id = s->cg.id,
		.policy_id = rec.id,
		.created_at = s->created_at,
		.expires_at = s->expires_at,
		.origin = s->origin,
		.audit = s->audit,
		.created_by = q->uid,
	};
	err = wd_state_sandbox_add(d->st, &row);
	if (!err)
		err = save_kv(d, s);
	if (err) {
		snprintf(why, why_size, "state: %s", wd_state_errmsg(d->st));
		goto fail_cg;
	}
	err = wd_enforcer_load_policy(&d->enf, s->pol);
	if (!err)
		err = wd_enforcer_attach_cgroup(&d->enf, s->cg.fd);
	if (!err)
		err = wd_enforcer_add_sandbox(&d->enf, s->cg.id, s->cg.level, s->pol->policy_id);
	if (err) {
		snprintf(why, why_size, "cannot enforce in the kernel: %s", strerror(-err));
		wd_state_sandbox_end(d->st, s->id, WD_SB_ENDED, wd_clock_ns(CLOCK_REALTIME),
				     "could not be enforced");
		/* A cgroup the kernel held goes back to its hold, never free. */
		if (s->was_held)
			wd_enforcer_hold(&d->enf, s->cg.id, held_slot, false);
		else
			wd_enforcer_del_sandbox(&d->enf, s->cg.id);
		wd_enforcer_unpin_cgroup(&d->enf, s->cg.id);
		goto fail_cg;
	}
	sb_ctx(d, s);
	d->sb[d->n_sb++] = s;
	hash_put(d, s);
	lifecycle(d, s, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED, NULL);
	lifecycle(d, s, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, pc.name);
	logf_("sandbox %s (%s) created: policy %s, cgroup %s%s", s->id, s->identity, pc.name,
	      s->cg.path, q->adopt_path ? " (adopted)" : "");
	free(pc.text);
	*out = s;
	return 0;
fail_cg:
	if (!q->adopt_path)
		wd_cgroup_destroy(&s->cg, 1000);
fail:
	free(pc.text);
	if (s->pol) {
		d->slot_used[s->pol->policy_id] = false;
		wd_enforcer_clear_slot(&d->enf, s->pol->policy_id);
		wd_compiled_free(s->pol);
		s->pol = NULL;
	}
	sb_free(s);
	return err ? err : -EINVAL;
}

/* Switches a running sandbox to the policy its source says now (after apply or reload):
 * compiled and loaded whole into a new slot, then one map update, then the old slot goes. */
/* Switches @s to the compiled @next (loaded whole first, then one map update, then the old slot
 * goes). On error @next is released and the policy in force stays. */
static int sb_switch(struct daemon *d, struct dsb *s, struct wd_compiled *next,
		     const struct pol_choice *pc)
{
	struct wd_compiled *prev = s->pol;
	int err = wd_enforcer_load_policy(&d->enf, next);

	if (!err)
		err = wd_enforcer_add_sandbox(&d->enf, s->cg.id, s->cg.level, next->policy_id);
	if (err) {
		policy_release(d, next);
		return err;
	}
	s->pol = next;
	s->from = pc->from;
	snprintf(s->policy_name, sizeof(s->policy_name), "%s", pc->name);
	s->ctx.gen = wd_event_ctx_gen(); /* new rule texts and policy name in its events */
	if (pc->row)
		wd_state_sandbox_set_policy(d->st, s->id, pc->row);
	s->generation = pc->generation;
	save_kv(d, s);
	policy_release(d, prev);
	lifecycle(d, s, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, pc->name);
	return 0;
}

/* Compiles @pc for @s and switches to it (after apply or reload). */
static int sb_repolicy(struct daemon *d, struct dsb *s, const struct pol_choice *pc,
		       struct wd_diags *dg)
{
	struct wd_compiled *next = NULL;
	int err = compile_for(d, pc, s->identity, s->workdir, s->home, s->audit, s, &next, dg);

	return err ? err : sb_switch(d, s, next, pc);
}

/* ---- Responses ------------------------------------------------------------------------------ */

struct sb_info {
	Warden__V1__SandboxInfo info;
	Warden__V1__SandboxInfo__LabelsEntry lab[WD_PB_LABELS_MAX];
	Warden__V1__SandboxInfo__LabelsEntry *labp[WD_PB_LABELS_MAX];
	char *not_enforced[1];
};

static void fill_info(const struct dsb *s, struct sb_info *o)
{
	warden__v1__sandbox_info__init(&o->info);
	o->info.id = (char *)s->id;
	o->info.identity = s->identity;
	for (size_t i = 0; i < s->n_labels; i++) {
		warden__v1__sandbox_info__labels_entry__init(&o->lab[i]);
		o->lab[i].key = (char *)s->labels[i].key;
		o->lab[i].value = (char *)s->labels[i].value;
		o->labp[i] = &o->lab[i];
	}
	o->info.n_labels = s->n_labels;
	o->info.labels = o->labp;
	o->info.cgroup_path = (char *)s->cg.path;
	o->info.cgroup_id = s->cg.id;
	o->info.state = WARDEN__V1__SANDBOX_INFO__STATE__ACTIVE;
	o->info.created_wall_ns = s->created_at;
	o->info.expires_wall_ns = s->expires_at;
	o->info.policy_name = (char *)s->policy_name;
	o->info.policy_generation = s->generation;
	o->info.audit = s->audit;
	if (s->degraded) {
		o->not_enforced[0] = WD_DEGRADED_NOT_ENFORCED " (no BPF LSM)";
		o->info.n_not_enforced = 1;
		o->info.not_enforced = o->not_enforced;
	}
	o->info.adopted = s->origin != WD_SB_RUN;
	o->info.denials = s->denials;
	o->info.created_by_uid = s->creator;
}

static int send_error(struct dconn *dc, Warden__V1__Error__Code code, const char *msg,
		      const struct problems *pr)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Error e = WARDEN__V1__ERROR__INIT;

	e.code = code;
	e.message = (char *)msg;
	if (pr && pr->n) {
		e.n_problems = pr->n;
		e.problems = pr->p;
	}
	r.error = &e;
	return wd_ctl_conn_send(dc->c, &r, true);
}

static void send_run_exited(struct daemon *d, struct dsb *s, int status, int sig,
			    Warden__V1__RunExited__Reason reason, const char *detail)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__RunExited x = WARDEN__V1__RUN_EXITED__INIT;
	struct dconn *dc = s->run_dc;

	(void)d;
	x.exit_status = status;
	x.signal = (uint32_t)sig;
	x.reason = reason;
	x.detail = (char *)(detail ? detail : "");
	r.result_case = WARDEN__V1__RESPONSE__RESULT_RUN_EXITED;
	r.run_exited = &x;
	dc->busy = false;
	wd_ctl_conn_send(dc->c, &r, true);
	s->run_dc = NULL;
}

/* ---- Requests ------------------------------------------------------------------------------- */

static const char *env_get(char **env, size_t n, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(env[i], name, l) && env[i][l] == '=')
			return env[i] + l + 1;
	return NULL;
}

static void sb_reply(struct dconn *dc, const struct dsb *s)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	struct sb_info si;

	fill_info(s, &si);
	r.result_case = WARDEN__V1__RESPONSE__RESULT_SANDBOX;
	r.sandbox = &si.info;
	wd_ctl_conn_send(dc->c, &r, true);
}

static void create_failed(struct dconn *dc, Warden__V1__Error__Code code, const char *why,
			  struct wd_diags *dg)
{
	struct problems pr;

	problems_from(&pr, dg);
	send_error(dc, code, why, &pr);
	problems_free(&pr);
}

static void do_run(struct daemon *d, struct dconn *dc, Warden__V1__RunRequest *rq)
{
	const struct wd_ctl_peer *peer = wd_ctl_conn_peer(dc->c);
	int fds[WD_CTL_FDS_MAX], nfd = (int)wd_ctl_conn_take_fds(dc->c, fds);
	Warden__V1__Error__Code code;
	char why[512], procs[PATH_MAX + 16], cwd[PATH_MAX];
	struct wd_diags dg = {0};
	struct dsb *s = NULL;
	struct sb_req q = {0};
	char **argv = NULL, **envp = NULL;
	int err, pidfd = -1;

	if (!rq->sandbox || !rq->sandbox->identity || !rq->n_argv || nfd != 3) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "run needs an identity, a command and the three stdio descriptors",
			   NULL);
		goto out;
	}
	q.identity = rq->sandbox->identity;
	q.spec = rq->sandbox;
	q.origin = WD_SB_RUN;
	q.uid = peer->uid;
	q.workdir = rq->cwd && realpath(rq->cwd, cwd) ? cwd : NULL;
	q.home = env_get(rq->env, rq->n_env, "HOME");
	err = sb_create(d, &q, &s, &code, why, sizeof(why), &dg);
	if (err) {
		create_failed(dc, code, why, &dg);
		goto out;
	}
	argv = calloc(rq->n_argv + 1, sizeof(char *));
	envp = calloc(rq->n_env + 1, sizeof(char *));
	if (!argv || !envp) {
		sb_end(d, s, WD_SB_ENDED, "out of memory");
		send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, "out of memory", NULL);
		goto out;
	}
	memcpy(argv, rq->argv, rq->n_argv * sizeof(char *));
	memcpy(envp, rq->env, rq->n_env * sizeof(char *));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", s->cg.path);
	{
		struct wd_spawn sp = {
			.cgroup_fd = s->cg.fd,
			.procs = d->enf.lsm ? procs : NULL,
			.argv = argv,
			.envp = envp,
			.cwd = rq->cwd && rq->cwd[0] ? rq->cwd : "/",
			.stdio = {fds[0], fds[1], fds[2]},
			/* The command runs as its caller, never as the daemon. */
			.set_creds = true,
			.uid = peer->uid,
			.gid = peer->gid,
			.groups = peer->groups,
			.n_groups = peer->n_groups,
			.who = "warden run",
		};
		sigset_t none;

		sigemptyset(&none);
		sp.sigmask = &none;
		err = wd_spawn(&sp, &pidfd);
	}
	if (err < 0) {
		snprintf(why, sizeof(why), "cannot start the command: %s", strerror(-err));
		sb_end(d, s, WD_SB_ENDED, why);
		send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, why, NULL);
		goto out;
	}
	s->pidfd = pidfd;
	s->has_cmd = true;
	save_kv(d, s);
	s->pid_tag = (struct ep_tag){EP_PIDFD};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, pidfd,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &s->pid_tag});
	{
		Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
		Warden__V1__RunStarted st = WARDEN__V1__RUN_STARTED__INIT;
		struct sb_info si;

		fill_info(s, &si);
		st.sandbox = &si.info;
		st.pid = (uint32_t)err;
		r.result_case = WARDEN__V1__RESPONSE__RESULT_RUN_STARTED;
		r.run_started = &st;
		wd_ctl_conn_send(dc->c, &r, false);
	}
	s->run_dc = dc;
	dc->busy = true;
out:
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	free(argv);
	free(envp);
	wd_diags_free(&dg);
}

static void on_command_exit(struct daemon *d, struct dsb *s)
{
	siginfo_t si = {0};
	char how[64];
	int status = 0, sig = 0;

	if (waitid(P_PIDFD, s->pidfd, &si, WEXITED | WNOHANG) || !si.si_pid)
		return;
	if (si.si_code == CLD_EXITED) {
		status = si.si_status;
		snprintf(how, sizeof(how), "exit status %d", status);
	} else {
		sig = si.si_status;
		status = 128 + sig;
		snprintf(how, sizeof(how), "killed by signal %d", sig);
	}
	epoll_ctl(d->ep, EPOLL_CTL_DEL, s->pidfd, NULL);
	close(s->pidfd);
	s->pidfd = -1;
	if (s->run_dc)
		send_run_exited(d, s, status, sig, WARDEN__V1__RUN_EXITED__REASON__EXITED, how);
	sb_end(d, s, WD_SB_ENDED, how);
}

static void do_create_or_adopt(struct daemon *d, struct dconn *dc, Warden__V1__SandboxSpec *spec,
			       const char *adopt)
{
	Warden__V1__Error__Code code;
	struct wd_diags dg = {0};
	struct sb_req q = {0};
	struct dsb *s;
	char why[512];

	if (!spec || !spec->identity || (adopt && !adopt[0])) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   adopt ? "adopt needs an identity and a cgroup path"
				 : "create needs an identity",
			   NULL);
		return;
	}
	q.identity = spec->identity;
	q.spec = spec;
	q.origin = adopt ? WD_SB_ADOPT : WD_SB_RUN;
	q.adopt_path = adopt;
	q.uid = wd_ctl_conn_peer(dc->c)->uid;
	if (sb_create(d, &q, &s, &code, why, sizeof(why), &dg))
		create_failed(dc, code, why, &dg);
	else
		sb_reply(dc, s);
	wd_diags_free(&dg);
}

static void do_list(struct daemon *d, struct dconn *dc, Warden__V1__SandboxListRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__SandboxList l = WARDEN__V1__SANDBOX_LIST__INIT;
	struct sb_info *si = calloc(d->n_sb + 1, sizeof(*si));
	Warden__V1__SandboxInfo **p = calloc(d->n_sb + 1, sizeof(*p));

	if (!si || !p) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, "out of memory", NULL);
		goto out;
	}
	for (size_t i = 0; i < d->n_sb; i++) {
		if (rq->identity && rq->identity[0] && fnmatch(rq->identity, d->sb[i]->identity, 0))
			continue;
		fill_info(d->sb[i], &si[l.n_sandboxes]);
		p[l.n_sandboxes] = &si[l.n_sandboxes].info;
		l.n_sandboxes++;
	}
	l.sandboxes = p;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_SANDBOX_LIST;
	r.sandbox_list = &l;
	wd_ctl_conn_send(dc->c, &r, true);
out:
	free(si);
	free(p);
}

static struct dsb *find_or_fail(struct daemon *d, struct dconn *dc, const char *id)
{
	struct dsb *s = id ? sb_by_id(d, id) : NULL;
	char msg[128];

	if (!s) {
		snprintf(msg, sizeof(msg), "no active sandbox %s", id ? id : "(none given)");
		send_error(dc, WARDEN__V1__ERROR__CODE__NOT_FOUND, msg, NULL);
	}
	return s;
}

static void do_revoke(struct daemon *d, struct dconn *dc, Warden__V1__SandboxRevokeRequest *rq)
{
	struct dsb *s = find_or_fail(d, dc, rq->id);
	char detail[300];
	struct sb_info si;

	if (!s)
		return;
	snprintf(detail, sizeof(detail), "revoked by uid %u%s%s", wd_ctl_conn_peer(dc->c)->uid,
		 rq->reason && rq->reason[0] ? ": " : "", rq->reason ? rq->reason : "");
	fill_info(s, &si);
	si.info.state = WARDEN__V1__SANDBOX_INFO__STATE__ENDED;
	{
		Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
		char id[40];

		snprintf(id, sizeof(id), "%s", s->id);
		sb_end(d, s, WD_SB_REVOKED, detail);
		if (sb_by_id(d, id)) {
			send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL,
				   "its processes could not all be killed; it stays enforced",
				   NULL);
			return;
		}
		/* si points into the freed sandbox for strings: answer with the id only. */
		warden__v1__sandbox_info__init(&si.info);
		si.info.id = id;
		si.info.state = WARDEN__V1__SANDBOX_INFO__STATE__ENDED;
		r.result_case = WARDEN__V1__RESPONSE__RESULT_SANDBOX;
		r.sandbox = &si.info;
		wd_ctl_conn_send(dc->c, &r, true);
	}
}

/* The policy applied to a target, or the effective one for an identity. */
static int target_of(Warden__V1__PolicyTarget *t, enum wd_policy_target *kind, const char **name)
{
	if (!t)
		return -EINVAL;
	switch (t->target_case) {
	case WARDEN__V1__POLICY_TARGET__TARGET_IDENTITY:
		*kind = WD_TARGET_IDENTITY;
		*name = t->identity;
		return wd_identity_valid(t->identity) ? -EINVAL : 0;
	case WARDEN__V1__POLICY_TARGET__TARGET_SANDBOX_ID:
		*kind = WD_TARGET_SANDBOX;
		*name = t->sandbox_id;
		return 0;
	case WARDEN__V1__POLICY_TARGET__TARGET_NODE_DEFAULT:
		*kind = WD_TARGET_NODE;
		*name = "";
		return 0;
	default:
		return -EINVAL;
	}
}

static bool affected(const struct dsb *s, enum wd_policy_target kind, const char *name)
{
	switch (kind) {
	case WD_TARGET_SANDBOX:
		return !strcmp(s->id, name);
	case WD_TARGET_IDENTITY:
		return !strcmp(s->identity, name) && s->from != FROM_SPEC &&
		       s->from != FROM_SANDBOX && s->from != FROM_ADOPT;
	case WD_TARGET_NODE:
		return s->from == FROM_NODE || s->from == FROM_EMBEDDED;
	}
	return false;
}

static void do_apply(struct daemon *d, struct dconn *dc, Warden__V1__PolicyApplyRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyApplied pa = WARDEN__V1__POLICY_APPLIED__INIT;
	struct wd_state_policy rec = {0};
	struct wd_diags dg = {0};
	struct wd_policy *p = NULL;
	enum wd_policy_target kind;
	const char *name, *src;
	char **ids = NULL, msg[512];
	int err;

	if (target_of(rq->target, &kind, &name) || !rq->policy || !rq->policy->text) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "apply needs a target (an identity, a sandbox or the node default) and "
			   "a policy text",
			   NULL);
		return;
	}
	if (kind == WD_TARGET_SANDBOX && !find_or_fail(d, dc, name))
		return;
	src = rq->policy->name && rq->policy->name[0] ? rq->policy->name : "<request>";
	/* Validated completely before anything changes. */
	err = wd_policy_parse_string(src, rq->policy->text, strlen(rq->policy->text), &p, &dg);
	if (!err && kind == WD_TARGET_IDENTITY && !wd_policy_applies_to(p, name)) {
		wd_diags_add(&dg, src, 0, 0, "policy '%s' does not apply to identity '%s'", p->name,
			     name);
		err = -EPERM;
	}
	if (err) {
		create_failed(dc, WARDEN__V1__ERROR__CODE__POLICY_INVALID,
			      "the policy is invalid; the one in force stays", &dg);
		goto out;
	}
	/* Every affected sandbox gets its compiled copy first; only then is anything switched. */
	{
		struct wd_compiled *next[SB_MAX];
		struct dsb *who[SB_MAX];
		struct pol_choice pc = {.from = kind == WD_TARGET_SANDBOX    ? FROM_SANDBOX
						: kind == WD_TARGET_IDENTITY ? FROM_IDENTITY
									     : FROM_NODE};
		size_t n = 0;

		snprintf(pc.name, sizeof(pc.name), "%s", src);
		pc.text = rq->policy->text;
		pc.len = strlen(rq->policy->text);
		for (size_t i = 0; i < d->n_sb; i++) {
			struct dsb *s = d->sb[i];

			if (!affected(s, kind, name))
				continue;
			err = compile_for(d, &pc, s->identity, s->workdir, s->home, s->audit, s,
					  &next[n], &dg);
			if (err)
				break;
			who[n++] = s;
		}
		if (err) {
			for (size_t i = 0; i < n; i++)
				policy_release(d, next[i]);
			create_failed(dc, WARDEN__V1__ERROR__CODE__POLICY_INVALID,
				      "the policy cannot be applied to every sandbox it covers; "
				      "nothing changed",
				      &dg);
			goto out;
		}
		rec.target_kind = kind;
		rec.target = name;
		rec.name = p->name;
		rec.source = src;
		rec.text = rq->policy->text;
		rec.text_len = strlen(rq->policy->text);
		rec.applied_at = wd_clock_ns(CLOCK_REALTIME);
		rec.applied_by = wd_ctl_conn_peer(dc->c)->uid;
		err = wd_state_policy_record(d->st, &rec);
		if (err) {
			for (size_t i = 0; i < n; i++)
				policy_release(d, next[i]);
			snprintf(msg, sizeof(msg), "state: %s", wd_state_errmsg(d->st));
			send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, msg, NULL);
			goto out;
		}
		ids = calloc(n + 1, sizeof(char *));
		pc.row = rec.id;
		pc.generation = rec.generation;
		for (size_t i = 0; i < n; i++) {
			err = sb_switch(d, who[i], next[i], &pc);
			if (err) {
				logf_("sandbox %s: switching policy failed: %s; the old one stays",
				      who[i]->id, strerror(-err));
				continue;
			}
			if (ids)
				ids[pa.n_sandbox_ids++] = who[i]->id;
		}
	}
	logf_("policy %s applied to %s%s (generation %" PRIu64 ", %zu sandboxes)", src,
	      kind == WD_TARGET_NODE ? "the node default" : name,
	      kind == WD_TARGET_IDENTITY ? " (identity)" : "", rec.generation, pa.n_sandbox_ids);
	pa.generation = rec.generation;
	pa.sandbox_ids = ids;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_APPLIED;
	r.policy_applied = &pa;
	wd_ctl_conn_send(dc->c, &r, true);
out:
	free(ids);
	wd_policy_free(p);
	wd_diags_free(&dg);
}

static void do_show(struct daemon *d, struct dconn *dc, Warden__V1__PolicyShowRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyText pt = WARDEN__V1__POLICY_TEXT__INIT;
	Warden__V1__PolicySource ps = WARDEN__V1__POLICY_SOURCE__INIT;
	struct wd_state_policy *sp = NULL;
	enum wd_policy_target kind;
	const char *name;
	char *text = NULL;

	if (target_of(rq->target, &kind, &name)) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "show needs a target: an identity, a sandbox or the node default", NULL);
		return;
	}
	if (wd_state_policy_get(d->st, kind, name, rq->generation, &sp)) {
		send_error(dc, WARDEN__V1__ERROR__CODE__NOT_FOUND,
			   rq->generation ? "no such generation for that target"
					  : "no policy applied to that target (sandboxes of it get "
					    "a policy from the config or the node default)",
			   NULL);
		return;
	}
	text = malloc(sp->text_len + 1);
	if (text) {
		memcpy(text, sp->text, sp->text_len);
		text[sp->text_len] = '\0';
	}
	ps.name = (char *)sp->source;
	ps.text = text ? text : "";
	pt.policy = &ps;
	pt.generation = sp->generation;
	pt.applied_wall_ns = sp->applied_at;
	pt.applied_by_uid = sp->applied_by;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_TEXT;
	r.policy_text = &pt;
	wd_ctl_conn_send(dc->c, &r, true);
	free(text);
	wd_state_policy_free(sp);
}

static void do_check(struct daemon *d, struct dconn *dc, Warden__V1__PolicyCheckRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyCheckResult cr = WARDEN__V1__POLICY_CHECK_RESULT__INIT;
	struct wd_policy_ctx ctx = {.workdir = WD_PLACEHOLDER_WORKDIR, .home = WD_PLACEHOLDER_HOME};
	struct wd_compiled *c = NULL;
	struct wd_diags dg = {0};
	struct wd_policy *p = NULL;
	struct problems pr;
	const char *src;

	(void)d;
	if (!rq->policy || !rq->policy->text) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "check needs a policy text", NULL);
		return;
	}
	src = rq->policy->name && rq->policy->name[0] ? rq->policy->name : "<request>";
	if (!wd_policy_parse_string(src, rq->policy->text, strlen(rq->policy->text), &p, &dg))
		wd_policy_compile(p, &ctx, 1, 1, &c, &dg);
	problems_from(&pr, &dg);
	cr.valid = c != NULL;
	cr.n_problems = pr.n;
	cr.problems = pr.p;
	cr.policy_name = p ? p->name : "";
	cr.rules = c ? c->n_rules : 0;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_CHECK;
	r.policy_check = &cr;
	wd_ctl_conn_send(dc->c, &r, true);
	problems_free(&pr);
	wd_compiled_free(c);
	wd_policy_free(p);
	wd_diags_free(&dg);
}

/* A unified diff of two texts by lines (longest common subsequence; policies are small). */
static char *line_diff(const char *a, const char *b, const char *na, const char *nb)
{
	char **la = NULL, **lb = NULL, *ca = strdup(a), *cb = strdup(b), *out = NULL;
	size_t n = 0, m = 0, len = 0;
	uint32_t *t = NULL;
	FILE *f = NULL;

	if (!ca || !cb)
		goto out;
	for (char *p = ca, *s; (s = strsep(&p, "\n"));)
		if ((la = realloc(la, ++n * sizeof(*la))))
			la[n - 1] = s;
	for (char *p = cb, *s; (s = strsep(&p, "\n"));)
		if ((lb = realloc(lb, ++m * sizeof(*lb))))
			lb[m - 1] = s;
	if (!la || !lb || n > 20000 || m > 20000 || (n + 1) * (m + 1) > 50000000)
		goto out;
	t = calloc((n + 1) * (m + 1), sizeof(*t));
	f = open_memstream(&out, &len);
	if (!t || !f)
		goto out;
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			t[i * (m + 1) + j] =
				!strcmp(la[i], lb[j])
					? t[(i + 1) * (m + 1) + j + 1] + 1
					: (t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
						   ? t[(i + 1) * (m + 1) + j]
						   : t[i * (m + 1) + j + 1]);
	fprintf(f, "--- %s\n+++ %s\n", na, nb);
	for (size_t i = 0, j = 0; i < n || j < m;) {
		if (i < n && j < m && !strcmp(la[i], lb[j])) {
			fprintf(f, " %s\n", la[i]);
			i++, j++;
		} else if (j < m &&
			   (i == n || t[i * (m + 1) + j + 1] >= t[(i + 1) * (m + 1) + j])) {
			fprintf(f, "+%s\n", lb[j++]);
		} else {
			fprintf(f, "-%s\n", la[i++]);
		}
	}
out:
	if (f)
		fclose(f);
	free(t);
	free(la);
	free(lb);
	free(ca);
	free(cb);
	return out;
}

static void do_diff(struct daemon *d, struct dconn *dc, Warden__V1__PolicyDiffRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__PolicyDiff pd = WARDEN__V1__POLICY_DIFF__INIT;
	struct wd_state_policy *sp = NULL;
	enum wd_policy_target kind;
	const char *name, *cur = "";
	char *curbuf = NULL, *u;

	if (target_of(rq->target, &kind, &name) || !rq->policy || !rq->policy->text) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "diff needs a target and a policy text", NULL);
		return;
	}
	if (wd_state_policy_get(d->st, kind, name, 0, &sp) == 0) {
		curbuf = malloc(sp->text_len + 1);
		if (curbuf) {
			memcpy(curbuf, sp->text, sp->text_len);
			curbuf[sp->text_len] = '\0';
			cur = curbuf;
		}
		pd.generation = sp->generation;
	}
	u = line_diff(cur, rq->policy->text, "in force",
		      rq->policy->name ? rq->policy->name : "new");
	pd.changed = strcmp(cur, rq->policy->text) != 0;
	pd.unified = pd.changed && u ? u : "";
	r.result_case = WARDEN__V1__RESPONSE__RESULT_POLICY_DIFF;
	r.policy_diff = &pd;
	wd_ctl_conn_send(dc->c, &r, true);
	free(u);
	free(curbuf);
	wd_state_policy_free(sp);
}

static const char *const not_protected_without_lsm[] = {
	"signals and ptrace from sandboxes to the daemon (task_kill, ptrace_access_check)",
	"bpf() from sandboxes (bpf)",
	"the daemon's bpffs pins, state directory and control socket (file_open, "
	"unix_stream_connect)",
	"user namespaces and mounts from sandboxes (userns_create, sb_mount, move_mount)",
	"exec and file rules, executable mappings, socket families",
};

static void do_status(struct daemon *d, struct dconn *dc)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Status st = WARDEN__V1__STATUS__INIT;
	Warden__V1__Status__Feature f[4], *fp[4];
	char hold_detail[256];
	Warden__V1__Status__Sink *sk = NULL, **skp = NULL;
	struct wd_sink_stats *ss = NULL;
	size_t ns = wd_pipeline_sinks(d->pipe);

	st.version = WARDEN_VERSION;
	st.kernel = d->kernel;
	st.enforcement = d->enf.lsm ? "full" : "degraded";
	for (int i = 0; i < 4; i++) {
		warden__v1__status__feature__init(&f[i]);
		fp[i] = &f[i];
	}
	f[0].name = "bpf_lsm";
	f[0].in_use = d->enf.lsm != NULL;
	f[0].detail =
		d->enf.lsm ? "exec, file, socket and confinement hooks attached" : d->enf.lsm_error;
	f[1].name = "cgroup_sock_addr";
	f[1].in_use = true;
	f[1].detail = "sock_create, connect4/6, sendmsg4/6, bind4/6 per sandbox cgroup";
	f[2].name = "bpffs_pins";
	f[2].in_use = true;
	f[2].detail = d->enf.pin_dir;
	f[3].name = "cgroup_hold";
	f[3].in_use = d->hold_on && d->n_hold;
	snprintf(hold_detail, sizeof(hold_detail), "%s",
		 !d->hold_on ? "not attached: a cgroup an adoption rule matches is unconfined "
			       "from its mkdir until it is adopted"
		 : !d->cfg->daemon.n_adopt ? "attached, no adoption rules"
					   : "");
	if (!hold_detail[0])
		snprintf(
			hold_detail, sizeof(hold_detail),
			"cgroup_mkdir/rmdir raw tracepoints: a new cgroup %u of %zu adoption rules "
			"match is a sandbox from its mkdir on%s",
			d->n_hold, d->cfg->daemon.n_adopt,
			d->n_hold < d->cfg->daemon.n_adopt ? " (the daemon's log says why not all)"
							   : "");
	f[3].detail = hold_detail;
	st.n_features = 4;
	st.features = fp;
	if (!d->enf.lsm) {
		st.n_not_protected = sizeof(not_protected_without_lsm) / sizeof(char *);
		st.not_protected = (char **)not_protected_without_lsm;
	}
	st.sandboxes = (uint32_t)d->n_sb;
	st.events_total = d->events_total;
	st.events_per_second = d->ev_rate;
	st.events_lost = d->events_lost;
	st.started_wall_ns = d->started_at;
	if (ns) {
		sk = calloc(ns, sizeof(*sk));
		skp = calloc(ns, sizeof(*skp));
		ss = calloc(ns, sizeof(*ss));
	}
	for (size_t i = 0; sk && skp && ss && i < ns; i++) {
		wd_pipeline_stats(d->pipe, i, &ss[i]);
		warden__v1__status__sink__init(&sk[i]);
		sk[i].name = (char *)ss[i].name;
		sk[i].healthy = !strstr(ss[i].state, "fail") && !strstr(ss[i].state, "reconnect") &&
				ss[i].lost == ss[i].lost_reported;
		sk[i].detail = ss[i].state;
		sk[i].exported = ss[i].written;
		sk[i].lost = ss[i].lost;
		skp[i] = &sk[i];
		st.n_sinks++;
	}
	st.sinks = skp;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_STATUS;
	r.status = &st;
	wd_ctl_conn_send(dc->c, &r, true);
	free(sk);
	free(skp);
	free(ss);
}

static void handle_request(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq)
{
	char why[WD_CTL_ERR_MAX];

	if (wd_ctl_conn_authorize(dc->c, &d->auth, rq, why, sizeof(why))) {
		const struct wd_ctl_peer *p = wd_ctl_conn_peer(dc->c);

		logf_("refused %s from pid %d uid %u (cgroup %s): %s", wd_ctl_op_name(rq->op_case),
		      (int)p->pid, p->uid, p->cgroup, why);
		send_error(dc, WARDEN__V1__ERROR__CODE__PERMISSION_DENIED, why, NULL);
		return;
	}
	switch (rq->op_case) {
	case WARDEN__V1__REQUEST__OP_RUN:
		do_run(d, dc, rq->run);
		break;
	case WARDEN__V1__REQUEST__OP_SANDBOX_CREATE:
		do_create_or_adopt(d, dc, rq->sandbox_create->sandbox, NULL);
		break;
	case WARDEN__V1__REQUEST__OP_SANDBOX_ADOPT:
		do_create_or_adopt(d, dc, rq->sandbox_adopt->sandbox,
				   rq->sandbox_adopt->cgroup_path ? rq->sandbox_adopt->cgroup_path
								  : "");
		break;
	case WARDEN__V1__REQUEST__OP_SANDBOX_LIST:
		do_list(d, dc, rq->sandbox_list);
		break;
	case WARDEN__V1__REQUEST__OP_SANDBOX_SHOW: {
		struct dsb *s = find_or_fail(d, dc, rq->sandbox_show->id);

		if (s)
			sb_reply(dc, s);
		break;
	}
	case WARDEN__V1__REQUEST__OP_SANDBOX_REVOKE:
		do_revoke(d, dc, rq->sandbox_revoke);
		break;
	case WARDEN__V1__REQUEST__OP_POLICY_APPLY:
		do_apply(d, dc, rq->policy_apply);
		break;
	case WARDEN__V1__REQUEST__OP_POLICY_SHOW:
		do_show(d, dc, rq->policy_show);
		break;
	case WARDEN__V1__REQUEST__OP_POLICY_CHECK:
		do_check(d, dc, rq->policy_check);
		break;
	case WARDEN__V1__REQUEST__OP_POLICY_DIFF:
		do_diff(d, dc, rq->policy_diff);
		break;
	case WARDEN__V1__REQUEST__OP_STATUS:
		do_status(d, dc);
		break;
	default:
		send_error(dc, WARDEN__V1__ERROR__CODE__UNSUPPORTED_OPERATION,
			   "this daemon does not know that operation (it is older than the client)",
			   NULL);
	}
}

/* ---- Connections ---------------------------------------------------------------------------- */

static void conn_close(struct daemon *d, struct dconn *dc)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (d->sb[i]->run_dc == dc)
			d->sb[i]->run_dc = NULL; /* the command runs on; its client is gone */
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++)
		if (d->conns[i] == dc)
			d->conns[i] = NULL;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, wd_ctl_conn_fd(dc->c), NULL);
	wd_ctl_conn_close(dc->c);
	free(dc);
}

static void conn_rearm(struct daemon *d, struct dconn *dc)
{
	uint32_t ev = wd_ctl_conn_events(dc->c) | EPOLLRDHUP;

	if (ev != dc->events) {
		dc->events = ev;
		epoll_ctl(d->ep, EPOLL_CTL_MOD, wd_ctl_conn_fd(dc->c),
			  &(struct epoll_event){.events = ev, .data.ptr = &dc->tag});
	}
}

static void on_conn(struct daemon *d, struct dconn *dc, uint32_t events)
{
	char err[WD_CTL_ERR_MAX];
	int ret;

	if (events & EPOLLOUT) {
		ret = wd_ctl_conn_flush(dc->c);
		if (ret && ret != -EAGAIN) {
			conn_close(d, dc);
			return;
		}
	}
	for (;;) {
		Warden__V1__Request *rq = NULL;

		ret = wd_ctl_conn_read(dc->c, &rq, err, sizeof(err));
		if (ret < 0) {
			if (ret != -ESHUTDOWN)
				logf_("control connection closed: %s", err);
			conn_close(d, dc);
			return;
		}
		if (ret == 0)
			break;
		handle_request(d, dc, rq);
		warden__v1__request__free_unpacked(rq, NULL);
	}
	conn_rearm(d, dc);
}

static void on_accept(struct daemon *d)
{
	char err[WD_CTL_ERR_MAX];

	for (;;) {
		struct wd_ctl_conn *c;
		struct dconn *dc;
		size_t i;
		int ret = wd_ctl_accept(d->ctl, &c, err, sizeof(err));

		if (ret == -EAGAIN)
			return;
		if (ret) {
			if (ret != -EBUSY)
				logf_("control socket: %s", err);
			continue;
		}
		for (i = 0; i < WD_CTL_MAX_CONNS && d->conns[i]; i++)
			;
		dc = calloc(1, sizeof(*dc));
		if (!dc || i == WD_CTL_MAX_CONNS) {
			free(dc);
			wd_ctl_conn_close(c);
			continue;
		}
		dc->c = c;
		dc->tag = (struct ep_tag){EP_CONN};
		dc->events = wd_ctl_conn_events(c) | EPOLLRDHUP;
		d->conns[i] = dc;
		epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_ctl_conn_fd(c),
			  &(struct epoll_event){.events = dc->events, .data.ptr = &dc->tag});
		on_conn(d, dc, EPOLLIN);
	}
}

/* ---- The timer: TTLs, adopted cgroups that went away, adoption by pattern -------------------- */

static void identity_from_template(const char *tpl, const char *rel, char *out, size_t size)
{
	char comp[64][256], base[256] = "";
	size_t n = 0, o = 0;
	const char *p = rel;

	while (*p && n < 64) {
		size_t l;

		while (*p == '/')
			p++;
		l = strcspn(p, "/");
		if (!l)
			break;
		snprintf(comp[n], sizeof(comp[n]), "%.*s", (int)l, p);
		snprintf(base, sizeof(base), "%s", comp[n]);
		n++;
		p += l;
	}
	for (const char *t = tpl; *t && o + 1 < size;) {
		const char *v = NULL;
		char *end;

		if (*t == '{') {
			if (!strncmp(t, "{base}", 6)) {
				v = base;
				t += 6;
			} else if (!strncmp(t, "{0}", 3)) {
				v = rel;
				t += 3;
			} else {
				unsigned long k = strtoul(t + 1, &end, 10);

				if (end != t + 1 && *end == '}' && k >= 1 && k <= n) {
					v = comp[k - 1];
					t = end + 1;
				}
			}
		}
		if (v) {
			o += (size_t)snprintf(out + o, size - o, "%s", v);
			continue;
		}
		out[o++] = *t++;
	}
	out[o < size ? o : size - 1] = '\0';
}

static void auto_adopt(struct daemon *d, const char *how)
{
	char mnt[PATH_MAX], root[PATH_MAX], pat[PATH_MAX * 2];

	if (!d->cfg->daemon.n_adopt ||
	    wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return;
	for (size_t r = 0; r < d->cfg->daemon.n_adopt; r++) {
		const struct wd_adopt_rule *ar = &d->cfg->daemon.adopt[r];
		glob_t g;

		snprintf(pat, sizeof(pat), "%s%s", mnt, ar->cgroup);
		if (glob(pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g))
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			Warden__V1__SandboxSpec spec = WARDEN__V1__SANDBOX_SPEC__INIT;
			Warden__V1__PolicySource ps = WARDEN__V1__POLICY_SOURCE__INIT;
			Warden__V1__Error__Code code;
			struct wd_diags dg = {0};
			struct sb_req q = {0};
			char identity[512], why[512];
			struct stat st;
			struct dsb *s;

			bool failed = false;

			if (stat(g.gl_pathv[i], &st) || sb_by_cgid(d, st.st_ino))
				continue;
			for (size_t k = 0; k < d->n_failed; k++)
				failed |= d->failed[k] == st.st_ino;
			if (failed)
				continue;
			identity_from_template(ar->identity, g.gl_pathv[i] + strlen(mnt), identity,
					       sizeof(identity));
			spec.identity = identity;
			if (d->apol && d->apol[r].text) {
				ps.name = d->apol[r].path;
				ps.text = d->apol[r].text;
				spec.policy = &ps;
				q.rule_policy = true;
			}
			q.identity = identity;
			q.spec = &spec;
			q.origin = WD_SB_AUTO;
			q.adopt_path = g.gl_pathv[i];
			if (sb_create(d, &q, &s, &code, why, sizeof(why), &dg) == 0) {
				logf_("adoption rule at %s:%d: %s adopted as %s (%s%s)",
				      d->config_path, ar->line, g.gl_pathv[i], identity, how,
				      s->was_held ? "; held by the kernel since it was made" : "");
			} else {
				logf_("cannot adopt %s as %s (rule at %s:%d): %s", g.gl_pathv[i],
				      identity, d->config_path, ar->line, why);
				wd_diags_print(stderr, &dg);
				/* Not again at every tick: once per cgroup. */
				if (d->n_failed < sizeof(d->failed) / sizeof(d->failed[0]))
					d->failed[d->n_failed++] = st.st_ino;
			}
			wd_diags_free(&dg);
		}
		globfree(&g);
	}
}

/* Watches, with inotify, every directory a new cgroup matching an adoption rule may appear in
 * (the levels above each pattern's last component, as far as they exist now), so that it is
 * adopted as soon as it is made rather than at the next tick. The tick's scan stays: a full
 * inotify queue or a level made between two looks is caught there. Adding a watch twice
 * keeps one. */
static void adopt_watch(struct daemon *d)
{
	char mnt[PATH_MAX], root[PATH_MAX], pat[PATH_MAX * 2];

	if (d->ino < 0 || !d->cfg->daemon.n_adopt ||
	    wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return;
	for (size_t r = 0; r < d->cfg->daemon.n_adopt; r++) {
		size_t m = strlen(mnt);

		snprintf(pat, sizeof(pat), "%s%s", mnt, d->cfg->daemon.adopt[r].cgroup);
		for (char *cut = pat + m; cut && *cut == '/'; cut = strchr(cut + 1, '/')) {
			char keep = *cut;
			glob_t g;

			*cut = '\0';
			if (glob(cut == pat + m ? mnt : pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL,
				 &g) == 0) {
				for (size_t i = 0; i < g.gl_pathc; i++)
					if (inotify_add_watch(d->ino, g.gl_pathv[i],
							      IN_CREATE | IN_MOVED_TO |
								      IN_ONLYDIR) < 0 &&
					    !d->ino_warned) {
						d->ino_warned = true;
						logf_("inotify: cannot watch %s: %s; cgroups made "
						      "there are adopted at the next tick (every "
						      "%d ms) instead",
						      g.gl_pathv[i], strerror(errno), TICK_MS);
					}
				globfree(&g);
			}
			*cut = keep;
		}
	}
}

/* New inotify, watching for the rules in force (after a reload: only theirs). */
static void adopt_watch_reset(struct daemon *d)
{
	if (d->ino >= 0) {
		epoll_ctl(d->ep, EPOLL_CTL_DEL, d->ino, NULL);
		close(d->ino);
		d->ino = -1;
	}
	if (!d->cfg->daemon.n_adopt)
		return;
	d->ino_warned = false;
	d->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ino < 0) {
		logf_("inotify: %s: new cgroups matching adoption rules are adopted at the next "
		      "tick (every %d ms) instead",
		      strerror(errno), TICK_MS);
		return;
	}
	d->ino_tag = (struct ep_tag){EP_INO};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->ino,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->ino_tag});
	adopt_watch(d);
}

static void on_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(d->ino, buf, sizeof(buf)) > 0)
		;
	/* Levels made just now get their watches before the scan, so that nothing made in
	 * them afterwards is missed. */
	adopt_watch(d);
	auto_adopt(d, "seen by inotify");
}

/* ---- Holding new matching cgroups in the kernel ---------------------------------------------
 * Adoption above is the daemon's and comes moments after a cgroup is made. The kernel closes
 * the moment between: bpf/wd_cgroup.bpf.c holds a new cgroup an adoption rule matches as a
 * sandbox under the rule's policy (compiled here into a slot of its own) from the instant it
 * exists, and adoption then takes it over. */

/* Rule @ar's pattern as the kernel sees cgroup paths, and the level such cgroups are at. The
 * kernel's paths are below the hierarchy's root: the rule's (below the cgroup2 mount) only when
 * the mount shows that root (its directory is cgroup 1), not a cgroup namespace's or a
 * subtree's (-EXDEV). */
static int kernel_pattern(const struct wd_adopt_rule *ar, char *out, size_t size, unsigned *level)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	struct stat st;
	int n;

	if (wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return -ENOENT;
	if (stat(mnt, &st) || st.st_ino != 1)
		return -EXDEV;
	n = snprintf(out, size, "%s", ar->cgroup);
	if (n < 0 || (size_t)n >= size || (size_t)n >= WD_ADOPT_PAT_MAX)
		return -ENAMETOOLONG;
	*level = wd_cgroup_level("/", out);
	return *level && *level < WD_LEVELS_MAX ? 0 : -ERANGE;
}

/* The adoption rule (index) a cgroup (its path, the cgroup2 mount's included) matches first,
 * or -1. */
static int rule_of_cgroup(struct daemon *d, const char *cg_path)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	size_t m;

	if (wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return -1;
	m = strlen(mnt);
	if (strncmp(cg_path, mnt, m) || cg_path[m] != '/')
		return -1;
	for (size_t r = 0; r < d->cfg->daemon.n_adopt; r++)
		if (wd_glob_match(d->cfg->daemon.adopt[r].cgroup, cg_path + m))
			return (int)r;
	return -1;
}

static bool in_set(struct wd_compiled *const *v, uint32_t slot)
{
	for (size_t r = 0; r < WD_ADOPT_MAX; r++)
		if (v[r] && v[r]->policy_id == slot)
			return true;
	return false;
}

/* The rule text of an event of a held cgroup (no sandbox of ours yet). */
static const char *hold_rule_text(const struct daemon *d, const struct wd_event *e)
{
	for (size_t r = 0; r < WD_ADOPT_MAX; r++) {
		if (d->hold[r] && d->hold[r]->policy_id == e->policy_id)
			return wd_compiled_rule_text(d->hold[r], e->rule_id);
		if (d->hold_prev[r] && d->hold_prev[r]->policy_id == e->policy_id)
			return wd_compiled_rule_text(d->hold_prev[r], e->rule_id);
	}
	return e->policy_id ? NULL : "held: nothing is allowed until the daemon adopts it";
}

/* Before anything takes a slot: the slots a daemon before this one held cgroups under, or
 * left in the kernel's rules, stay taken until hold_install() has moved those cgroups off
 * them, and one rule set longer (a mkdir may have read the old rules). */
static void hold_reserve(struct daemon *d)
{
	static uint64_t cgids[2 * WD_SANDBOXES_MAX];
	static uint32_t slots[2 * WD_SANDBOXES_MAX + 2 * WD_ADOPT_MAX];
	int n = wd_enforcer_held_list(&d->enf, cgids, slots, 2 * WD_SANDBOXES_MAX);

	if (n < 0)
		n = 0;
	n += wd_enforcer_adopt_slots(&d->enf, slots + n, 2 * WD_ADOPT_MAX);
	for (int i = 0; i < n; i++) {
		if (!slots[i] || slots[i] >= WD_POLICIES_MAX)
			continue;
		d->hold_old[slots[i]] = true;
		d->slot_used[slots[i]] = true;
	}
}

/* Without BPF LSM only the sock_addr programs enforce, per cgroup: the hold's ones sit at the
 * hierarchy's root (a directory nearer the matches could be removed and made again, without
 * them), deciding for held cgroups only; without rules in force, nowhere. */
static void hold_anchor(struct daemon *d)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	uint64_t keep = 0;
	int fd, err = 0;

	if (!d->enf.lsm && d->n_hold &&
	    wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)) == 0) {
		struct stat st;

		fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = fd < 0 || fstat(fd, &st) ? -errno
					       : wd_enforcer_attach_hold_cgroup(&d->enf, fd);
		if (fd >= 0)
			close(fd);
		if (err) {
			logf_("cannot attach the hold's network programs to %s: %s; without BPF "
			      "LSM "
			      "a new matching cgroup's network is unconfined until it is adopted",
			      mnt, strerror(-err));
			return; /* what was attached before stays */
		}
		keep = st.st_ino;
	}
	wd_enforcer_unpin_hold_cgroups(&d->enf, &keep, keep ? 1 : 0);
}

/* Gives the kernel the adoption rules in force, each with its policy compiled into a slot of
 * its own (slot 0, nothing allowed, for a rule without one or one that does not load): every
 * policy is loaded first, then the rules go into the bank not in force, which is then put in
 * force in one write. Held cgroups on slots of other rule sets are then held with nothing
 * allowed (adoption gives them their policy moments later); the slots of the set before the
 * previous one are freed (a mkdir that read the previous set may still use its slots). At
 * start (after restore) and after each reload. */
static void hold_install(struct daemon *d)
{
	static uint64_t cgids[2 * WD_SANDBOXES_MAX];
	static uint32_t slots[2 * WD_SANDBOXES_MAX];
	struct wd_compiled *next[WD_ADOPT_MAX] = {0};
	char pat[WD_ADOPT_MAX][WD_ADOPT_PAT_MAX];
	unsigned level[WD_ADOPT_MAX];
	bool ok[WD_ADOPT_MAX] = {0};
	size_t na = d->cfg->daemon.n_adopt;
	uint32_t bank = 0;
	unsigned n_ok = 0;
	int n, err;

	if (!d->hold_on)
		return;
	if (na > WD_ADOPT_MAX)
		logf_("only the first %d adoption rules are held by the kernel when a cgroup is "
		      "made; matches of the others are unconfined until adopted",
		      WD_ADOPT_MAX);
	for (size_t r = 0; r < na && r < WD_ADOPT_MAX; r++) {
		const struct wd_adopt_rule *ar = &d->cfg->daemon.adopt[r];
		struct wd_diags dg = {0};

		err = kernel_pattern(ar, pat[r], sizeof(pat[r]), &level[r]);
		if (err) {
			logf_("adoption rule at %s:%d: the kernel cannot match %s (%s); its "
			      "matches "
			      "are unconfined until adopted",
			      d->config_path, ar->line, ar->cgroup,
			      err == -ERANGE  ? "deeper than 15 levels"
			      : err == -EXDEV ? "the cgroup2 mount is not the hierarchy's root: a "
						"cgroup namespace? mount the host's"
					      : strerror(-err));
			continue;
		}
		ok[r] = true;
		if (!d->apol || !d->apol[r].text)
			continue;
		{
			struct pol_choice pc = {
				.from = FROM_ADOPT, .text = d->apol[r].text, .len = d->apol[r].len};

			snprintf(pc.name, sizeof(pc.name), "%s", d->apol[r].path);
			/* Kept in next[] as it goes, so the next rule's ids are not these. */
			memcpy(d->hold_next, next, sizeof(next));
			err = compile_for(d, &pc, "", NULL, NULL, false, NULL, &next[r], &dg);
			if (!err)
				err = wd_enforcer_load_policy(&d->enf, next[r]);
		}
		if (err) {
			wd_diags_print(stderr, &dg);
			logf_("adoption rule at %s:%d: its policy cannot be loaded for the "
			      "kernel's "
			      "hold (%s): new matches are held with nothing allowed until adopted",
			      d->config_path, ar->line, strerror(-err));
			policy_release(d, next[r]);
			next[r] = NULL;
		}
		wd_diags_free(&dg);
	}
	memset(d->hold_next, 0, sizeof(d->hold_next));

	/* The new set into the other bank, its levels first, then in force at once. */
	err = wd_enforcer_adopt_bank(&d->enf, &bank);
	bank = err ? 0 : bank ^ 1;
	for (size_t r = 0; !err && r < WD_ADOPT_MAX; r++) {
		if (ok[r])
			err = wd_enforcer_add_level(&d->enf, level[r]);
		if (!err)
			err = wd_enforcer_set_adopt(&d->enf, bank, (uint32_t)r,
						    ok[r] ? pat[r] : NULL, ok[r] ? level[r] : 0,
						    next[r] ? next[r]->policy_id : 0);
		n_ok += ok[r];
	}
	if (!err)
		err = wd_enforcer_adopt_switch(&d->enf, bank);
	if (err) {
		/* The set in force stays, with its slots: the new policies go. */
		logf_("the kernel's copy of the adoption rules could not be replaced (%s): the "
		      "previous rules stay held",
		      strerror(-err));
		for (size_t r = 0; r < WD_ADOPT_MAX; r++)
			policy_release(d, next[r]);
		return;
	}
	for (size_t r = 0; r < WD_ADOPT_MAX; r++)
		wd_enforcer_set_adopt(&d->enf, bank ^ 1, (uint32_t)r, NULL, 0, 0);

	/* Held cgroups on other sets' slots: nothing allowed until adopted (moments later). */
	n = wd_enforcer_held_list(&d->enf, cgids, slots, 2 * WD_SANDBOXES_MAX);
	for (int i = 0; i < n; i++)
		if (slots[i] && !in_set(next, slots[i]))
			wd_enforcer_hold(&d->enf, cgids[i], 0, true);
	/* The set before the previous one goes; the previous one waits a set longer. */
	for (size_t r = 0; r < WD_ADOPT_MAX; r++) {
		policy_release(d, d->hold_prev[r]);
		d->hold_prev[r] = d->hold[r];
		d->hold[r] = next[r];
	}
	for (uint32_t s = 1; s < WD_POLICIES_MAX; s++) {
		if (d->hold_old_prev[s]) {
			wd_enforcer_clear_slot(&d->enf, s);
			d->slot_used[s] = false;
		}
		d->hold_old_prev[s] = d->hold_old[s];
		d->hold_old[s] = false;
	}
	d->n_hold = n_ok;
	hold_anchor(d);
}

/* CLOCK_REALTIME minus CLOCK_BOOTTIME, for the events' wall-clock times: read once a tick
 * (so a stepped clock is followed) instead of twice per event. */
static void refresh_clock(struct daemon *d)
{
	int64_t off = (int64_t)(wd_clock_ns(CLOCK_REALTIME) - wd_clock_ns(CLOCK_BOOTTIME));

	d->node_ctx.boot_to_wall_ns = off;
	for (size_t i = 0; i < d->n_sb; i++)
		d->sb[i]->ctx.boot_to_wall_ns = off;
}

static void on_tick(struct daemon *d)
{
	uint64_t now = wd_clock_ns(CLOCK_REALTIME), mono = wd_clock_ns(CLOCK_MONOTONIC);

	refresh_clock(d);

	for (size_t i = 0; i < d->n_sb;) {
		struct dsb *s = d->sb[i];
		size_t before = d->n_sb;

		if (s->expires_at && s->expires_at <= now)
			sb_end(d, s, WD_SB_EXPIRED, "time to live passed: every process killed");
		else if (s->origin != WD_SB_RUN && access(s->cg.path, F_OK))
			sb_end(d, s, WD_SB_ENDED, "its cgroup was removed");
		else if (s->has_cmd && s->pidfd < 0 && !wd_cgroup_populated(&s->cg))
			/* Taken over after a restart: the command is no child of ours. */
			sb_end(d, s, WD_SB_ENDED,
			       "its command ended (while or after the daemon "
			       "restarted)");
		if (d->n_sb == before)
			i++;
	}
	auto_adopt(d, "found by the periodic scan");
	if (d->hold_on) {
		uint64_t f = wd_enforcer_hold_failures(&d->enf);

		if (f != d->hold_fail_seen)
			logf_("WARNING: %" PRIu64
			      " new cgroups matching adoption rules could not be "
			      "held by the kernel (its sandbox map is full): unconfined until "
			      "adopted",
			      f - d->hold_fail_seen);
		d->hold_fail_seen = f;
	}
	if (mono - d->ev_last_t >= NS) {
		d->ev_rate = (double)(d->events_total - d->ev_last) * 1e9 /
			     (double)(mono - d->ev_last_t);
		d->ev_last = d->events_total;
		d->ev_last_t = mono;
	}
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++) {
		char err[WD_CTL_ERR_MAX];

		if (d->conns[i] && !d->conns[i]->busy &&
		    wd_ctl_conn_expire(d->conns[i]->c, mono, err, sizeof(err)))
			conn_close(d, d->conns[i]);
	}
}

/* ---- Metrics -------------------------------------------------------------------------------- */

static const char *kind_name(uint8_t t)
{
	static const char *const names[] = {"?",       "exec",	 "file",    "mmap",
					    "connect", "socket", "confine", "lost"};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static const char *decision_name(uint8_t dec)
{
	return dec == WD_DEC_ALLOW ? "allowed" : dec == WD_DEC_DENY ? "denied" : "audit_denied";
}

/* One family with a sample per sink: the uint64_t at @off in its stats. */
static void sink_family(struct wd_prom *w, struct wd_pipeline *p, const char *name,
			enum wd_prom_type type, const char *help, size_t off)
{
	wd_prom_family(w, name, type, help);
	for (size_t i = 0; i < wd_pipeline_sinks(p); i++) {
		struct wd_sink_stats s;
		struct wd_prom_label l[] = {{"sink", NULL}};
		uint64_t v;

		wd_pipeline_stats(p, i, &s);
		l[0].value = s.name;
		memcpy(&v, (const char *)&s + off, sizeof(v));
		wd_prom_sample_u64(w, l, 1, v);
	}
}

static int collect(struct wd_prom *w, void *arg)
{
	struct daemon *d = arg;

	wd_prom_family(w, "warden_decisions_total", WD_PROM_COUNTER,
		       "Kernel decisions by identity, kind and decision.");
	for (size_t i = 0; i < d->n_decs; i++) {
		struct wd_prom_label l[] = {{"identity", d->decs[i].identity},
					    {"kind", kind_name(d->decs[i].kind)},
					    {"decision", decision_name(d->decs[i].decision)}};

		wd_prom_sample_u64(w, l, 3, d->decs[i].n);
	}
	wd_prom_family(w, "warden_events_total", WD_PROM_COUNTER,
		       "Events the daemon produced (read from the kernel or made itself).");
	wd_prom_sample_u64(w, NULL, 0, d->events_total);
	wd_prom_family(w, "warden_events_lost_kernel_total", WD_PROM_COUNTER,
		       "Events lost in the kernel because the ring buffer was full.");
	wd_prom_sample_u64(w, NULL, 0, d->events_lost);
	sink_family(w, d->pipe, "warden_sink_events_exported_total", WD_PROM_COUNTER,
		    "Events each sink took.", offsetof(struct wd_sink_stats, written));
	sink_family(w, d->pipe, "warden_sink_events_lost_total", WD_PROM_COUNTER,
		    "Events each sink could not take (queue full, refused, unacknowledged).",
		    offsetof(struct wd_sink_stats, lost));
	sink_family(w, d->pipe, "warden_sink_queue_bytes", WD_PROM_GAUGE,
		    "Bytes waiting in each sink's queue.",
		    offsetof(struct wd_sink_stats, queue_used));
	wd_prom_family(w, "warden_ringbuf_used_bytes", WD_PROM_GAUGE,
		       "Bytes of events waiting in the kernel ring buffer.");
	wd_prom_sample_u64(w, NULL, 0,
			   d->rb_pos[0] && d->rb_pos[1] ? *d->rb_pos[1] - *d->rb_pos[0] : 0);
	wd_prom_family(w, "warden_ringbuf_size_bytes", WD_PROM_GAUGE,
		       "Size of the kernel ring buffer.");
	wd_prom_sample_u64(w, NULL, 0, d->rb_size);
	wd_prom_family(w, "warden_policy_slots_used", WD_PROM_GAUGE,
		       "Policy slots in use in the kernel maps (of warden_policy_slots).");
	{
		uint64_t n = 0;

		for (int i = 0; i < WD_POLICIES_MAX; i++)
			n += d->slot_used[i];
		wd_prom_sample_u64(w, NULL, 0, n);
	}
	wd_prom_family(w, "warden_policy_slots", WD_PROM_GAUGE, "Policy slots in the kernel maps.");
	wd_prom_sample_u64(w, NULL, 0, WD_POLICIES_MAX - 1);
	wd_prom_family(w, "warden_sandboxes", WD_PROM_GAUGE, "Sandboxes governed, by origin.");
	for (int o = WD_SB_RUN; o <= WD_SB_AUTO; o++) {
		struct wd_prom_label l[] = {{"origin", wd_sb_origin_name((enum wd_sb_origin)o)}};
		uint64_t n = 0;

		for (size_t i = 0; i < d->n_sb; i++)
			n += d->sb[i]->origin == (enum wd_sb_origin)o;
		wd_prom_sample_u64(w, l, 1, n);
	}
	return wd_prom_error(w);
}

/* The ring buffer's consumer and producer positions, read-only, for its fill level. */
static void map_rb_positions(struct daemon *d)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = bpf_map__fd(d->enf.cg->maps.wd_events);
	void *c, *p;

	d->rb_size = bpf_map__max_entries(d->enf.cg->maps.wd_events);
	c = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);
	p = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, pg);
	if (c != MAP_FAILED && p != MAP_FAILED) {
		d->rb_pos[0] = c;
		d->rb_pos[1] = p;
	}
}

/* ---- Start, restart, reload ----------------------------------------------------------------- */

static void cpol_free(struct cfg_policy *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].text);
		wd_policy_free(v[i].p);
	}
	free(v);
}

/* Reads and parses the policy file @path into @v (its path kept even on error). */
static int read_cfg_policy(const char *path, struct cfg_policy *v, struct wd_diags *dg)
{
	int fd, err;

	v->path = strdup(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		wd_diags_add(dg, path, 0, 0, "cannot open: %s", strerror(errno));
		return -errno;
	}
	err = wd_yaml_read_fd(fd, path, 64u << 20, &v->text, &v->len, dg);
	if (!err)
		err = wd_policy_parse_string(path, v->text, v->len, &v->p, dg);
	close(fd);
	return err;
}

/* Reads and checks every policy file of the config (daemon.policies into @out, each adoption
 * rule's into @aout, NULL text for a rule without one); nothing is kept unless all are valid. */
static int load_cfg_policies(const struct wd_config *c, struct cfg_policy **out, size_t *n_out,
			     struct cfg_policy **aout)
{
	size_t np = c->daemon.n_policies, na = c->daemon.n_adopt;
	struct cfg_policy *v = calloc(np + 1, sizeof(*v)), *av = calloc(na + 1, sizeof(*av));
	struct wd_diags dg = {0};
	int bad = 0;

	if (!v || !av) {
		free(v);
		free(av);
		return -ENOMEM;
	}
	for (size_t i = 0; i < np; i++)
		bad += read_cfg_policy(c->daemon.policies[i], &v[i], &dg) != 0;
	for (size_t i = 0; i < na; i++)
		if (c->daemon.adopt[i].policy)
			bad += read_cfg_policy(c->daemon.adopt[i].policy, &av[i], &dg) != 0;
	if (dg.total)
		wd_diags_print(stderr, &dg);
	wd_diags_free(&dg);
	if (bad) {
		cpol_free(v, np);
		cpol_free(av, na);
		return -EINVAL;
	}
	*out = v;
	*n_out = np;
	*aout = av;
	return 0;
}

/* Switches every sandbox whose policy comes from the config (or the embedded default) to what
 * the config says now. Not by sandbox id: the policy recorded for the sandbox at its creation is
 * what is being replaced (an explicit `apply --sandbox` is not FROM_CONFIG). */
static void repolicy_config_sandboxes(struct daemon *d)
{
	for (size_t i = 0; i < d->n_sb; i++) {
		struct dsb *s = d->sb[i];
		struct wd_diags dg = {0};
		struct pol_choice pc;

		if (s->from == FROM_ADOPT) {
			/* The policy of the rule that matches it now, if that rule names one. */
			int r = rule_of_cgroup(d, s->cg.path);

			if (r < 0 || !d->apol[r].text)
				continue;
			memset(&pc, 0, sizeof(pc));
			pc.from = FROM_ADOPT;
			snprintf(pc.name, sizeof(pc.name), "%s", d->apol[r].path);
			pc.text = strdup(d->apol[r].text);
			pc.len = d->apol[r].len;
			if (!pc.text)
				continue;
		} else if (s->from != FROM_CONFIG && s->from != FROM_EMBEDDED) {
			continue;
		} else if (choose_policy(d, s->identity, NULL, NULL, &pc)) {
			continue;
		}
		if (sb_repolicy(d, s, &pc, &dg)) {
			wd_diags_print(stderr, &dg);
			logf_("sandbox %s keeps its policy: the config's does not compile for it",
			      s->id);
		}
		wd_diags_free(&dg);
		free(pc.text);
	}
}

struct restore_ctx {
	struct daemon *d;
	int n, ended;
};

/* A sandbox the state lists as active: rebuilt in memory (its kernel side is pinned and
 * never stopped), or ended if its cgroup went away or its TTL passed while we were down. */
static int restore_one(const struct wd_state_sandbox *row, void *arg)
{
	struct restore_ctx *rc = arg;
	struct daemon *d = rc->d;
	struct wd_state_policy *sp = NULL;
	struct pol_choice pc = {0};
	struct wd_diags dg = {0};
	char key[64], val[WD_STATE_TEXT_MAX], *nl;
	unsigned slot = 0, first = 0;
	int from = FROM_EMBEDDED, audit = 0, degraded = 0, has_cmd = 0;
	struct wd_policy *p = NULL;
	struct dsb *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->pidfd = -1;
	snprintf(s->id, sizeof(s->id), "%s", row->id);
	s->identity = strdup(row->identity);
	for (size_t i = 0; i < row->n_labels && i < WD_PB_LABELS_MAX; i++) {
		s->labels[i].key = strdup(row->labels[i].key);
		s->labels[i].value = strdup(row->labels[i].value);
		s->n_labels++;
	}
	s->origin = row->origin;
	s->creator = row->created_by;
	s->created_at = row->created_at;
	s->expires_at = row->expires_at;
	s->policy_row = row->policy_id;
	s->generation = row->policy_generation;
	kv_key(key, sizeof(key), s);
	if (wd_state_kv_get(d->st, key, val, sizeof(val)) ||
	    sscanf(val, "%u %u %d %d %d %d", &slot, &first, &from, &audit, &degraded, &has_cmd) !=
		    6 ||
	    !slot || slot >= WD_POLICIES_MAX || d->slot_used[slot]) {
		logf_("sandbox %s: its kernel slot is not recorded; ending it", s->id);
		goto end;
	}
	s->from = (enum pol_from)from;
	s->has_cmd = has_cmd;
	s->audit = audit;
	s->degraded = degraded;
	if ((nl = strchr(val, '\n'))) {
		char *h = strchr(nl + 1, '\n');

		if (h)
			*h++ = '\0';
		snprintf(s->workdir, sizeof(s->workdir), "%s", nl + 1);
		snprintf(s->home, sizeof(s->home), "%s", h ? h : "");
	}
	/* The text of the policy the sandbox runs: an applied one by its generation; one given at
	 * creation as recorded for the sandbox. A policy from the config (or the embedded default)
	 * is recorded for the sandbox too, as it was at creation; the config is re-read at start,
	 * so such sandboxes are switched to its current text right after (restore()). */
	err = -ENOENT;
	if (s->from == FROM_IDENTITY)
		err = wd_state_policy_get(d->st, WD_TARGET_IDENTITY, s->identity,
					  row->policy_generation, &sp);
	else if (s->from == FROM_NODE)
		err = wd_state_policy_get(d->st, WD_TARGET_NODE, "", row->policy_generation, &sp);
	if (err)
		err = wd_state_policy_get(d->st, WD_TARGET_SANDBOX, s->id, 0, &sp);
	if (err) {
		logf_("sandbox %s: its policy text is not recorded; ending it", s->id);
		goto end;
	}
	err = wd_cgroup_open(&s->cg, row->cgroup_path);
	if (err || s->cg.id != row->cgroup_id) {
		wd_enforcer_del_sandbox(&d->enf, row->cgroup_id);
		wd_enforcer_unpin_cgroup(&d->enf, row->cgroup_id);
		wd_enforcer_clear_slot(&d->enf, slot);
		wd_state_sandbox_end(d->st, s->id, WD_SB_ENDED, wd_clock_ns(CLOCK_REALTIME),
				     "its cgroup went away while the daemon was down");
		logf_("sandbox %s: its cgroup %s went away while the daemon was down; ended", s->id,
		      row->cgroup_path);
		rc->ended++;
		goto out;
	}
	/* The compiled form only for rule texts and the slot's bookkeeping: the kernel maps
	 * hold the policy already, untouched. */
	snprintf(pc.name, sizeof(pc.name), "%s", sp->source);
	snprintf(s->policy_name, sizeof(s->policy_name), "%s", sp->source);
	err = wd_policy_parse_string(sp->source, sp->text, sp->text_len, &p, &dg);
	if (!err) {
		struct wd_policy_ctx ctx = {.workdir = s->workdir[0] ? s->workdir
								     : WD_PLACEHOLDER_WORKDIR,
					    .home = s->home[0] ? s->home : WD_PLACEHOLDER_HOME};

		if (s->audit)
			p->audit = true;
		err = wd_policy_compile(p, &ctx, slot, first, &s->pol, &dg);
	}
	if (err) {
		logf_("sandbox %s: its recorded policy no longer compiles; it stays enforced by "
		      "what the kernel holds, without rule texts",
		      s->id);
		wd_diags_print(stderr, &dg);
	}
	d->slot_used[slot] = true;
	sb_ctx(d, s);
	s->sb_lost_seen = wd_enforcer_sandbox_lost(&d->enf, s->cg.id);
	d->sb[d->n_sb++] = s;
	hash_put(d, s);
	rc->n++;
	s = NULL;
	goto out;
end:
	wd_state_sandbox_end(d->st, s->id, WD_SB_ENDED, wd_clock_ns(CLOCK_REALTIME),
			     "could not be taken over after a restart");
	rc->ended++;
out:
	wd_state_policy_free(sp);
	wd_policy_free(p);
	wd_diags_free(&dg);
	sb_free(s);
	return 0;
}

static int restore(struct daemon *d)
{
	struct restore_ctx rc = {.d = d};
	int err = wd_state_sandbox_list_active(d->st, restore_one, &rc);

	if (err)
		logf_("reading the sandboxes: %s", wd_state_errmsg(d->st));
	if (rc.n || rc.ended)
		logf_("took over %d sandboxes from before (%d had ended meanwhile)%s", rc.n,
		      rc.ended, d->enf.readopted ? "; kernel programs were still attached" : "");
	if (d->enf.replaced)
		logf_("replaced %d kernel programs of another warden build (the new ones were "
		      "attached before the old ones were removed)",
		      d->enf.replaced);
	/* Events buffered while no daemon ran are theirs: drained now, then TTLs passed. */
	drain_all(d);
	on_tick(d);
	/* Sandboxes on a config policy get the config as it is now. */
	repolicy_config_sandboxes(d);
	return err;
}

static void reload(struct daemon *d)
{
	struct wd_config *c = NULL;
	struct cfg_policy *v = NULL, *av = NULL;
	struct wd_diags dg = {0};
	size_t n = 0;

	sd_notify_("RELOADING=1");
	if (wd_config_parse_file(d->config_path, &c, &dg) || load_cfg_policies(c, &v, &n, &av)) {
		wd_diags_print(stderr, &dg);
		logf_("reload of %s rejected: the configuration in force stays", d->config_path);
		wd_config_free(c);
		wd_diags_free(&dg);
		sd_notify_("READY=1");
		return;
	}
	wd_diags_free(&dg);
	cpol_free(d->cpol, d->n_cpol);
	d->cpol = v;
	d->n_cpol = n;
	if (d->apol)
		cpol_free(d->apol, d->cfg->daemon.n_adopt);
	d->apol = av;
	/* Sinks, sockets and directories stay as started; the policies and adoption rules are
	 * what a reload changes. */
	{
		struct wd_adopt_rule *a = c->daemon.adopt;
		size_t na = c->daemon.n_adopt;

		c->daemon.adopt = d->cfg->daemon.adopt;
		c->daemon.n_adopt = d->cfg->daemon.n_adopt;
		d->cfg->daemon.adopt = a;
		d->cfg->daemon.n_adopt = na;
		d->n_failed = 0;
	}
	wd_config_free(c);
	hold_install(d);
	adopt_watch_reset(d);
	repolicy_config_sandboxes(d);
	logf_("reloaded %s: %zu policy files, %zu adoption rules", d->config_path, d->n_cpol,
	      d->cfg->daemon.n_adopt);
	sd_notify_("READY=1");
}

static gid_t group_id(const char *name, const char *what)
{
	struct group *g;

	if (!name)
		return 0;
	g = getgrnam(name);
	if (!g)
		logf_("%s group %s does not exist: nobody is in it", what, name);
	return g ? g->gr_gid : (gid_t)-1;
}

static int count_active(const struct wd_state_sandbox *sb, void *arg)
{
	(void)sb;
	(*(int *)arg)++;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: warden daemon [--config FILE] [--check] [--reset] [--verbose]\n"
	      "\n"
	      "Runs the warden host agent in the foreground (under systemd: Type=notify). It\n"
	      "governs sandboxes for `warden run`, `warden sandbox` and adoption rules, exports\n"
	      "their events to the configured sinks and serves the control socket and metrics.\n"
	      "Its kernel programs and maps are pinned: stopping or killing the daemon leaves\n"
	      "every sandbox enforced, and starting it again takes them over.\n"
	      "\n"
	      "  -c, --config FILE  the config (default " WD_CONFIG_DEFAULT ", if it exists)\n"
	      "      --check        validate the config and its policy files, then exit\n"
	      "      --reset        remove the pinned programs and maps (ends all enforcement)\n"
	      "                     and exit; refuses while sandboxes are active\n"
	      "  -v, --verbose      libbpf's messages\n"
	      "\n"
	      "SIGHUP reloads the policy files and adoption rules; SIGTERM stops the daemon,\n"
	      "leaving enforcement in place. See docs/daemon.md.\n",
	      f);
}

/* What an epoll event is for, found by comparing its pointer with the live tags, never by
 * reading through it: a sandbox or connection freed earlier in the same batch (a revoke while
 * its command exits) leaves a stale pointer behind, which is skipped. */
static enum ep_kind classify(struct daemon *d, const struct ep_tag *t, void **obj)
{
	if (t == &d->ctl_tag || t == &d->sig_tag || t == &d->met_tag || t == &d->rb_tag ||
	    t == &d->ino_tag)
		return t->kind;
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++)
		if (d->conns[i] && t == &d->conns[i]->tag)
			return *obj = d->conns[i], EP_CONN;
	for (size_t i = 0; i < d->n_sb; i++)
		if (t == &d->sb[i]->pid_tag)
			return *obj = d->sb[i], EP_PIDFD;
	return 0;
}

static int run_loop(struct daemon *d)
{
	struct epoll_event ev[32];
	uint64_t next_tick = 0;

	while (!d->stop) {
		int n = epoll_wait(d->ep, ev, 32, TICK_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			void *obj = NULL;

			switch (classify(d, ev[i].data.ptr, &obj)) {
			case EP_CTL:
				on_accept(d);
				break;
			case EP_CONN:
				on_conn(d, obj, ev[i].events);
				break;
			case EP_SIG: {
				struct signalfd_siginfo si;

				while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload(d);
					else
						d->stop = true;
				}
				break;
			}
			case EP_INO:
				on_inotify(d);
				break;
			case EP_MET: {
				char err[WD_METRICS_ERR_MAX];

				if (wd_metrics_handle(d->met, err, sizeof(err)) < 0)
					logf_("metrics: %s", err);
				break;
			}
			case EP_PIDFD:
				on_command_exit(d, obj);
				break;
			case EP_RB: /* drained below, every round */
			default:    /* stale: its object went earlier in this batch */
				break;
			}
		}
		drain(d);
		now = wd_clock_ns(CLOCK_MONOTONIC);
		if (now >= next_tick) {
			next_tick = now + TICK_MS * 1000000ull;
			on_tick(d);
		}
	}
	return 0;
}

int wd_cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'C'},
		{"reset", no_argument, NULL, 'R'},	  {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},	  {},
	};
	struct daemon *d = calloc(1, sizeof(*d));
	struct wd_enforcer_opts eo = {.want_lsm = true};
	struct wd_diags dg = {0};
	bool check = false, reset = false;
	char err[1024], path[PATH_MAX];
	struct utsname u;
	sigset_t mask;
	int c, ret = 1;

	if (!d)
		return 1;
	d->ino = -1;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->config_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'R':
			reset = true;
			break;
		case 'v':
			eo.verbose = true;
			break;
		case 'h':
			usage(stdout);
			free(d);
			return 0;
		default:
			usage(stderr);
			free(d);
			return 2;
		}
	}
	if (!d->config_path && access(WD_CONFIG_DEFAULT, F_OK) == 0)
		d->config_path = WD_CONFIG_DEFAULT;
	if (d->config_path ? wd_config_parse_file(d->config_path, &d->cfg, &dg)
			   : !(d->cfg = wd_config_empty())) {
		wd_diags_print(stderr, &dg);
		logf_("the config %s is not valid", d->config_path);
		goto out;
	}
	if (load_cfg_policies(d->cfg, &d->cpol, &d->n_cpol, &d->apol)) {
		logf_("a policy file of the config is not valid");
		goto out;
	}
	if (!d->config_path)
		d->config_path = "<defaults>";
	if (check) {
		printf("%s: valid: %zu sinks, %zu policy files, %zu adoption rules\n",
		       d->config_path, d->cfg->n_sinks, d->n_cpol, d->cfg->daemon.n_adopt);
		ret = 0;
		goto out;
	}
	if (reset) {
		struct wd_state *st = NULL;
		int active = 0;

		snprintf(path, sizeof(path), "%s/state.db", d->cfg->daemon.state_dir);
		if (access(path, F_OK) == 0) {
			if (wd_state_open(path, 0, &st, err, sizeof(err))) {
				logf_("%s", err);
				goto out;
			}
			wd_state_sandbox_list_active(st, count_active, &active);
			wd_state_close(st);
		}
		if (active) {
			logf_("refusing to reset: %d sandboxes are active (revoke them first: "
			      "warden "
			      "sandbox list)",
			      active);
			goto out;
		}
		ret = wd_enforcer_unpin_all(d->cfg->daemon.bpf_dir) ? 1 : 0;
		logf_("%s the pinned programs and maps under %s",
		      ret ? "could not remove all of" : "removed", d->cfg->daemon.bpf_dir);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	d->started_at = wd_clock_ns(CLOCK_REALTIME);
	d->ev_last_t = wd_clock_ns(CLOCK_MONOTONIC);
	if (uname(&u) == 0)
		snprintf(d->kernel, sizeof(d->kernel), "%s %s", u.sysname, u.release);
	snprintf(d->node, sizeof(d->node), "%s", d->cfg->node ? d->cfg->node : u.nodename);
	wd_boot_id(d->boot_id, sizeof(d->boot_id));

	snprintf(path, sizeof(path), "%s/state.db", d->cfg->daemon.state_dir);
	if (wd_state_open(path, WD_STATE_QUICK_CHECK, &d->st, err, sizeof(err))) {
		logf_("%s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/seq", d->cfg->daemon.run_dir);
	if ((ret = wd_node_seq_open(path, &d->node_seq))) {
		logf_("cannot open the node's event counter %s: %s", path, strerror(-ret));
		ret = 1;
		goto out;
	}
	ret = 1;
	d->pc = wd_proc_cache_new(250);
	d->pbe = malloc(sizeof(*d->pbe));
	d->pk = wd_pb_packer_new();
	d->ncpu = libbpf_num_possible_cpus();
	d->lost_cpu = d->ncpu > 0 ? calloc((size_t)d->ncpu, sizeof(uint64_t)) : NULL;
	if (!d->pc || !d->pbe || !d->pk || !d->lost_cpu)
		goto out;
	d->node_ctx = (struct wd_event_ctx){
		.node = d->node, .boot_id = d->boot_id, .node_seq = d->node_seq};
	wd_proc_cache_ctx(d->pc, &d->node_ctx);
	refresh_clock(d);

	eo.pin_dir = d->cfg->daemon.bpf_dir;
	eo.on_event = on_event;
	eo.on_event_ctx = d;
	if ((ret = wd_enforcer_open(&d->enf, &eo))) {
		if (ret == -EMEDIUMTYPE)
			logf_("cannot pin the BPF programs: bpf_dir %s is not on a BPF file "
			      "system; mount one there (mount -t bpf bpf DIR) or set bpf_dir "
			      "under /sys/fs/bpf, where warden mounts one itself",
			      d->cfg->daemon.bpf_dir);
		else
			logf_("cannot load the BPF programs (pinned under %s): %s; if an older "
			      "warden pinned incompatible maps there, `warden daemon --reset` "
			      "removes them",
			      d->cfg->daemon.bpf_dir, strerror(-ret));
		ret = 1;
		goto out;
	}
	for (const char *l = d->enf.lsm_hooks_why; eo.verbose && l && *l; l = strchr(l, '\n') + 1)
		logf_("%.*s", (int)strcspn(l, "\n"), l);
	ret = 1;
	if (d->enf.lsm) {
		logf_("BPF LSM seen enforcing: %s", d->enf.lsm_probe);
	} else {
		if (d->enf.lsm_missing[0])
			logf_("WARNING: LSM hooks not seen enforcing: %s", d->enf.lsm_missing);
		logf_("WARNING: BPF LSM is not available (%s). NOT ENFORCED in any "
		      "sandbox: " WD_DEGRADED_NOT_ENFORCED
		      "; sandboxes get network enforcement only%s",
		      d->enf.lsm_error,
		      d->cfg->daemon.degraded ? ""
					      : ", and only when asked with degraded (refused "
						"otherwise)");
	}
	map_rb_positions(d);
	d->lost_seen = wd_enforcer_lost_cpu(&d->enf, d->lost_cpu, d->ncpu);
	hold_reserve(d);
	d->hold_fail_seen = wd_enforcer_hold_failures(&d->enf);
	d->hold_on = (ret = wd_enforcer_attach_hold(&d->enf)) == 0;
	if (ret) {
		/* Programs a daemon before this one pinned go on holding, by the rules it gives
		 * them; without any, nothing holds. */
		snprintf(path, sizeof(path), "%s/links/hold_mkdir", d->cfg->daemon.bpf_dir);
		d->hold_on = access(path, F_OK) == 0;
		logf_("WARNING: cannot attach the programs that hold new cgroups matching adoption "
		      "rules (%s): %s",
		      strerror(-ret),
		      d->hold_on
			      ? "the ones pinned before stay in use"
			      : "such a cgroup is unconfined from its mkdir until it is adopted");
	}
	ret = 1;
	if (d->cfg->n_sinks &&
	    wd_pipeline_open(&d->pipe, d->cfg->sinks, d->cfg->n_sinks, d->node, err, sizeof(err))) {
		logf_("%s: %s", d->config_path, err);
		goto out;
	}
	restore(d);
	hold_install(d);

	d->auth = (struct wd_ctl_auth){
		.admin_group = d->cfg->daemon.admin_group,
		.admin_gid = group_id(d->cfg->daemon.admin_group, "admin"),
		.read_group = d->cfg->daemon.readonly_group,
		.read_gid = group_id(d->cfg->daemon.readonly_group, "read-only"),
	};
	snprintf(path, sizeof(path), "%s/control.sock", d->cfg->daemon.run_dir);
	{
		struct wd_ctl_server_opts so = {
			.path = path,
			.group = d->auth.admin_gid != (gid_t)-1 ? d->auth.admin_gid : 0,
			.read_group = d->auth.read_gid != (gid_t)-1 ? d->auth.read_gid : 0,
		};

		if (wd_ctl_server_open(&d->ctl, &so, err, sizeof(err))) {
			logf_("%s", err);
			goto out;
		}
	}
	if (d->cfg->daemon.metrics) {
		struct wd_metrics_opts mo = {
			.addr = d->cfg->daemon.metrics, .collect = collect, .arg = d};

		if (wd_metrics_open(&d->met, &mo, err, sizeof(err))) {
			logf_("metrics: %s", err);
			goto out;
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->sfd < 0 || d->ep < 0)
		goto out;
	d->ctl_tag = (struct ep_tag){EP_CTL};
	d->sig_tag = (struct ep_tag){EP_SIG};
	d->rb_tag = (struct ep_tag){EP_RB};
	d->met_tag = (struct ep_tag){EP_MET};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_ctl_server_fd(d->ctl),
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->ctl_tag});
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->sfd,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->sig_tag});
	epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_enforcer_events_fd(&d->enf),
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->rb_tag});
	if (d->met)
		epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_metrics_fd(d->met),
			  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->met_tag});
	adopt_watch_reset(d);
	logf_("ready: %s enforcement, %zu sandboxes, control socket %s%s%s",
	      d->enf.lsm ? "full" : "degraded", d->n_sb, wd_ctl_server_path(d->ctl),
	      d->met ? ", metrics on " : "", d->met ? d->cfg->daemon.metrics : "");
	sd_notify_("READY=1");
	ret = run_loop(d) ? 1 : 0;
	sd_notify_("STOPPING=1");
	logf_("stopping: %zu sandboxes stay enforced (their programs are pinned)", d->n_sb);
out:
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++)
		if (d->conns[i])
			conn_close(d, d->conns[i]);
	if (d->ctl)
		wd_ctl_server_close(d->ctl);
	wd_metrics_close(d->met);
	if (d->enf.cg)
		drain_all(d);
	if (d->pipe)
		wd_pipeline_close(d->pipe, DRAIN_MS);
	for (size_t i = 0; i < d->n_sb; i++) {
		wd_compiled_free(d->sb[i]->pol);
		sb_free(d->sb[i]);
	}
	if (d->enf.cg)
		wd_enforcer_close(&d->enf);
	wd_state_close(d->st);
	wd_node_seq_close(d->node_seq);
	wd_proc_cache_free(d->pc);
	free(d->pbe);
	wd_pb_packer_free(d->pk);
	free(d->lost_cpu);
	cpol_free(d->cpol, d->n_cpol);
	if (d->apol)
		cpol_free(d->apol, d->cfg->daemon.n_adopt);
	/* The kernel keeps holding under these slots: only our copies go. */
	for (size_t r = 0; r < WD_ADOPT_MAX; r++) {
		wd_compiled_free(d->hold[r]);
		wd_compiled_free(d->hold_prev[r]);
	}
	wd_config_free(d->cfg);
	wd_diags_free(&dg);
	if (d->ep > 0)
		close(d->ep);
	if (d->sfd > 0)
		close(d->sfd);
	if (d->ino >= 0)
		close(d->ino);
	free(d);
	return ret;
}
