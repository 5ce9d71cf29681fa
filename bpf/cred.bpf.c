// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cred.bpf.c: the setuid family, capset and ptrace.
 *
 * Credentials are read from current->cred at sys_enter and again at
 * sys_exit, so the record says what the process had, what it asked for and
 * what it ended up with, whether or not the call succeeded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "maps.h"
#include "task.h"
#include "emit.h"

statfunc void ap_read_ids(__u32 ids[6], __u64 caps[2])
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(task, cred);

	ids[0] = BPF_CORE_READ(cred, uid.val);
	ids[1] = BPF_CORE_READ(cred, euid.val);
	ids[2] = BPF_CORE_READ(cred, suid.val);
	ids[3] = BPF_CORE_READ(cred, gid.val);
	ids[4] = BPF_CORE_READ(cred, egid.val);
	ids[5] = BPF_CORE_READ(cred, sgid.val);
	/* kernel_cap_t is u64 since 6.3 and u32[2] before: same 8 bytes */
	bpf_core_read(&caps[0], sizeof(caps[0]), &cred->cap_effective);
	bpf_core_read(&caps[1], sizeof(caps[1]), &cred->cap_permitted);
}

statfunc void ap_cred_enter(__u32 syscall, struct trace_event_raw_sys_enter *ctx, int nargs)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ap_pending p = {};

	/* the pending record also keeps the ids before the call, to report old -> new */
	ap_pending_args(&p, syscall, ctx, nargs);
	ap_read_ids(p.old_ids, p.old_caps);
	bpf_map_update_elem(&pending, &id, &p, BPF_ANY);
}

statfunc int ap_cred_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_cred_event *e;
	struct ap_pending *p;
	__u32 ids[6] = {};
	__u64 caps[2] = {};

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	e = AP_RESERVE(struct ap_cred_event, AP_EV_CRED);
	if (!e)
		goto out;
	ap_fill_current(&e->task);
	ap_read_ids(ids, caps);
	e->result = ctx->ret;
	e->syscall = p->syscall;
	if (p->syscall == AP_SYS_CAPSET) {
		e->arg[0] = 0;
		e->arg[1] = 0;
		e->arg[2] = 0;
	} else {
		e->arg[0] = p->args[0];
		e->arg[1] = p->syscall == AP_SYS_SETUID || p->syscall == AP_SYS_SETGID ? 0 : p->args[1];
		e->arg[2] = p->syscall == AP_SYS_SETRESUID || p->syscall == AP_SYS_SETRESGID ? p->args[2] : 0;
	}
	e->old_uid = p->old_ids[0];
	e->old_euid = p->old_ids[1];
	e->old_suid = p->old_ids[2];
	e->old_gid = p->old_ids[3];
	e->old_egid = p->old_ids[4];
	e->old_sgid = p->old_ids[5];
	e->new_uid = ids[0];
	e->new_euid = ids[1];
	e->new_suid = ids[2];
	e->new_gid = ids[3];
	e->new_egid = ids[4];
	e->new_sgid = ids[5];
	e->old_cap_effective = p->old_caps[0];
	e->old_cap_permitted = p->old_caps[1];
	e->new_cap_effective = caps[0];
	e->new_cap_permitted = caps[1];
	ap_submit(e, AP_EV_CRED);
out:
	ap_pending_del();
	return 0;
}

#define AP_CRED_HOOKS(name, syscall, nargs)                                                \
	SEC("tp/syscalls/sys_enter_" #name)                                         \
	int handle_##name##_enter(struct trace_event_raw_sys_enter *ctx)            \
	{                                                                           \
		if (!ap_is_tracked())                                               \
			return 0;                                                   \
		ap_cred_enter(syscall, ctx, nargs);                                        \
		return 0;                                                           \
	}                                                                           \
	SEC("tp/syscalls/sys_exit_" #name)                                          \
	int handle_##name##_exit(struct trace_event_raw_sys_exit *ctx)              \
	{                                                                           \
		return ap_cred_exit(ctx);                                           \
	}

AP_CRED_HOOKS(setuid, AP_SYS_SETUID, 1)
AP_CRED_HOOKS(setgid, AP_SYS_SETGID, 1)
AP_CRED_HOOKS(setreuid, AP_SYS_SETREUID, 2)
AP_CRED_HOOKS(setregid, AP_SYS_SETREGID, 2)
AP_CRED_HOOKS(setresuid, AP_SYS_SETRESUID, 3)
AP_CRED_HOOKS(setresgid, AP_SYS_SETRESGID, 3)
AP_CRED_HOOKS(capset, AP_SYS_CAPSET, 2)

/*
 * Only requests that take control of or change another process: a debugger
 * issues PEEK/GETREGS/SYSCALL/CONT per stop, and reporting those would flood
 * the ring without adding anything a policy could act on.
 */
statfunc bool ap_ptrace_interesting(long request)
{
	switch (request) {
	case 0:      /* PTRACE_TRACEME */
	case 4:      /* PTRACE_POKETEXT */
	case 5:      /* PTRACE_POKEDATA */
	case 6:      /* PTRACE_POKEUSER */
	case 13:     /* PTRACE_SETREGS */
	case 15:     /* PTRACE_SETFPREGS */
	case 16:     /* PTRACE_ATTACH */
	case 0x4205: /* PTRACE_SETREGSET */
	case 0x4206: /* PTRACE_SEIZE */
		return true;
	default:
		return false;
	}
}

SEC("tp/syscalls/sys_enter_ptrace")
int handle_ptrace_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!ap_is_tracked())
		return 0;
	if (!ap_ptrace_interesting(ctx->args[0]))
		return 0;
	ap_pending_save(AP_SYS_PTRACE, ctx, 2);
	return 0;
}

SEC("tp/syscalls/sys_exit_ptrace")
int handle_ptrace_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_ptrace_event *e;
	struct ap_pending *p;

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	e = AP_RESERVE(struct ap_ptrace_event, AP_EV_PTRACE);
	if (e) {
		ap_fill_current(&e->task);
		e->request = p->args[0];
		e->target_pid = p->args[1];
		e->result = ctx->ret;
		ap_submit(e, AP_EV_PTRACE);
	}
	ap_pending_del();
	return 0;
}
