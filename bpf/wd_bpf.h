/* SPDX-License-Identifier: GPL-2.0 */
/* What every warden BPF program includes: kernel types (CO-RE), libbpf helpers, errno values. */
#ifndef WD_BPF_H
#define WD_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* vmlinux.h carries types, not the uapi errno macros. */
#define EPERM  1
#define EACCES 13
#define ENOMEM 12
#define EEXIST 17

#endif
