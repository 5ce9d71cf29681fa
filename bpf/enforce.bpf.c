// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * enforce.bpf.c: stopping actions before they happen, per cgroup.
 *
 * connect: cgroup/connect4 and connect6 run before the socket layer sends
 * anything; returning 0 makes connect(2) fail with EPERM and no packet
 * leaves. Userspace attaches them at the cgroup v2 root so one attachment
 * covers every cgroup, and the cgroup's flags decide.
 * exec: SIGKILL through bpf_send_signal at execve entry for a quarantined
 * cgroup or a denied filename; the signal is fatal before the new image
 * runs a single instruction. sched_process_exec checks the executed inode
 * as well, which a relative path or a symlink cannot dodge.
 * A refused connect() is reported with a forced wakeup: a deny entry may ask
 * the ring thread to kill or freeze the cgroup (enum ap_contain), and that
 * must not wait for the next poll.
 * These programs are attached only with --enforce.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "maps.h"
#include "task.h"
#include "emit.h"

#define AP_SIGKILL 9
#define AP_AF_INET 2
#define AP_AF_INET6 10
#define AP_ALLOW 1
#define AP_DENY 0

statfunc __u32 ap_cgroup_flags(__u64 cg)
{
	__u32 *v;

	/* a stopped sensor enforces nothing, though its links live on for a moment */
	if (quiesced)
		return 0;
	v = bpf_map_lookup_elem(&tracked_cgroup, &cg);
	return v ? *v : 0;
}

statfunc void ap_cgroup_key(__u8 dst[8], __u64 cg)
{
	/* big-endian so the LPM trie's bit order covers the id first */
	int i;

	for (i = 0; i < 8; i++)
		dst[i] = cg >> (56 - 8 * i);
}

/* An enforcement record with nothing but who, what and which rule filled in. */
statfunc struct ap_enforce_event *ap_enforce_reserve(__u32 action, __u32 rule)
{
	struct ap_enforce_event *e = AP_RESERVE(struct ap_enforce_event, AP_EV_ENFORCE);

	if (!e)
		return NULL;
	ap_fill_current(&e->task);
	e->action = action;
	e->rule = rule;
	e->family = 0;
	e->port = 0;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->path[0] = 0;
	return e;
}

statfunc void ap_report_connect(__u32 action, __u32 rule, __u16 family, __u16 port, const __u8 *addr,
				__u32 len)
{
	struct ap_enforce_event *e = ap_enforce_reserve(action, rule);

	if (!e)
		return;
	e->family = family;
	e->port = port;
	if (len == 4)
		__builtin_memcpy(e->addr, addr, 4);
	else if (len == 16)
		__builtin_memcpy(e->addr, addr, 16);
	ap_submit_now(e, AP_EV_ENFORCE);
}

statfunc __u32 *ap_deny_v4_match(__u64 cg, __u32 ip4)
{
	struct ap_lpm_v4_key key = { .prefixlen = 64 + 32 };

	ap_cgroup_key(key.cgroup_id, cg);
	__builtin_memcpy(key.addr, &ip4, 4);
	return bpf_map_lookup_elem(&deny_v4, &key);
}

/*
 * A deny entry that asks for a freeze comes from a quarantine rule, and
 * quarantine cuts the network: set the flag here, in the refused connect
 * itself, so no other connect slips through before the ring thread freezes
 * the cgroup (userspace mirrors it from the containment report).
 */
statfunc void ap_contain_in_kernel(__u64 cg, __u32 rule)
{
	__u32 *flags;

	if ((rule >> AP_DENY_CONTAIN_SHIFT) != AP_CONTAIN_FREEZE)
		return;
	flags = bpf_map_lookup_elem(&tracked_cgroup, &cg);
	/* plain |=: 32-bit atomics need -mcpu=v3, and the only other writer
	 * (userspace) replaces the whole value anyway */
	if (flags)
		*flags |= AP_CG_QUARANTINE;
}

SEC("cgroup/connect4")
int handle_connect4(struct bpf_sock_addr *ctx)
{
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 flags = ap_cgroup_flags(cg);
	__u32 ip4, *rule;
	__u16 port;

	if (!(flags & (AP_CG_QUARANTINE | AP_CG_ENFORCE)))
		return AP_ALLOW;
	ip4 = ctx->user_ip4;
	port = bpf_ntohs(ctx->user_port);
	if (flags & AP_CG_QUARANTINE) {
		ap_report_connect(AP_ENF_CONNECT_QUARANTINE, 0, AP_AF_INET, port, (__u8 *)&ip4, 4);
		return AP_DENY;
	}
	rule = ap_deny_v4_match(cg, ip4);
	if (!rule)
		return AP_ALLOW;
	ap_contain_in_kernel(cg, *rule);
	ap_report_connect(AP_ENF_CONNECT_DENY, *rule, AP_AF_INET, port, (__u8 *)&ip4, 4);
	return AP_DENY;
}

