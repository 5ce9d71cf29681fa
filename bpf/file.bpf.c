// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * file.bpf.c: openat/openat2, rename/renameat/renameat2, unlink/unlinkat.
 *
 * Arguments are saved at sys_enter and the strings read at sys_exit: by then
 * the kernel has faulted the caller's pages in, so the read does not fail on
 * a not-yet-present page, and the record carries the result.
 * rename and unlink are hooked too because glibc's rename(3) and unlink(3)
 * use those syscalls on x86_64, not the *at forms.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "maps.h"
#include "task.h"
#include "emit.h"

#define AP_AT_FDCWD -100

#define AP_ENTER(name, syscall, nargs)                                                     \
	SEC("tp/syscalls/sys_enter_" #name)                                         \
	int handle_##name##_enter(struct trace_event_raw_sys_enter *ctx)            \
	{                                                                           \
		if (!ap_is_tracked())                                               \
			return 0;                                                   \
		ap_pending_save(syscall, ctx, nargs);                                      \
		return 0;                                                           \
	}

AP_ENTER(openat, AP_SYS_OPENAT, 4)
AP_ENTER(openat2, AP_SYS_OPENAT2, 3)
AP_ENTER(rename, AP_SYS_RENAME, 2)
AP_ENTER(renameat, AP_SYS_RENAMEAT, 4)
AP_ENTER(renameat2, AP_SYS_RENAMEAT2, 5)
AP_ENTER(unlink, AP_SYS_UNLINK, 1)
AP_ENTER(unlinkat, AP_SYS_UNLINKAT, 3)

statfunc int ap_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_open_event *e;
	struct ap_pending *p;

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	e = AP_RESERVE(struct ap_open_event, AP_EV_OPEN);
	if (!e)
		goto out;
	ap_fill_current(&e->task);
	e->result = ctx->ret;
	e->syscall = p->syscall;
	e->dfd = p->args[0];
	if (p->syscall == AP_SYS_OPENAT2) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)p->args[2]);
		e->flags = how.flags;
		e->mode = how.mode;
	} else {
		e->flags = p->args[2];
		e->mode = p->args[3];
	}
	e->path_len = ap_user_str(e->path, sizeof(e->path), p->args[1]);
	ap_submit(e, AP_EV_OPEN);
out:
	ap_pending_del();
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_open_exit(ctx);
}

SEC("tp/syscalls/sys_exit_openat2")
int handle_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_open_exit(ctx);
}

statfunc int ap_rename_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_rename_event *e;
	struct ap_pending *p;
	__u64 oldp, newp;

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	e = AP_RESERVE(struct ap_rename_event, AP_EV_RENAME);
	if (!e)
		goto out;
	ap_fill_current(&e->task);
	e->result = ctx->ret;
	e->syscall = p->syscall;
	if (p->syscall == AP_SYS_RENAME) {
		/* rename(old, new) */
		e->old_dfd = AP_AT_FDCWD;
		e->new_dfd = AP_AT_FDCWD;
		e->flags = 0;
		oldp = p->args[0];
		newp = p->args[1];
	} else {
		/* renameat(olddfd, old, newdfd, new[, flags]) */
		e->old_dfd = p->args[0];
		e->new_dfd = p->args[2];
		e->flags = p->syscall == AP_SYS_RENAMEAT2 ? p->args[4] : 0;
		oldp = p->args[1];
		newp = p->args[3];
	}
	e->old_len = ap_user_str(e->old_path, sizeof(e->old_path), oldp);
	e->new_len = ap_user_str(e->new_path, sizeof(e->new_path), newp);
	ap_submit(e, AP_EV_RENAME);
out:
	ap_pending_del();
	return 0;
}

SEC("tp/syscalls/sys_exit_rename")
int handle_rename_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_rename_exit(ctx);
}

SEC("tp/syscalls/sys_exit_renameat")
int handle_renameat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_rename_exit(ctx);
}

SEC("tp/syscalls/sys_exit_renameat2")
int handle_renameat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_rename_exit(ctx);
}

statfunc int ap_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_unlink_event *e;
	struct ap_pending *p;

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	e = AP_RESERVE(struct ap_unlink_event, AP_EV_UNLINK);
	if (!e)
		goto out;
	ap_fill_current(&e->task);
	e->result = ctx->ret;
	e->syscall = p->syscall;
	if (p->syscall == AP_SYS_UNLINK) {
		e->dfd = AP_AT_FDCWD;
		e->flags = 0;
		e->path_len = ap_user_str(e->path, sizeof(e->path), p->args[0]);
	} else {
		e->dfd = p->args[0];
		e->flags = p->args[2];
		e->path_len = ap_user_str(e->path, sizeof(e->path), p->args[1]);
	}
	ap_submit(e, AP_EV_UNLINK);
out:
	ap_pending_del();
	return 0;
}

SEC("tp/syscalls/sys_exit_unlink")
int handle_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_unlink_exit(ctx);
}

SEC("tp/syscalls/sys_exit_unlinkat")
int handle_unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ap_unlink_exit(ctx);
}
