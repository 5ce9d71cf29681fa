/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * vmlinux_compat.h: kernel drift handled with CO-RE flavors, never offsets.
 * libbpf strips the ___suffix and matches the struct by name, so a read
 * through one of these relocates against whichever layout the running
 * kernel has, guarded by bpf_core_field_exists.
 */
#ifndef AP_VMLINUX_COMPAT_H
#define AP_VMLINUX_COMPAT_H

/* Before 5.5 the kernfs node id was a union (ino + generation). */
union kernfs_node_id___older_v55 {
	struct {
		u32 ino;
		u32 generation;
	};
	u64 id;
};

struct kernfs_node___older_v55 {
	union kernfs_node_id___older_v55 id;
};

/* Before 5.5 the boot-based start time was called real_start_time. */
struct task_struct___older_v55 {
	u64 real_start_time;
};

#endif /* AP_VMLINUX_COMPAT_H */
