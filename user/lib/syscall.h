/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names of x86_64 system calls, for events that carry a call's number: the calls a sandbox
 * filter may refuse (mounts, namespaces, bpf, keyrings, sockets, ...), not the whole table. */
#ifndef WD_SYSCALL_H
#define WD_SYSCALL_H

/* "keyctl" for 250; NULL for a number the table does not name. */
const char *wd_syscall_name(unsigned nr);
/* "EPERM", "ENOSYS", ... for the errors system calls answer; NULL for others. */
const char *wd_errno_name(unsigned err);

#endif
