// SPDX-License-Identifier: GPL-2.0
/* The kernel producer of the event-pipeline benchmark (bench/events): each getppid() of the
 * benchmark's process emits struct wd_event records the way warden's hooks do (reserve, fill
 * with the task's identity and strings read from kernel memory, submit; a failed reserve counted
 * per CPU), so that the consumer is measured on real kernel records from a real ring buffer.
 * Several records per call (bench_burst) take the syscall's cost out of the producer's rate. */
#include "wd_bpf.h"
#include "warden/abi.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET	  2
#define BURST_MAX 64

/* Set by the benchmark before load. */
const volatile __u32 bench_tgid = 0;
const volatile __u16 bench_type = WD_EV_FILE; /* WD_EV_FILE or WD_EV_CONNECT */
const volatile __u8 bench_decision = WD_DEC_DENY;
const volatile __u32 bench_policy_id = 1;
const volatile __u32 bench_rule_id = 7;
const volatile __u32 bench_burst = 1; /* records per call, 1..BURST_MAX */
/* 0: submit as warden does (the kernel wakes the consumer when it had caught up). N: one
 * wake-up when N bytes wait, none otherwise; the consumer polls on a timer too. */
const volatile __u32 bench_wakeup_bytes = 0;
/* What warden's hooks copy from task storage and a scratch buffer (bpf_d_path's result). */
const volatile char bench_exe[WD_PATH_MAX] = {};
const volatile char bench_path[WD_PATH_MAX] = {};

/* The same size as warden's wd_events (bpf/wd_common.h); userspace may resize it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} wd_bench_ev SEC(".maps");

/* Reserve failures per CPU, as wd_lost counts them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wd_bench_lost SEC(".maps");

/* Records submitted per CPU: with the losses, what the benchmark checks its producers against. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wd_bench_sent SEC(".maps");

static __always_inline void count(void *map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(map, &zero);

	if (n)
		*n += 1;
}

static __always_inline void emit(__u64 pid_tgid, struct task_struct *task)
{
	/* As warden's cgroup hooks do: a connect record ends before exe (WD_EVENT_SHORT_SIZE). */
	__u64 size = bench_type == WD_EV_CONNECT ? WD_EVENT_SHORT_SIZE : sizeof(struct wd_event);
	struct wd_event *e;
	__u64 flags = 0;

	if (bench_type == WD_EV_CONNECT)
		e = bpf_ringbuf_reserve(&wd_bench_ev, WD_EVENT_SHORT_SIZE, 0);
	else
		e = bpf_ringbuf_reserve(&wd_bench_ev, sizeof(*e), 0);
	if (!e) {
		count(&wd_bench_lost);
		return;
	}
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.type = bench_type;
	e->hdr.size = size;
	e->hdr.ktime_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->policy_id = bench_policy_id;
	e->rule_id = bench_rule_id;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->decision = bench_decision;
	e->lost = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);

	if (bench_type == WD_EV_CONNECT) {
		/* cgroup/connect4 to 10.0.0.5:443: the cgroup hooks know no executable. */
		e->hook = WD_HOOK_CONNECT4;
		e->op = 0;
		e->family = AF_INET;
		e->proto = 6;
		e->port = 443;
		__builtin_memset(e->addr, 0, 10);
		e->addr[10] = 0xff;
		e->addr[11] = 0xff;
		e->addr[12] = 10;
		e->addr[13] = 0;
		e->addr[14] = 0;
		e->addr[15] = 5;
	} else {
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_READ;
		e->family = 0;
		e->proto = 0;
		e->port = 0;
		bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), (const void *)bench_exe);
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), (const void *)bench_path);
	}
	/* One wake-up when the data waiting crosses the threshold (this record's 8-byte header
	 * and body included), none otherwise: a consumer that is awake needs none, and one that
	 * sleeps emptied the ring buffer first. */
	if (bench_wakeup_bytes) {
		__u64 avail = bpf_ringbuf_query(&wd_bench_ev, BPF_RB_AVAIL_DATA);

		flags = avail >= bench_wakeup_bytes && avail < bench_wakeup_bytes + size + 8
				? BPF_RB_FORCE_WAKEUP
				: BPF_RB_NO_WAKEUP;
	}
	bpf_ringbuf_submit(e, flags);
	count(&wd_bench_sent);
}

SEC("tp/syscalls/sys_enter_getppid")
int wd_bench_prod(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;

	if (pid_tgid >> 32 != bench_tgid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	for (__u32 i = 0; i < BURST_MAX; i++) {
		if (i >= bench_burst)
			break;
		emit(pid_tgid, task);
	}
	return 0;
}
