/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * emit.h: getting records into the ring buffer, and counting every record
 * that did not make it (stats[kind].dropped), never dropping silently.
 */
#ifndef AP_EMIT_H
#define AP_EMIT_H

statfunc void ap_count(__u32 kind, bool sent)
{
	struct ap_stat *s = bpf_map_lookup_elem(&stats, &kind);

	if (!s)
		return;
	/* atomic: some program types run preemptible on the same CPU */
	if (sent)
		__sync_fetch_and_add(&s->emitted, 1);
	else
		__sync_fetch_and_add(&s->dropped, 1);
}

/* Reserve a fixed-size record and fill its header; NULL (counted) if full. */
#define AP_RESERVE(type, kind_)                                                    \
	({                                                                         \
		type *__e = bpf_ringbuf_reserve(&events, sizeof(type), 0);         \
		if (__e) {                                                         \
			__e->hdr.kind = (kind_);                                   \
			__e->hdr.abi = AP_EVENTS_ABI;                              \
			__e->hdr.size = sizeof(type);                              \
			__e->hdr.ktime_ns = bpf_ktime_get_boot_ns();               \
		} else {                                                           \
			ap_count((kind_), false);                                  \
		}                                                                  \
		__e;                                                               \
	})

/*
 * Wake the reader only once wakeup_bytes are waiting: a wakeup per record
 * costs the traced task an irq_work and the reader a context switch per event.
 * The reader polls with a short timeout, so a quiet ring is still read
 * within that timeout.
 */
statfunc __u64 ap_wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									      : BPF_RB_NO_WAKEUP;
}

statfunc void ap_submit(void *e, __u32 kind)
{
	bpf_ringbuf_submit(e, ap_wakeup_flags());
	ap_count(kind, true);
}

/* Records someone waits on (enforcement): wake the reader now. */
statfunc void ap_submit_now(void *e, __u32 kind)
{
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	ap_count(kind, true);
}

statfunc void ap_header(struct ap_event_header *h, __u32 kind, __u32 size)
{
	h->kind = kind;
	h->abi = AP_EVENTS_ABI;
	h->size = size;
	h->ktime_ns = bpf_ktime_get_boot_ns();
}

/* Copy a variable-size record built elsewhere; size was bounded by caller. */
statfunc void ap_output(void *e, __u64 size, __u32 kind)
{
	ap_count(kind, bpf_ringbuf_output(&events, e, size, ap_wakeup_flags()) == 0);
}

/* Pending syscall state, keyed by thread. */
statfunc struct ap_pending *ap_pending_get(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&pending, &id);
}

statfunc void ap_pending_del(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&pending, &id);
}

/*
 * Keep the first nargs syscall arguments. A syscall tracepoint's record
 * holds only that syscall's arguments: reading past them makes the attach
 * fail with EACCES (max_ctx_offset), so each caller states its count.
 */
statfunc void ap_pending_args(struct ap_pending *p, __u32 syscall, struct trace_event_raw_sys_enter *ctx,
			     int nargs)
{
	p->syscall = syscall;
	/* direct ctx loads: the verifier rewrites them, no probe read needed */
	if (nargs > 0)
		p->args[0] = ctx->args[0];
	if (nargs > 1)
		p->args[1] = ctx->args[1];
	if (nargs > 2)
		p->args[2] = ctx->args[2];
	if (nargs > 3)
		p->args[3] = ctx->args[3];
	if (nargs > 4)
		p->args[4] = ctx->args[4];
}

statfunc void ap_pending_save(__u32 syscall, struct trace_event_raw_sys_enter *ctx, int nargs)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ap_pending p = {};

	ap_pending_args(&p, syscall, ctx, nargs);
	bpf_map_update_elem(&pending, &id, &p, BPF_ANY);
}

/* Read a user string into a fixed field; returns bytes without the NUL. */
statfunc __u16 ap_user_str(char *dst, __u32 size, __u64 src)
{
	long n;

	if (!src)
		return 0;
	n = bpf_probe_read_user_str(dst, size, (const void *)src);
	return n > 0 ? (__u16)(n - 1) : 0;
}

#endif /* AP_EMIT_H */
