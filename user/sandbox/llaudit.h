/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 3's denial events for exec and files: Landlock's audit records (AUDIT_LANDLOCK_ACCESS,
 * AUDIT_LANDLOCK_DOMAIN, Linux 6.15+, Landlock ABI 7) read from the audit netlink's read-only
 * multicast group, each denial of the sandbox's own Landlock domain turned into warden's usual
 * event (enforcement point "landlock"). The kernel writes these records only while audit is
 * enabled on the node (auditd, audit=1, auditctl -e 1); warden reads them and never changes the
 * node's audit settings. The sandbox's domain is the one whose AUDIT_LANDLOCK_DOMAIN record
 * names the process that called landlock_restrict_self() (warden's child, a host pid); every
 * field of an event comes from the kernel's records (the SYSCALL record of the same audit event
 * gives the process), never from the sandbox's memory. */
#ifndef WD_SANDBOX_LLAUDIT_H
#define WD_SANDBOX_LLAUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "warden/abi.h"

#define WD_AUDIT_SYSCALL	 1300
#define WD_AUDIT_EOE		 1320
#define WD_AUDIT_LANDLOCK_ACCESS 1423
#define WD_AUDIT_LANDLOCK_DOMAIN 1424

struct wd_compiled;
struct wd_llaudit;

/* Whether Landlock's denials can be read on this node: Landlock ABI @ll_abi >= 7, audit enabled,
 * and the multicast group readable (CAP_AUDIT_READ). Returns 0, or -EOPNOTSUPP (ABI < 7),
 * -ENODATA (audit disabled) or another -errno, with @why saying which in words. */
int wd_llaudit_available(int ll_abi, char *why, size_t size);

/* Opens the reader (before the command starts, so that no record is missed). Returns 0 or
 * -errno with @err saying why. */
int wd_llaudit_open(struct wd_llaudit **out, char *err, size_t errlen);
/* A reader without a socket, fed with wd_llaudit_feed() (tests). NULL: out of memory. */
struct wd_llaudit *wd_llaudit_new(void);
void wd_llaudit_close(struct wd_llaudit *a);
int wd_llaudit_fd(const struct wd_llaudit *a);

/* @pid (a host pid) calls landlock_restrict_self() for the sandbox: the domain the kernel says
 * it created is the sandbox's. */
void wd_llaudit_expect(struct wd_llaudit *a, pid_t pid);

/* Where the events go. */
typedef int (*wd_llaudit_fn)(void *arg, const struct wd_event *e);
struct wd_llaudit_sink {
	const struct wd_compiled *c; /* names the rule that decided, where it can (may be NULL) */
	uint64_t cgroup_id;
	int64_t boot_to_wall_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME, for the events' times */
	wd_llaudit_fn fn;
	void *arg;
};

/* Reads what the socket holds and hands every complete denial of the sandbox to @s->fn. An
 * audit event is complete at its end record, or @hold_ms after it was first seen (records of a
 * task without syscall auditing come alone). Returns the number handed on, or -errno. */
int wd_llaudit_drain(struct wd_llaudit *a, const struct wd_llaudit_sink *s, uint64_t hold_ms);

/* After the sandbox ended: drains for up to @ms until the kernel reports the sandbox's domain
 * released, then hands on what is pending. Returns the denials the kernel counted for the domain
 * that were not handed on (lost to rate limits, a full socket or a full backlog; 0 when the
 * kernel did not say). */
uint64_t wd_llaudit_finish(struct wd_llaudit *a, const struct wd_llaudit_sink *s, int ms);

/* Denials handed on, and records the socket dropped (ENOBUFS) so far. */
uint64_t wd_llaudit_reported(const struct wd_llaudit *a);
uint64_t wd_llaudit_overruns(const struct wd_llaudit *a);

/* ---- Pure parts, for the tests ---- */

/* One record of @type with text @msg ("audit(1729738800.268:30): domain=..."), read at
 * @now_ms (CLOCK_MONOTONIC). Returns the events handed on, or -EINVAL for a record that does
 * not parse. */
int wd_llaudit_feed(struct wd_llaudit *a, int type, const char *msg, size_t len, uint64_t now_ms,
		    uint64_t hold_ms, const struct wd_llaudit_sink *s);

/* The time (ms since the epoch) and serial of a record. Returns 0 or -EINVAL. */
int wd_audit_stamp(const char *msg, size_t len, uint64_t *wall_ms, uint64_t *serial);
/* The value of field @key of a record, decoded: "quoted", hex-encoded (the kernel's form for a
 * value with spaces, quotes or control bytes) or plain; NUL bytes of a hex value end it. Returns
 * the length, or -ENOENT (no such field), -ENOSPC (longer than @size - 1; truncated). */
int wd_audit_field(const char *msg, size_t len, const char *key, char *out, size_t size);
/* What a Landlock "blockers=" list means for an event: WD_EV_EXEC, or WD_EV_FILE with the op
 * and the change (enum wd_change); 0 for blockers that are no exec or file access (scopes,
 * network, ptrace), which are not reported. */
int wd_llaudit_blockers(const char *blockers, uint8_t *op, uint8_t *change);

#endif
