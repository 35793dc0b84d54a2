/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one table of the hooks warden's BPF programs attach to (user/hooks/hooks.c): for every
 * program of bpf/wd_lsm.bpf.c and bpf/wd_cgroup.bpf.c a row, with the hook id of its events
 * (enum wd_hook), the name events carry, the kinds of events it sends, and for LSM hooks what
 * the loader (enforce/) and `warden probe` need. Hook names in events, the loader's optional
 * hooks and the probe's rows all come from it; tests/unit/test_hooks.c fails when a program of
 * wd_lsm, wd_cgroup or probe_lsm has no row, a row names no program, an enum wd_hook id has no
 * row that names it, or an LSM row has no rung-2 target taking the hook's arguments. */
#ifndef WD_HOOKS_H
#define WD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden/abi.h"

/* What a feature is needed for; full enforcement needs all of them. */
enum wd_need {
	WD_NEED_CORE,	 /* BTF, cgroups: everything */
	WD_NEED_NETWORK, /* cgroup sock_addr enforcement */
	WD_NEED_EVENTS,	 /* ring buffers */
	WD_NEED_LSM,	 /* exec, file, socket and confinement enforcement */
	WD_NEED_PINNING, /* state that survives the daemon */
	/* One LSM hook's part of WD_NEED_LSM (below). */
	WD_NEED_EXEC,
	WD_NEED_FILE,
	WD_NEED_SOCKET,
	WD_NEED_CONFINE,
};

struct btf;

/* The BPF object a program is in. */
enum wd_bpf_obj {
	WD_OBJ_LSM = 1, /* bpf/wd_lsm.bpf.c */
	WD_OBJ_CGROUP,	/* bpf/wd_cgroup.bpf.c */
};

/* The kinds of events a program sends, as bits: WD_EVK(WD_EV_FILE) | WD_EVK(WD_EV_CONFINE). */
#define WD_EVK(type) (1u << (type))

struct wd_hook_row {
	/* Where the program attaches: for an LSM program the hook, "path_rename" for
	 * SEC("lsm/path_rename") and bpf_lsm_path_rename; for the others the section name,
	 * "cgroup/connect4". */
	const char *hook;
	const char *prog;    /* warden's program on it */
	enum wd_bpf_obj obj; /* the object the program is in */
	uint16_t id;	     /* enum wd_hook of its events; 0: it sends none */
	bool names;	     /* events with @id carry @hook as their name: one row per id */
	unsigned events;     /* WD_EVK() bits: the kinds of events it sends with @id */
	bool sends;	     /* its WD_EV_CONNECT events are sends (a datagram, a unix message), not
			      * connects */
	/* The name its events carry when it is not @hook: "seccomp" for the sys_exit program,
	 * which reports what the seccomp filter refused (the filter is the enforcement point). */
	const char *event_name;
	/* LSM rows only: */
	const char *probe; /* the program in bpf/probe_lsm.bpf.c that stands for it */
	unsigned arm;	   /* enum wd_probe_arm (include/warden/probe_abi.h) of the probe program */
	bool optional;	   /* exists only on newer kernels: absent is not an error */
	enum wd_need need; /* what it enforces: exec, file, socket or confinement */
	const char *action; /* what the probe's test child does to see it act */
	/* Rung 2, kernels with trampolines but no bpf in the LSM list: the same program attached
	 * as fmod_ret to the kernel function that calls the hook, @fn ("security_file_open"),
	 * whose arguments are the hook's. @fr_prog: a program of its own there instead, where the
	 * arguments differ (security_mmap_file gets the requested protection, not the hook's).
	 * @fentry: @fn returns nothing, so the program observes (fentry) and cannot refuse. */
	const char *fn;
	const char *fr_prog;
	bool fentry;
};

extern const struct wd_hook_row wd_hooks[];
extern const size_t wd_hooks_n;

/* Events no BPF program sends: denials Landlock reports in its audit records (rung 3,
 * sandbox/llaudit.c), named "landlock". Outside enum wd_hook, which the BPF side shares. */
#define WD_HOOK_LANDLOCK 0x100
/* Denials of rung 4's decider: fanotify permission events in adopted sandboxes
 * (daemon/fanotify.c), named "fanotify". */
#define WD_HOOK_FANOTIFY 0x101

