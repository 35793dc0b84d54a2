/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names of x86_64 system calls, for events that carry a call's number: the calls a sandbox
 * filter may refuse (mounts, namespaces, bpf, keyrings, sockets, ...) and the changes to the file
 * system a read-only mount refuses, not the whole table; and the numbers of calls newer than the
 * build's headers. */
#ifndef WD_SYSCALL_H
#define WD_SYSCALL_H

#include <sys/syscall.h>

/* System calls newer than the build's headers (Debian 12's predate them). */
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

/* "keyctl" for 250; NULL for a number the table does not name. */
const char *wd_syscall_name(unsigned nr);
/* "EPERM", "ENOSYS", ... for the errors system calls answer; NULL for others. */
const char *wd_errno_name(unsigned err);

#endif
