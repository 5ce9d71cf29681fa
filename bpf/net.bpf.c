// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * net.bpf.c: connect(2) with its destination and result.
 *
 * The sockaddr is read at sys_exit from the caller's buffer (present by
 * then); the result is what the caller saw, so a connect stopped by
 * enforce.bpf.c shows up here as -EPERM as well.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "events.h"
#include "maps.h"
#include "task.h"
#include "emit.h"

#define AP_AF_UNIX 1
#define AP_AF_INET 2
#define AP_AF_INET6 10

SEC("tp/syscalls/sys_enter_connect")
int handle_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!ap_is_tracked())
		return 0;
	ap_pending_save(AP_SYS_CONNECT, ctx, 3);
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int handle_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ap_connect_event *e;
	struct ap_pending *p;
	__u64 sa;
	__u16 family = 0, port = 0;

	if (!ap_is_tracked())
		return 0;
	p = ap_pending_get();
	if (!p)
		return 0;
	sa = p->args[1];
	e = AP_RESERVE(struct ap_connect_event, AP_EV_CONNECT);
	if (!e)
		goto out;
	ap_fill_current(&e->task);
	e->result = ctx->ret;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->unix_path[0] = 0;
	bpf_probe_read_user(&family, sizeof(family), (void *)sa);
	e->family = family;
	if (family == AP_AF_INET) {
		/* struct sockaddr_in: port at 2, address at 4 */
		bpf_probe_read_user(&port, sizeof(port), (void *)(sa + 2));
		bpf_probe_read_user(e->addr, 4, (void *)(sa + 4));
	} else if (family == AP_AF_INET6) {
		/* struct sockaddr_in6: port at 2, address at 8 */
		bpf_probe_read_user(&port, sizeof(port), (void *)(sa + 2));
		bpf_probe_read_user(e->addr, 16, (void *)(sa + 8));
	} else if (family == AP_AF_UNIX) {
		/* not _str: an abstract socket name starts with a NUL */
		bpf_probe_read_user(e->unix_path, sizeof(e->unix_path), (void *)(sa + 2));
	}
	e->port = bpf_ntohs(port);
	ap_submit(e, AP_EV_CONNECT);
out:
	ap_pending_del();
	return 0;
}
