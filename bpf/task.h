/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * task.h: the tracked-set check every program starts with, and the common
 * task fields every event carries.
 */
#ifndef AP_TASK_H
#define AP_TASK_H

#include "vmlinux_compat.h"

#define statfunc static __always_inline

/*
 * The first statement of every program. In --all mode it costs a compare;
 * otherwise a clear prefilter bit (one load from .bss) ends it for an
 * untracked process, and only a set bit pays for the hash lookup. A stopped
 * sensor (quiesced) traces nothing.
 */
statfunc bool ap_is_tracked(void)
{
	__u32 flags, tgid, slot;

	if (quiesced)
		return false;
	if (trace_all)
		return (bpf_get_current_pid_tgid() >> 32) != self_tgid;
	flags = track_flags;
	if (flags & AP_TRACK_CGROUPS) {
		__u64 cg = bpf_get_current_cgroup_id();

		slot = AP_CG_BLOOM_SLOT(cg);
		if (cgroup_bloom[slot / 64] & (1ULL << (slot % 64))) {
			__u32 *v = bpf_map_lookup_elem(&tracked_cgroup, &cg);

			if (v && (*v & AP_CG_TRACK))
				return true;
		}
	}
	if (flags & AP_TRACK_TGIDS) {
		tgid = bpf_get_current_pid_tgid() >> 32;
		slot = AP_TGID_BLOOM_SLOT(tgid);
		if ((tgid_bloom[slot / 64] & (1ULL << (slot % 64))) && bpf_map_lookup_elem(&tracked_tgid, &tgid))
			return true;
	}
	return false;
}

/* cgroup v2 id of a task that may not be current (fork child). */
statfunc __u64 ap_task_cgroup_id(struct task_struct *task)
{
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);

	if (bpf_core_type_exists(union kernfs_node_id___older_v55)) {
		struct kernfs_node___older_v55 *old = (void *)kn;

		if (!bpf_core_field_exists(kn->id) || bpf_core_field_size(kn->id) != 8)
			return BPF_CORE_READ(old, id.id);
	}
	return BPF_CORE_READ(kn, id);
}

statfunc __u64 ap_task_start_ns(struct task_struct *task)
{
	if (bpf_core_field_exists(task->start_boottime))
		return BPF_CORE_READ(task, start_boottime);
	return BPF_CORE_READ((struct task_struct___older_v55 *)task, real_start_time);
}

/* Inode of the pid namespace the task lives in (not pid_ns_for_children). */
statfunc __u32 ap_task_pid_ns(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid = {};

	/* pid namespaces nest at most 32 deep (MAX_PID_NS_LEVEL) */
	if (level > 32)
		return 0;
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);
	return BPF_CORE_READ(upid.ns, ns.inum);
}

/* Leaf name of the task's cpuset cgroup: the v1 name Docker's cgroupfs
 * driver gives a container (its id), or the v2 leaf on a pure v2 host. */
statfunc void ap_task_cgroup_name(struct task_struct *task, char *dst)
{
	struct cgroup_subsys_state *css;
	const char *name;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id))
		return;
	id = bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id);
	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return;
	css = BPF_CORE_READ(task, cgroups, subsys[id]);
	name = BPF_CORE_READ(css, cgroup, kn, name);
	if (name)
		bpf_probe_read_kernel_str(dst, AP_CGNAME_MAX, name);
}

statfunc void ap_fill_task(struct ap_task *t, struct task_struct *task)
{
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	const struct cred *cred = BPF_CORE_READ(task, cred);

	t->cgroup_id = ap_task_cgroup_id(task);
	t->start_ns = ap_task_start_ns(BPF_CORE_READ(task, group_leader));
	t->parent_start_ns = ap_task_start_ns(BPF_CORE_READ(parent, group_leader));
	t->tgid = BPF_CORE_READ(task, tgid);
	t->pid = BPF_CORE_READ(task, pid);
	t->ppid = BPF_CORE_READ(parent, tgid);
	t->uid = BPF_CORE_READ(cred, uid.val);
	t->euid = BPF_CORE_READ(cred, euid.val);
	t->gid = BPF_CORE_READ(cred, gid.val);
	t->pid_ns = ap_task_pid_ns(task);
	t->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	t->cgroup_name[0] = 0;
	ap_task_cgroup_name(task, t->cgroup_name);
}

statfunc void ap_fill_current(struct ap_task *t)
{
	ap_fill_task(t, (struct task_struct *)bpf_get_current_task());
}

#endif /* AP_TASK_H */
