/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * maps.h: every map and global of the sensor, declared once.
 *
 * maps.bpf.c defines them; every other .bpf.c sees them as extern and
 * libbpf's static linker (bpftool gen object) resolves the externs against
 * the one definition, checking that the definitions match.
 * Map names stay within the kernel's 15 characters.
 */
#ifndef AP_MAPS_H
#define AP_MAPS_H

#define AP_PENDING_MAX 16384
#define AP_TLS_INFLIGHT_MAX 2048

/* A syscall between its enter and exit tracepoints, per thread. */
struct ap_pending {
	__u64 args[6];      /* the raw syscall arguments */
	__u64 old_caps[2];  /* cred syscalls: effective, permitted */
	__u32 old_ids[6];   /* cred syscalls: uid euid suid gid egid sgid */
	__u32 syscall;      /* enum ap_syscall */
	__u32 pad;
};

/* One SSL_* call in flight on a thread, with the event it will become:
 * uprobe programs may be preempted, so a per-CPU scratch is not safe here. */
struct ap_tls_state {
	__u64 buf;       /* plaintext buffer argument */
	__u64 bytes_ptr; /* _ex forms: size_t *written / *readbytes */
	__u32 num;       /* requested length */
	__u8 func;       /* enum ap_tls_func */
	__u8 direction;  /* enum ap_tls_direction */
	__u8 pad[2];
	struct ap_tls_event ev;
};

/* Per-CPU workspace for variable-size records built before output. The
 * slack after the event lets the verifier prove argv copies stay inside. */
struct ap_scratch {
	struct ap_exec_event exec;
	char slack[AP_ARGS_MAX];
};

/* events: ring buffer to userspace; size set by userspace before load. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} ap_events_map;

/* stats: kind -> {emitted, dropped} per CPU; written by every program. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AP_KIND_SLOTS);
	__type(key, __u32);
	__type(value, struct ap_stat);
} ap_stats_map;

/* tracked_cgroup: cgroup v2 id -> AP_CG_* flags; written by userspace. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} ap_tracked_cgroup_map;

/* tracked_tgid: tgid -> 1; userspace adds, fork inherits, exit removes. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} ap_tracked_tgid_map;

/* pending: pid_tgid -> syscall args between enter and exit; LRU so that
 * threads killed mid-syscall cannot fill it. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AP_PENDING_MAX);
	__type(key, __u64);
	__type(value, struct ap_pending);
} ap_pending_map;

/* tls_pending: pid_tgid -> SSL call state + event; allocated on use. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AP_TLS_INFLIGHT_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct ap_tls_state);
} ap_tls_pending_map;

/* tls_zero: one zeroed ap_tls_state, the source for new tls_pending entries
 * (4 KiB does not fit the 512-byte stack). Never written. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ap_tls_state);
} ap_tls_zero_map;

/* scratch: per-CPU workspace for exec records (programs that cannot be
 * preempted: raw tracepoints and syscall tracepoints). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ap_scratch);
} ap_scratch_map;

/* deny_v4 / deny_v6: {cgroup, prefix} -> rule tag | ap_contain << AP_DENY_CONTAIN_SHIFT; userspace. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ap_lpm_v4_key);
	__type(value, __u32);
} ap_deny_v4_map;

typedef struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ap_lpm_v6_key);
	__type(value, __u32);
} ap_deny_v6_map;

/* deny_exec: {cgroup, filename as passed} -> rule tag; userspace. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ap_exec_path_key);
	__type(value, __u32);
} ap_deny_exec_map;

/* deny_ino: {cgroup, dev, inode} of a denied binary -> rule tag; userspace. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ap_exec_ino_key);
	__type(value, __u32);
} ap_deny_ino_map;

/* exec_key: per-CPU buffer for building a deny_exec key off the stack. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ap_exec_path_key);
} ap_exec_key_map;

extern ap_events_map events SEC(".maps");
extern ap_stats_map stats SEC(".maps");
extern ap_tracked_cgroup_map tracked_cgroup SEC(".maps");
extern ap_tracked_tgid_map tracked_tgid SEC(".maps");
extern ap_pending_map pending SEC(".maps");
extern ap_tls_pending_map tls_pending SEC(".maps");
extern ap_tls_zero_map tls_zero SEC(".maps");
extern ap_scratch_map scratch SEC(".maps");
extern ap_deny_v4_map deny_v4 SEC(".maps");
extern ap_deny_v6_map deny_v6 SEC(".maps");
extern ap_deny_exec_map deny_exec SEC(".maps");
extern ap_deny_ino_map deny_ino SEC(".maps");
extern ap_exec_key_map exec_key SEC(".maps");

/* Set before load (rodata): trace every process but our own. */
extern const volatile __u8 trace_all;
extern const volatile __u32 self_tgid;
/* Set before load (rodata): bytes waiting in the ring before the reader is woken. */
extern const volatile __u64 wakeup_bytes;
/* Written by userspace at run time (bss): which tracked sets are non-empty,
 * so an empty set costs no lookup. */
extern volatile __u32 track_flags;
/* Written by userspace once, at stop (bss): every program does nothing from then
 * on, while its links are released by a reaper process (host/link-reaper). */
extern volatile __u32 quiesced;
/* Prefilters (AP_*_BLOOM_* in events.h): userspace sets cgroup bits, fork sets
 * tgid bits; a clear bit means untracked. */
extern volatile __u64 cgroup_bloom[AP_CG_BLOOM_WORDS];
extern volatile __u64 tgid_bloom[AP_TGID_BLOOM_WORDS];

#endif /* AP_MAPS_H */
