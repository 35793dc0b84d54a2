/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of user/daemon/ share, and only they include: the daemon's state (struct
 * daemon), its sandboxes (struct dsb) and control connections (struct dconn), and the functions
 * one file calls in another, grouped by the file that defines them. These keep the short names
 * they had while the daemon was one file: they are the folder's own, declared nowhere else. */
#ifndef WD_DAEMON_INTERNAL_H
#define WD_DAEMON_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ctl/control.h"
#include "daemon/cgid_hash.h"
#include "daemon/fanotify.h"
#include "daemon/precedence.h"
#include "enforce/enforce.h"
#include "event/event.h"
#include "event/nodeseq.h"
#include "export/pipeline.h"
#include "lib/cgroup.h"
#include "metrics/metrics.h"
#include "policy/compile.h"
#include "policy/policy.h"
#include "sandbox/context.h"
#include "sandbox/guard.h"
#include "sandbox/lifecycle.h"
#include "sandbox/lost.h"
#include "sandbox/rung3.h"
#include "sandbox/rung3_plan.h"
#include "sandbox/rung4.h"
#include "state/state.h"

#define TICK_MS	 250 /* TTLs, adoption, emptiness, allowed events without wake-ups */
#define SB_MAX	 (WD_POLICIES_MAX - 1)
#define DRAIN_MS 5000
#define NS	 1000000000ull

enum ep_kind { EP_CTL = 1, EP_CONN, EP_RB, EP_SIG, EP_MET, EP_PIDFD, EP_INO, EP_FAN };

/* What an fd in the epoll set is; the event carries a pointer to one of these. */
struct ep_tag {
	enum ep_kind kind;
};

struct dsb {
	char id[40];
	char *identity;
	struct wd_label labels[WD_PB_LABELS_MAX];
	size_t n_labels;
	struct wd_cgroup cg;
	enum wd_sb_origin origin;
	bool audit, degraded;
	/* Its command runs on rung 3 (Landlock, a mount namespace, seccomp fixed at its start:
	 * its exec and file rules cannot change while it runs). */
	bool rung3;
	struct wd_rung3_plan *plan; /* rung 3's plan until the command starts, else NULL */
	/* Made or adopted without a command, on rung 4: fanotify decides its exec and file
	 * opens (daemon/fanotify.c). r4_node_pid: a process of it last seen in the node's mount
	 * namespace (not decided: said once). */
	bool rung4;
	pid_t r4_node_pid;
	uint32_t creator;
	uint64_t created_at, expires_at;
	struct wd_compiled *pol;
	enum pol_from from;
	char policy_name[256];
	int64_t policy_row;
	uint64_t generation;
	char workdir[PATH_MAX], home[PATH_MAX];
	uint64_t denials;
	struct wd_sb_ev ev; /* its events' context, seq and reported losses */
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
	/* Without the LSM programs: which rung-3 mechanisms this kernel was seen refusing with,
	 * for the commands of run requests (r3.landlock false: none). */
	struct wd_rung3 r3;
	/* Rung 4 for sandboxes without a command: the trial's result, and the decider (NULL:
	 * none). */
	struct wd_rung4 r4;
	struct wd_fan *fan;
	struct ep_tag fan_tag;
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
	struct wd_cgid_hash by_cgid; /* cgroup id -> struct dsb */
	bool slot_used[WD_POLICIES_MAX];
	struct dconn *conns[WD_CTL_MAX_CONNS];

	struct wd_sb_node node; /* the node's side of every event */
	struct wd_lost lost;	/* the kernel's losses already reported */
	struct wd_guard guard;	/* what no sandbox may write or reach of warden's own */
	char kernel[128];
	uint64_t started_at, events_total, events_lost, ev_last, ev_last_t;
	uint64_t rmiss_seen; /* recursion misses of the fmod_ret programs already logged */
	double ev_rate;
	struct dec_count decs[1024];
	size_t n_decs;
	volatile uint64_t *rb_pos[2]; /* consumer and producer positions of the ring buffer */
	uint64_t failed[256];	      /* cgroups auto adoption failed for: not retried */
	size_t n_failed;
	size_t rb_size;
	bool stop;
};

/* A sandbox to make (sandboxes.c: sb_create). */
struct sb_req {
	const char *identity;
	Warden__V1__SandboxSpec *spec;
	enum wd_sb_origin origin;
	const char *adopt_path; /* adopt: the cgroup */
	bool rule_policy;	/* spec->policy is the adoption rule's (FROM_ADOPT) */
	bool cmd;		/* a run request: its command may run on rung 3 */
	uint32_t uid;
	const char *workdir, *home;
};

/* A sandbox as a response describes it (responses.c: fill_info). */
struct sb_info {
	Warden__V1__SandboxInfo info;
	Warden__V1__SandboxInfo__LabelsEntry lab[WD_PB_LABELS_MAX];
	Warden__V1__SandboxInfo__LabelsEntry *labp[WD_PB_LABELS_MAX];
	char *not_enforced[1];
};

/* Problems of a policy text for a response. */
struct problems {
	Warden__V1__PolicyProblem *v;
	Warden__V1__PolicyProblem **p;
	size_t n;
	char **msgs;
};

/* daemon.c: start-up and shutdown */
__attribute__((format(printf, 1, 2))) void logf_(const char *fmt, ...);

/* loop.c: the epoll loop and its timer */
void sd_notify_(const char *msg);
void refresh_clock(struct daemon *d);
void on_tick(struct daemon *d);
int run_loop(struct daemon *d);