/* The name events with hook id @id carry ("bprm_check_security", "cgroup/connect4", ...), and
 * back; NULL and 0 for ones not known. */
const char *wd_hook_name(unsigned id);
unsigned wd_hook_id(const char *name);
/* Whether WD_EV_CONNECT events of hook id @id are sends (sendmsg, unix_may_send) rather than
 * connects. cgroup_skb/egress sees both: its UDP datagrams are sends (decided per event). */
bool wd_hook_sends(unsigned id);

/* The row of program @prog of @obj; NULL if none. */
const struct wd_hook_row *wd_hook_by_prog(enum wd_bpf_obj obj, const char *prog);

/* The LSM rows come first in wd_hooks[]: the loader and the probe walk these. */
extern const struct wd_hook_row *const wd_lsm_hooks;
extern const size_t wd_lsm_hooks_n;
/* The name enforce/ knows an LSM row by. */
#define wd_lsm_hook wd_hook_row

/* How the LSM programs are attached, per hook (the ladder's rungs 1 and 2). */
enum wd_mech {
	WD_MECH_NONE = 0, /* not attached: not seen refusing either way */
	WD_MECH_LSM,	  /* BPF LSM: lsm/<hook> on bpf_lsm_<hook> */
	WD_MECH_FMODRET,  /* fmod_ret (fentry for void hooks) on the row's fn */
};

/* "bpf-lsm", "fmod_ret", "none": the words probe, run, the daemon and status use. */
const char *wd_mech_name(enum wd_mech m);

/* Probe programs that check a feature rather than a hook (bpf_d_path, task storage). */
struct wd_lsm_feature {
	const char *name;  /* the probe's row: "bpf_d_path" */
	const char *probe; /* its program in bpf/probe_lsm.bpf.c */
	const char *hook;  /* the hook it is attached to */
	const char *yes;   /* the row's detail when it loads and attaches */
};

extern const struct wd_lsm_feature wd_lsm_features[];
extern const size_t wd_lsm_features_n;

/* The LSM row whose hook, warden program (h->prog or h->fr_prog) or probe program is @name;
 * NULL if none. */
const struct wd_hook_row *wd_lsm_hook_by_hook(const char *name);
const struct wd_hook_row *wd_lsm_hook_by_prog(const char *name);
const struct wd_hook_row *wd_lsm_hook_by_probe(const char *name);

/* Whether this kernel has the hook: its BTF has the function bpf_lsm_<hook> that LSM programs
 * attach to. @vmlinux NULL: assumed present. */
bool wd_lsm_hook_in_kernel(const struct btf *vmlinux, const struct wd_hook_row *h);
/* Whether its BTF has the row's fmod_ret target @fn (a kernel's BTF may lack a function whose
 * prototypes differ between compilation units). @vmlinux NULL: assumed present. */
bool wd_lsm_fn_in_kernel(const struct btf *vmlinux, const struct wd_hook_row *h);
/* The program of bpf/wd_lsm.bpf.c that decides on hook @h under @m: h->fr_prog on fmod_ret
 * where the row has one, else h->prog. */
const char *wd_lsm_hook_prog(const struct wd_hook_row *h, enum wd_mech m);

/* What a sandbox on a kernel without BPF LSM is not protected from, and what still holds there
 * (the cgroup hooks): the one wording warden run, the daemon and status use. */
#define WD_DEGRADED_NOT_ENFORCED                                                                   \
	"exec rules, file rules, executable mappings, socket families, unix socket rules (by "     \
	"path, abstract names, the sandbox's own), keyrings, terminal input (TIOCSTI), sockets "   \
	"passed in from outside, confinement"
#define WD_DEGRADED_ENFORCED                                                                       \
	"network connect and send rules, and which loopback listeners are the sandbox's own "      \
	"(cgroup/sock_create, connect4, connect6, sendmsg4, sendmsg6, bind4, bind6, and "          \
	"cgroup_skb/egress on every UDP datagram and TCP SYN)"

/* The rule text of a confinement denial (a WD_EV_CONFINE event), naming what was refused:
 * "confinement: a sandbox cannot create user namespaces". Static strings. */
const char *wd_confine_text(const struct wd_event *e);

/* The rule text of an event decided by the implicit rule (rule 0): what confinement refused, or
 * "default: no rule allows it". */
const char *wd_default_rule_text(const struct wd_event *e);

#endif
