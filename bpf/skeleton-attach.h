/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * skeleton-attach.h: which of the sensor's programs sensor_bpf__attach() must leave alone. Shared by the
 * addon (native/sensor.cc) and the C reference of `make bench` (bench-reference.c), so the reference
 * always traces exactly what the sensor traces. Include after sensor.skel.h.
 */
#ifndef AP_SKELETON_ATTACH_H
#define AP_SKELETON_ATTACH_H

#include <stdbool.h>

/*
 * TLS uprobes are attached per binary (attachTls), the cgroup connect programs to the cgroup root by hand;
 * the exec deny programs only with enforcement.
 */
static inline void ap_skip_manual_attach(struct sensor_bpf *skel, bool enforce)
{
	bpf_program__set_autoattach(skel->progs.handle_ssl_write_enter, false);
	bpf_program__set_autoattach(skel->progs.handle_ssl_read_enter, false);
	bpf_program__set_autoattach(skel->progs.handle_ssl_write_ex_enter, false);
	bpf_program__set_autoattach(skel->progs.handle_ssl_read_ex_enter, false);
	bpf_program__set_autoattach(skel->progs.handle_ssl_exit, false);
	bpf_program__set_autoattach(skel->progs.handle_connect4, false);
	bpf_program__set_autoattach(skel->progs.handle_connect6, false);
	if (!enforce) {
		bpf_program__set_autoattach(skel->progs.handle_execve_deny, false);
		bpf_program__set_autoattach(skel->progs.handle_execveat_deny, false);
		bpf_program__set_autoattach(skel->progs.handle_exec_deny_ino, false);
	}
}

#endif /* AP_SKELETON_ATTACH_H */