/* sandboxes.c: the table of sandboxes, policy slots and rule ids, a sandbox's life */
struct dsb *sb_by_cgid(struct daemon *d, uint64_t cgid);
void hash_put(struct daemon *d, struct dsb *s);
struct dsb *sb_by_id(struct daemon *d, const char *id);
int slot_alloc(struct daemon *d);
uint32_t rules_alloc(struct daemon *d, uint32_t n, const struct dsb *skip);
void policy_release(struct daemon *d, struct wd_compiled *c);
void sb_free(struct dsb *s);
void kv_key(char *buf, size_t size, const struct dsb *s);
int save_kv(struct daemon *d, const struct dsb *s);
void sb_end(struct daemon *d, struct dsb *s, enum wd_sb_state state, const char *detail);
void sb_plan_free(struct dsb *s);
int sb_create(struct daemon *d, const struct sb_req *q, struct dsb **out,
	      Warden__V1__Error__Code *code, char *why, size_t why_size, struct wd_diags *dg);
int sb_switch(struct daemon *d, struct dsb *s, struct wd_compiled *next,
	      const struct pol_choice *pc);
int sb_repolicy(struct daemon *d, struct dsb *s, const struct pol_choice *pc, struct wd_diags *dg);

/* policy_choice.c: the config's policy files, which policy a sandbox gets, compiling it */
int choose_policy(struct daemon *d, const char *identity, const char *sb_id,
		  const Warden__V1__PolicySource *spec, struct pol_choice *pc);
int compile_for(struct daemon *d, const struct pol_choice *pc, const char *identity,
		const char *workdir, const char *home, bool audit, const struct dsb *skip,
		struct wd_compiled **out, struct wd_diags *dg);
void cpol_free(struct cfg_policy *v, size_t n);
int load_cfg_policies(const struct wd_config *c, struct cfg_policy **out, size_t *n_out,
		      struct cfg_policy **aout);
void repolicy_config_sandboxes(struct daemon *d);

/* events.c: the sandbox event context, kernel records, EVENTS_LOST, lifecycle events */
void sb_ctx(struct daemon *d, struct dsb *s);
void lifecycle(struct daemon *d, struct dsb *s, Warden__V1__Lifecycle__Kind kind,
	       const char *detail);
int on_event(void *arg, const struct wd_event *e);
void drain(struct daemon *d);
void drain_all(struct daemon *d);

/* responses.c: answers to control requests */
void problems_from(struct problems *pr, const struct wd_diags *dg);
void problems_free(struct problems *pr);
void fill_info(const struct dsb *s, struct sb_info *o);
int send_error(struct dconn *dc, Warden__V1__Error__Code code, const char *msg,
	       const struct problems *pr);
void send_run_exited(struct daemon *d, struct dsb *s, int status, int sig,
		     Warden__V1__RunExited__Reason reason, const char *detail);
void sb_reply(struct dconn *dc, const struct dsb *s);
void create_failed(struct dconn *dc, Warden__V1__Error__Code code, const char *why,
		   struct wd_diags *dg);
struct dsb *find_or_fail(struct daemon *d, struct dconn *dc, const char *id);

/* req_sandbox.c, req_policy.c, req_status.c: the handlers of control requests */
void do_run(struct daemon *d, struct dconn *dc, Warden__V1__RunRequest *rq);
void on_command_exit(struct daemon *d, struct dsb *s);
void do_create_or_adopt(struct daemon *d, struct dconn *dc, Warden__V1__SandboxSpec *spec,
			const char *adopt);
void do_list(struct daemon *d, struct dconn *dc, Warden__V1__SandboxListRequest *rq);
void do_revoke(struct daemon *d, struct dconn *dc, Warden__V1__SandboxRevokeRequest *rq);
void do_apply(struct daemon *d, struct dconn *dc, Warden__V1__PolicyApplyRequest *rq);
void do_show(struct daemon *d, struct dconn *dc, Warden__V1__PolicyShowRequest *rq);
void do_check(struct daemon *d, struct dconn *dc, Warden__V1__PolicyCheckRequest *rq);
void do_diff(struct daemon *d, struct dconn *dc, Warden__V1__PolicyDiffRequest *rq);
void do_status(struct daemon *d, struct dconn *dc);

/* requests.c: authorisation, then dispatch to the handler of the operation (requests.h) */
void handle_request(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq);

/* conns.c: control connections */
void conn_close(struct daemon *d, struct dconn *dc);
void on_conn(struct daemon *d, struct dconn *dc, uint32_t events);
void on_accept(struct daemon *d);

/* adopt.c: adoption by pattern */
void auto_adopt(struct daemon *d, const char *how);
void adopt_watch_reset(struct daemon *d);
void on_inotify(struct daemon *d);

/* hold.c: holding new matching cgroups in the kernel */
int rule_of_cgroup(struct daemon *d, const char *cg_path);
const char *hold_rule_text(const struct daemon *d, const struct wd_event *e);
void hold_reserve(struct daemon *d);
void hold_install(struct daemon *d);

/* collect.c: the metrics the daemon exports */
int collect(struct wd_prom *w, void *arg);
void map_rb_positions(struct daemon *d);

/* rung4.c: fanotify for sandboxes made or adopted without a command */
void rung4_open(struct daemon *d);
void rung4_watch(struct daemon *d);
void rung4_close(struct daemon *d);
int rung4_attach(struct daemon *d, struct dsb *s, bool degraded, Warden__V1__Error__Code *code,
		 char *why, size_t why_size);
void rung4_detach(struct daemon *d, struct dsb *s);
void rung4_tick(struct daemon *d);
void on_fan(struct daemon *d);

/* restore.c, reload.c: taking over after a restart; SIGHUP */
int restore(struct daemon *d);
void reload(struct daemon *d);

#endif
