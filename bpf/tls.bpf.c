// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tls.bpf.c: plaintext of SSL_write/SSL_read (and the _ex forms).
 *
 * Userspace attaches these per binary (libssl.so.3, or an executable that
 * exports SSL_write such as node) found through /proc/PID/maps. A uprobe
 * fires for every process mapping that file, so the tracked check comes
 * first. The entry saves the arguments per thread (SSL_read's buffer is
 * filled only when it returns); the return copies at most AP_TLS_MAX bytes
 * of what was actually moved and emits one record.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "maps.h"
#include "task.h"
#include "emit.h"

statfunc void ap_tls_enter(__u8 func, __u8 dir, __u64 ssl, __u64 buf, __u64 num, __u64 bytes_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ap_tls_state *st;
	__u32 zero = 0;
	void *blank;

	if (!ap_is_tracked())
		return;
	blank = bpf_map_lookup_elem(&tls_zero, &zero);
	if (!blank)
		return;
	/* a nested SSL_* call on this thread replaces the outer one */
	if (bpf_map_update_elem(&tls_pending, &id, blank, BPF_ANY))
		return;
	st = bpf_map_lookup_elem(&tls_pending, &id);
	if (!st)
		return;
	st->buf = buf;
	st->bytes_ptr = bytes_ptr;
	st->num = num > 0xffffffff ? 0xffffffff : num;
	st->func = func;
	st->direction = dir;
	st->ev.ssl = ssl;
}

SEC("uprobe")
int BPF_KPROBE(handle_ssl_write_enter, void *ssl, void *buf, int num)
{
	ap_tls_enter(AP_TLS_SSL_WRITE, AP_TLS_DIR_WRITE, (__u64)ssl, (__u64)buf, num < 0 ? 0 : num, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(handle_ssl_read_enter, void *ssl, void *buf, int num)
{
	ap_tls_enter(AP_TLS_SSL_READ, AP_TLS_DIR_READ, (__u64)ssl, (__u64)buf, num < 0 ? 0 : num, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(handle_ssl_write_ex_enter, void *ssl, void *buf, __u64 num, void *written)
{
	ap_tls_enter(AP_TLS_SSL_WRITE_EX, AP_TLS_DIR_WRITE, (__u64)ssl, (__u64)buf, num, (__u64)written);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(handle_ssl_read_ex_enter, void *ssl, void *buf, __u64 num, void *readbytes)
{
	ap_tls_enter(AP_TLS_SSL_READ_EX, AP_TLS_DIR_READ, (__u64)ssl, (__u64)buf, num, (__u64)readbytes);
	return 0;
}

/* One return probe for all four functions: the state says which one. */
SEC("uretprobe")
int BPF_KRETPROBE(handle_ssl_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ap_tls_state *st = bpf_map_lookup_elem(&tls_pending, &id);
	struct ap_tls_event *e;
	__u64 moved = 0, cap, size;

	if (!st)
		return 0;
	if (st->func == AP_TLS_SSL_WRITE_EX || st->func == AP_TLS_SSL_READ_EX) {
		/* _ex: 1 on success, the count comes back through a pointer */
		if (ret == 1 && st->bytes_ptr)
			bpf_probe_read_user(&moved, sizeof(moved), (void *)st->bytes_ptr);
	} else if (ret > 0) {
		moved = ret;
	}
	/* WANT_READ/WANT_WRITE retries of non-blocking sockets move nothing */
	if (moved == 0)
		goto out;
	e = &st->ev;
	ap_fill_current(&e->task);
	e->result = ret;
	e->requested = st->num;
	e->bytes = moved > 0xffffffff ? 0xffffffff : moved;
	e->direction = st->direction;
	e->func = st->func;
	cap = moved > AP_TLS_MAX ? AP_TLS_MAX : moved;
	if (bpf_probe_read_user(e->data, cap, (void *)st->buf))
		cap = 0;
	e->data_len = cap;
	size = offsetof(struct ap_tls_event, data) + cap;
	if (size > sizeof(*e))
		size = sizeof(*e);
	ap_header(&e->hdr, AP_EV_TLS, size);
	ap_output(e, size, AP_EV_TLS);
out:
	bpf_map_delete_elem(&tls_pending, &id);
	return 0;
}
