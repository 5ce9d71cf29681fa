// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * process.bpf.c: exec, fork and exit.
 *
 * A successful exec is reported at sched_process_exec, after the point of
 * no return, so filename and argv are those of the image that runs (argv is
 * read from the new mm, not from the caller's pointers, which a racing
 * thread could rewrite). A failed exec is reported at sys_exit with the
 * caller's argv, which is still mapped because the old image survived.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "maps.h"
#include "task.h"
#include "emit.h"

statfunc struct ap_exec_event *ap_exec_scratch(void)
{
	__u32 zero = 0;
	struct ap_scratch *s = bpf_map_lookup_elem(&scratch, &zero);

	if (!s)
		return NULL;
	/* the record is reused per CPU: clear what a shorter one would leave */
	__builtin_memset(&s->exec, 0, offsetof(struct ap_exec_event, filename));
	return &s->exec;
}

statfunc void ap_exec_output(struct ap_exec_event *e)
{
	/* a fresh load, so clang cannot size the output from an unclamped
	 * register copy of args_len that the verifier cannot bound */
	__u64 len = *(volatile __u16 *)&e->args_len, size;

	if (len > AP_ARGS_MAX)
		len = AP_ARGS_MAX;
	barrier_var(len);
	size = offsetof(struct ap_exec_event, args) + len;
	e->hdr.size = size;
	ap_output(e, size, AP_EV_EXEC);
}

SEC("tp/syscalls/sys_enter_execve")
int handle_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!ap_is_tracked())
		return 0;
	ap_pending_save(AP_SYS_EXECVE, ctx, 2);
	return 0;
}

SEC("tp/syscalls/sys_enter_execveat")
int handle_execveat_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!ap_is_tracked())
		return 0;
	ap_pending_save(AP_SYS_EXECVEAT, ctx, 3);
	return 0;
}

/* Copy the caller's argv (a user array of user strings) into e->args. */
statfunc void ap_read_user_argv(struct ap_exec_event *e, __u64 argv)
{
	__u32 off = 0;
	int i;

	for (i = 0; i < AP_ARGC_MAX; i++) {
		__u64 ptr = 0;
		long n;

		if (bpf_probe_read_user(&ptr, sizeof(ptr), (void *)(argv + i * 8)) || !ptr)
			break;
		if (off >= AP_ARGS_MAX)
			break;
		/* a constant size: the scratch slack after args absorbs a string
		 * that runs past AP_ARGS_MAX, and args_len is clamped below */
		n = bpf_probe_read_user_str(&e->args[off & (AP_ARGS_MAX - 1)], AP_ARGS_MAX, (void *)ptr);
		if (n <= 0)
			break;
		off += n;
	}
	if (off > AP_ARGS_MAX)
		off = AP_ARGS_MAX;
	e->args_len = off;
	e->args_total = off;
}

statfunc int ap_exec_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_pending *p;
	struct ap_exec_event *e;
	long ret = ctx->ret;
	__u64 filename, argv;
	__u32 syscall;

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	syscall = p->syscall;
	filename = syscall == AP_SYS_EXECVEAT ? p->args[1] : p->args[0];
	argv = syscall == AP_SYS_EXECVEAT ? p->args[2] : p->args[1];
	ap_pending_del();
	/* success was already reported at sched_process_exec */
	if (ret >= 0)
		return 0;
	e = ap_exec_scratch();
	if (!e)
		return 0;
	ap_header(&e->hdr, AP_EV_EXEC, 0);
	ap_fill_current(&e->task);
	e->result = ret;
	e->syscall = syscall;
	e->filename_len = ap_user_str(e->filename, sizeof(e->filename), filename);
	ap_read_user_argv(e, argv);
	ap_exec_output(e);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int handle_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_exec_exit(ctx);
}

SEC("tp/syscalls/sys_exit_execveat")
int handle_execveat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_exec_exit(ctx);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ap_exec_event *e;
	struct ap_pending *p;
	__u64 start, end, len;

	if (!ap_is_tracked())
		return 0;
	e = ap_exec_scratch();
	if (!e)
		return 0;
	ap_header(&e->hdr, AP_EV_EXEC, 0);
	ap_fill_task(&e->task, task);
	p = ap_pending_get();
	e->syscall = p ? p->syscall : 0;
	e->result = 0;
	e->filename_len = 0;
	{
		long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
						   BPF_CORE_READ(bprm, filename));
		e->filename_len = n > 0 ? n - 1 : 0;
	}
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	e->args_total = len;
	if (len > AP_ARGS_MAX)
		len = AP_ARGS_MAX;
	/* the new image's argv pages were just written by exec: present */
	if (len && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
	else
		e->args_len = 0;
	ap_exec_output(e);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ap_fork_event *e;
	__u32 parent_tgid, child_tgid, one = 1;

	if (!ap_is_tracked())
		return 0;
	child_tgid = BPF_CORE_READ(child, tgid);
	/* threads share the process: only new processes are reported */
	if (BPF_CORE_READ(child, pid) != child_tgid)
		return 0;
	parent_tgid = BPF_CORE_READ(parent, tgid);
	/* tracked by pid: the child inherits, so a forked helper is seen too */
	if ((track_flags & AP_TRACK_TGIDS) && bpf_map_lookup_elem(&tracked_tgid, &parent_tgid)) {
		__u32 slot = AP_TGID_BLOOM_SLOT(child_tgid);

		bpf_map_update_elem(&tracked_tgid, &child_tgid, &one, BPF_ANY);
		/* only ever set here; a stale bit costs one lookup, never an event */
		__sync_fetch_and_or(&tgid_bloom[slot / 64], 1ULL << (slot % 64));
	}
	e = AP_RESERVE(struct ap_fork_event, AP_EV_FORK);
	if (!e)
		return 0;
	ap_fill_task(&e->task, child);
	e->parent_tid = BPF_CORE_READ(parent, pid);
	e->clone_flags_lo = 0;
	ap_submit(e, AP_EV_FORK);
	return 0;
}

/*
 * sched_process_exit fires for every thread; signal->live reaches 0 on the
 * last one (as Tetragon checks in acct_process), so a process is reported
 * once, with the exit status the parent will see.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_exit, struct task_struct *task)
{
	struct ap_exit_event *e;
	__u32 tgid;

	if (!ap_is_tracked())
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	e = AP_RESERVE(struct ap_exit_event, AP_EV_EXIT);
	if (e) {
		ap_fill_task(&e->task, task);
		e->exit_code = BPF_CORE_READ(task, exit_code);
		ap_submit(e, AP_EV_EXIT);
	}
	/* the tgid may be reused by an unrelated process: stop tracking it */
	if (track_flags & AP_TRACK_TGIDS)
		bpf_map_delete_elem(&tracked_tgid, &tgid);
	return 0;
}
