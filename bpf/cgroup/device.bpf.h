/* SPDX-License-Identifier: GPL-2.0 */
/* Device nodes: no sandbox opens or makes a block device. Part of wd_cgroup.bpf.c, which
 * includes it.
 *
 *   cgroup/dev  open (read, write) and mknod of a device node by a task of a sandbox cgroup
 *
 * A block device is the whole file system under the file rules (grep -a on /dev/loop0 or
 * /dev/sda reads a denied file off the disk), readable by uid 0 without any capability. BPF
 * LSM refuses opening one in file_open (bpf/lsm/file.bpf.h); this program does the same on
 * kernels without it (rung 3: Landlock cannot tell a block device from a file, and devtmpfs is
 * not nodev), and on rung 1 it refuses first, before file_open is reached. Char devices are
 * allowed: /dev/null, ttys, ptys and the rest are the file rules' (and confinement's) to
 * decide. Refused in audit mode too: it is confinement, as on rung 1. */

#define WD_DEVCG_ACC_MKNOD 1 /* BPF_DEVCG_ACC_*: the high 16 bits of access_type */
#define WD_DEVCG_ACC_WRITE 4
#define WD_DEVCG_DEV_BLOCK 1 /* BPF_DEVCG_DEV_*: the low 16 bits */

/* Writes @v in decimal at @p (at most 10 digits); returns the digits written. */
static __always_inline int put_u32(char *p, __u32 v)
{
	char d[10];
	int n = 0;

	for (int i = 0; i < 10; i++) {
		d[n++] = '0' + v % 10;
		v /= 10;
		if (!v)
			break;
	}
	for (int i = 0; i < 10; i++) {
		if (i >= n)
			break;
		p[i] = d[n - 1 - i];
	}
	return n;
}

/* The event of a refused block device: a confinement event on file_open (open) or path_mknod
 * (mknod), as rung 1 reports them, its path the device's name in /dev/block, "MAJOR:MINOR"
 * (the cgroup hook knows no path). A full record: the short one has no path. */
static __always_inline void device_event(__u64 cgid, struct wd_sandbox *sb, __u32 acc, __u32 major,
					 __u32 minor)
{
	struct wd_event *e = wd_event_reserve(WD_EV_CONFINE, cgid);
	const char pre[] = "/dev/block/";
	int n = sizeof(pre) - 1;

	if (!e)
		return;
	wd_event_task(e, cgid, sb->policy_id, WD_RULE_DEFAULT, WD_DEC_DENY,
		      (acc & WD_DEVCG_ACC_MKNOD) ? WD_HOOK_PATH_MKNOD : WD_HOOK_FILE_OPEN);
	e->op = (acc & (WD_DEVCG_ACC_WRITE | WD_DEVCG_ACC_MKNOD)) ? WD_OP_WRITE : WD_OP_READ;
	e->proto = (acc & WD_DEVCG_ACC_MKNOD) ? WD_CH_MKNOD : WD_CH_OPEN;
	__builtin_memcpy(e->path, pre, sizeof(pre) - 1);
	n += put_u32(e->path + n, major);
	e->path[n++] = ':';
	n += put_u32(e->path + n, minor);
	e->path[n & 63] = '\0';
	wd_event_submit(e);
}

SEC("cgroup/dev")
int wd_device(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff, acc = ctx->access_type >> 16;
	struct wd_sandbox *sb;
	__u64 cgid;

	if (type != WD_DEVCG_DEV_BLOCK)
		return 1;
	/* Attached to sandbox cgroups only: a task there whose sandbox is not found (a cgroup
	 * namespace hiding the real depth) is refused all the same, with no event. */
	cgid = wd_cgroup_sandbox(&sb);
	wd_hit(WD_RULE_DEFAULT);
	if (cgid)
		device_event(cgid, sb, acc, ctx->major, ctx->minor);
	return 0;
}