SEC("cgroup/connect6")
int handle_connect6(struct bpf_sock_addr *ctx)
{
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 flags = ap_cgroup_flags(cg);
	struct ap_lpm_v6_key key = { .prefixlen = 64 + 128 };
	__u32 ip6[4], *rule;
	__u16 port;

	if (!(flags & (AP_CG_QUARANTINE | AP_CG_ENFORCE)))
		return AP_ALLOW;
	ip6[0] = ctx->user_ip6[0];
	ip6[1] = ctx->user_ip6[1];
	ip6[2] = ctx->user_ip6[2];
	ip6[3] = ctx->user_ip6[3];
	port = bpf_ntohs(ctx->user_port);
	if (flags & AP_CG_QUARANTINE) {
		ap_report_connect(AP_ENF_CONNECT_QUARANTINE, 0, AP_AF_INET6, port, (__u8 *)ip6, 16);
		return AP_DENY;
	}
	/* ::ffff:a.b.c.d on a dual-stack socket reaches IPv4: use the v4 list */
	if (ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0xffff))
		rule = ap_deny_v4_match(cg, ip6[3]);
	else {
		ap_cgroup_key(key.cgroup_id, cg);
		__builtin_memcpy(key.addr, ip6, 16);
		rule = bpf_map_lookup_elem(&deny_v6, &key);
	}
	if (!rule)
		return AP_ALLOW;
	ap_contain_in_kernel(cg, *rule);
	ap_report_connect(AP_ENF_CONNECT_DENY, *rule, AP_AF_INET6, port, (__u8 *)ip6, 16);
	return AP_DENY;
}

statfunc void ap_report_exec(__u32 action, __u32 rule, const char *path, bool user)
{
	struct ap_enforce_event *e = ap_enforce_reserve(action, rule);

	if (!e)
		return;
	if (user)
		bpf_probe_read_user_str(e->path, sizeof(e->path), path);
	else
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	ap_submit_now(e, AP_EV_ENFORCE);
}

statfunc int ap_exec_deny_enter(__u64 filename)
{
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 flags = ap_cgroup_flags(cg);
	struct ap_exec_path_key *key;
	__u32 zero = 0, *rule;

	if (!(flags & (AP_CG_QUARANTINE | AP_CG_ENFORCE)))
		return 0;
	if (flags & AP_CG_QUARANTINE) {
		bpf_send_signal(AP_SIGKILL);
		ap_report_exec(AP_ENF_EXEC_QUARANTINE, 0, (const char *)filename, true);
		return 0;
	}
	key = bpf_map_lookup_elem(&exec_key, &zero);
	if (!key)
		return 0;
	/* the key is compared whole: clear what a longer name left behind */
	__builtin_memset(key, 0, sizeof(*key));
	key->cgroup_id = cg;
	if (bpf_probe_read_user_str(key->path, sizeof(key->path), (const void *)filename) <= 0)
		return 0;
	rule = bpf_map_lookup_elem(&deny_exec, key);
	if (!rule)
		return 0;
	bpf_send_signal(AP_SIGKILL);
	ap_report_exec(AP_ENF_EXEC_DENY, *rule, (const char *)filename, true);
	return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int handle_execve_deny(struct trace_event_raw_sys_enter *ctx)
{
	return ap_exec_deny_enter(ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_execveat")
int handle_execveat_deny(struct trace_event_raw_sys_enter *ctx)
{
	return ap_exec_deny_enter(ctx->args[1]);
}

statfunc __u32 *ap_deny_ino_match(__u64 cg, struct file *file)
{
	struct ap_exec_ino_key key = {};

	if (!file)
		return NULL;
	key.cgroup_id = cg;
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	return bpf_map_lookup_elem(&deny_ino, &key);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec_deny_ino, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 flags = ap_cgroup_flags(cg);
	unsigned long pending_sigs;
	__u32 *rule;

	if (!(flags & AP_CG_ENFORCE))
		return 0;
	/* already killed at execve entry (and reported there) */
	pending_sigs = BPF_CORE_READ(task, pending.signal.sig[0]);
	if (pending_sigs & (1UL << (AP_SIGKILL - 1)))
		return 0;
	/* the script itself and, for #!, the interpreter that runs it */
	rule = NULL;
	if (bpf_core_field_exists(bprm->executable))
		rule = ap_deny_ino_match(cg, BPF_CORE_READ(bprm, executable));
	if (!rule)
		rule = ap_deny_ino_match(cg, BPF_CORE_READ(bprm, file));
	if (!rule)
		return 0;
	bpf_send_signal(AP_SIGKILL);
	ap_report_exec(AP_ENF_EXEC_DENY, *rule, BPF_CORE_READ(bprm, filename), false);
	return 0;
}
