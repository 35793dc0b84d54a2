// SPDX-License-Identifier: GPL-2.0
/* tests/host/test_path_walk.c: for every open file of one process, the path bpf_d_path gives and
 * the one warden's own walk (bpf/wd_path.h) gives, side by side. Iterators may call bpf_d_path,
 * so the two can be compared on any kernel that runs BPF iterators, not only under BPF LSM. */
#include "wd_path.h"

char LICENSE[] SEC("license") = "GPL";

__u32 target_tgid;

struct t_walk_rec {
	__s32 fd;
	__s32 len_d; /* bpf_d_path's result */
	__s32 len_w; /* wd_path_walk's */
	__u32 escaped;
	__u32 dname; /* the dentry names itself (pipe:, socket:, memfd): no walk compared */
	__u32 pad;
	char d[WD_WALK_BUF];
	char w[WD_WALK_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct t_walk_rec);
} t_rec SEC(".maps");

SEC("iter/task_file")
int t_walk_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct t_walk_rec *r;
	struct dentry *dentry;
	struct vfsmount *mnt;
	__u32 zero = 0;
	bool esc = false;

	if (!task || !file || (__u32)task->tgid != target_tgid)
		return 0;
	r = bpf_map_lookup_elem(&t_rec, &zero);
	if (!r)
		return 0;
	r->fd = ctx->fd;
	r->d[0] = r->w[0] = '\0';
	dentry = file->f_path.dentry;
	mnt = file->f_path.mnt;
	r->dname = BPF_CORE_READ(dentry, d_op, d_dname) &&
		   (BPF_CORE_READ(dentry, d_parent) != dentry ||
		    dentry != BPF_CORE_READ(mnt, mnt_root));
	r->len_d = bpf_d_path((struct path *)&file->f_path, r->d, sizeof(r->d));
	r->len_w = r->dname ? 0 : wd_path_walk(dentry, mnt, r->w, &esc);
	r->escaped = esc;
	bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
	return 0;
}
