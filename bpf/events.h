/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * events.h: the kernel/userspace contract of agentprov's sensor.
 *
 * Included by the BPF programs (after vmlinux.h) and by native/ (after
 * <linux/types.h>); src/sensor/layout.ts mirrors it and
 * test/contract/events-layout.test.ts proves both sides agree. It includes
 * nothing on purpose.
 *
 * Rules: fixed-width types only, u64 -> u32 -> u16 -> arrays after the
 * header, explicit padding, one variable tail last, a size assertion per
 * struct, and AP_EVENTS_ABI bumped on any change.
 */
#ifndef AP_EVENTS_H
#define AP_EVENTS_H

#define AP_EVENTS_ABI 1

#define AP_COMM_LEN 16
/* "cri-containerd-<64 hex>.scope" is 85 bytes: the longest runtime name. */
#define AP_CGNAME_MAX 96
#define AP_PATH_MAX 256
#define AP_UNIX_PATH_MAX 108
/* argv: at most 1 KiB of NUL-separated strings; userspace keeps 20 args. */
#define AP_ARGS_MAX 1024
#define AP_ARGC_MAX 20
/* TLS plaintext captured per SSL_* call. */
#define AP_TLS_MAX 4096
/* Per-CPU stats array length: one slot per event kind. */
#define AP_KIND_SLOTS 16

/*
 * Prefilters in .bss in front of tracked_cgroup / tracked_tgid: one bit per
 * slot, set for every tracked key. A clear bit proves "untracked" with one
 * load and no hash lookup; a set bit is confirmed in the hash map. Userspace
 * and BPF compute slots with these macros.
 */
#define AP_CG_BLOOM_LOG2 12 /* 4096 bits */
#define AP_CG_BLOOM_WORDS ((1 << AP_CG_BLOOM_LOG2) / 64)
#define AP_CG_BLOOM_SLOT(id) ((__u32)(((__u64)(id) * 0x9E3779B97F4A7C15ULL) >> (64 - AP_CG_BLOOM_LOG2)))
#define AP_TGID_BLOOM_BITS 32768 /* direct-mapped: tgid % bits */
#define AP_TGID_BLOOM_WORDS (AP_TGID_BLOOM_BITS / 64)
#define AP_TGID_BLOOM_SLOT(tgid) ((__u32)(tgid) & (AP_TGID_BLOOM_BITS - 1))

#ifdef __cplusplus
#define AP_ASSERT_SIZE(type, n) static_assert(sizeof(type) == (n), #type " size drifted")
#else
#define AP_ASSERT_SIZE(type, n) _Static_assert(sizeof(type) == (n), #type " size drifted")
#endif

/* Event kinds: explicit, never reused. Retired values stay as comments. */
enum ap_event_kind {
	AP_EV_EXEC = 1,
	AP_EV_FORK = 2,
	AP_EV_EXIT = 3,
	AP_EV_CONNECT = 4,
	AP_EV_OPEN = 5,
	AP_EV_CRED = 6,
	AP_EV_PTRACE = 7,
	AP_EV_RENAME = 8,
	AP_EV_UNLINK = 9,
	AP_EV_TLS = 10,
	AP_EV_ENFORCE = 11,
	/* 12..15 free; 16 would overflow AP_KIND_SLOTS. */
};

/* Which syscall produced a file, cred or exec event. */
enum ap_syscall {
	AP_SYS_EXECVE = 1,
	AP_SYS_EXECVEAT = 2,
	AP_SYS_OPENAT = 3,
	AP_SYS_OPENAT2 = 4,
	AP_SYS_SETUID = 5,
	AP_SYS_SETGID = 6,
	AP_SYS_SETREUID = 7,
	AP_SYS_SETREGID = 8,
	AP_SYS_SETRESUID = 9,
	AP_SYS_SETRESGID = 10,
	AP_SYS_CAPSET = 11,
	AP_SYS_RENAME = 12,
	AP_SYS_RENAMEAT = 13,
	AP_SYS_RENAMEAT2 = 14,
	AP_SYS_UNLINK = 15,
	AP_SYS_UNLINKAT = 16,
	AP_SYS_CONNECT = 17,
	AP_SYS_PTRACE = 18,
};

/* What an enforcement event says was stopped. */
enum ap_enforce_action {
	AP_ENF_CONNECT_DENY = 1,       /* destination in the cgroup's deny list */
	AP_ENF_CONNECT_QUARANTINE = 2, /* cgroup quarantined: every connect fails */
	AP_ENF_EXEC_DENY = 3,          /* binary in the cgroup's deny-exec set */
	AP_ENF_EXEC_QUARANTINE = 4,    /* cgroup quarantined: every exec is killed */
};

enum ap_tls_func {
	AP_TLS_SSL_WRITE = 1,
	AP_TLS_SSL_READ = 2,
	AP_TLS_SSL_WRITE_EX = 3,
	AP_TLS_SSL_READ_EX = 4,
};

enum ap_tls_direction {
	AP_TLS_DIR_WRITE = 0,
	AP_TLS_DIR_READ = 1,
};

/*
 * What the sensor does at once, on its ring thread, when the kernel refuses a
 * connect() through a deny entry: the top bits of the deny_v4/deny_v6 value,
 * above the rule tag. The kernel cannot kill a cgroup from a cgroup/connect
 * program; the ring thread can, without waiting for the JavaScript thread.
 */
enum ap_contain {
	AP_CONTAIN_NONE = 0,
	AP_CONTAIN_KILL = 1,   /* write cgroup.kill of the task's cgroup */
	AP_CONTAIN_FREEZE = 2, /* write 1 to cgroup.freeze; the kernel sets AP_CG_QUARANTINE at once */
};
#define AP_DENY_CONTAIN_SHIFT 24
#define AP_DENY_RULE_MASK 0x00ffffffu

/* tracked_cgroup value bits. */
enum ap_cgroup_flag {
	AP_CG_TRACK = 1,      /* emit events for tasks in this cgroup */
	AP_CG_QUARANTINE = 2, /* deny every connect and kill every exec */
	AP_CG_ENFORCE = 4,    /* consult deny_v4/deny_v6/deny_exec/deny_ino */
};

/* Bits of the track_flags global: which tracked sets are non-empty. */
enum ap_track_flag {
	AP_TRACK_CGROUPS = 1,
	AP_TRACK_TGIDS = 2,
};

struct ap_event_header {
	__u16 kind;     /* enum ap_event_kind */
	__u16 abi;      /* AP_EVENTS_ABI */
	__u32 size;     /* bytes of this record, tail included */
	__u64 ktime_ns; /* CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns) */
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_event_header, 16);

/* Who did it. Read from the task_struct, so fork/exit report the right task. */
struct ap_task {
	__u64 cgroup_id;       /* cgroup v2 id (kernfs node id = inode) */
	__u64 start_ns;        /* group leader start, CLOCK_BOOTTIME ns */
	__u64 parent_start_ns; /* real parent's group leader start, boot ns */
	__u32 tgid;            /* process id in the initial pid namespace */
	__u32 pid;             /* thread id */
	__u32 ppid;            /* real parent's tgid */
	__u32 uid;             /* real uid */
	__u32 euid;            /* effective uid */
	__u32 gid;             /* real gid */
	__u32 pid_ns;          /* inode of the task's active pid namespace */
	__u32 mnt_ns;          /* inode of the task's mount namespace */
	char comm[AP_COMM_LEN];
	/* leaf name of the task's cgroup in the cpuset hierarchy (v1): the
	 * container id under Docker's cgroupfs driver */
	char cgroup_name[AP_CGNAME_MAX];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_task, 168);

/* execve/execveat: emitted at sched_process_exec (result 0, argv of the new
 * image) or at sys_exit on failure (result < 0, argv the caller passed). */
struct ap_exec_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u64 args_total; /* bytes of argv in the image: > args_len means cut */
	__s32 result;
	__u16 syscall;      /* enum ap_syscall; 0 when unknown at exec time */
	__u16 filename_len; /* bytes in filename, NUL excluded */
	__u16 args_len;     /* bytes in args */
	__u8 pad[6];
	char filename[AP_PATH_MAX];
	char args[AP_ARGS_MAX]; /* variable tail: NUL-separated strings */
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_exec_event, 1488);

/* A new process (threads are not reported); task is the child. */
struct ap_fork_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u32 parent_tid; /* the thread that called fork/clone */
	__u32 clone_flags_lo;
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_fork_event, 192);

/* The last thread of a process exited. */
struct ap_exit_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u32 exit_code; /* wait status: (code << 8) | signal */
	__u8 pad[4];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_exit_event, 192);

struct ap_connect_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__s32 result;
	__u16 family; /* AF_INET 2, AF_INET6 10, AF_UNIX 1 */
	__u16 port;   /* host byte order */
	__u8 addr[16]; /* network order: 4 bytes for AF_INET */
	char unix_path[AP_UNIX_PATH_MAX]; /* AF_UNIX; abstract names start with NUL */
	__u8 pad[4];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_connect_event, 320);

struct ap_open_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u64 flags; /* open(2) flags; openat2 how.flags */
	__s32 result;
	__s32 dfd;
	__u32 mode;
	__u16 syscall;  /* AP_SYS_OPENAT or AP_SYS_OPENAT2 */
	__u16 path_len; /* bytes in path, NUL excluded */
	char path[AP_PATH_MAX]; /* as given: relative to dfd unless absolute */
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_open_event, 464);

/* setuid family and capset: ids before and after, and what was asked. */
struct ap_cred_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u64 old_cap_effective;
	__u64 new_cap_effective;
	__u64 old_cap_permitted;
	__u64 new_cap_permitted;
	__s32 result;
	__u32 syscall; /* enum ap_syscall */
	__u32 arg[3];  /* requested ids, (u32)-1 = unchanged; capset: 0 */
	__u32 old_uid;
	__u32 old_euid;
	__u32 old_suid;
	__u32 old_gid;
	__u32 old_egid;
	__u32 old_sgid;
	__u32 new_uid;
	__u32 new_euid;
	__u32 new_suid;
	__u32 new_gid;
	__u32 new_egid;
	__u32 new_sgid;
	__u8 pad[4];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_cred_event, 288);

struct ap_ptrace_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__s64 request;
	__s32 result;
	__u32 target_pid; /* as the caller named it (its pid namespace) */
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_ptrace_event, 200);

struct ap_rename_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__s32 result;
	__s32 old_dfd;
	__s32 new_dfd;
	__u32 flags;   /* renameat2 RENAME_* */
	__u16 syscall; /* AP_SYS_RENAME, RENAMEAT or RENAMEAT2 */
	__u16 old_len;
	__u16 new_len;
	__u8 pad[2];
	char old_path[AP_PATH_MAX];
	char new_path[AP_PATH_MAX];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_rename_event, 720);

struct ap_unlink_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__s32 result;
	__s32 dfd;
	__u32 flags;   /* unlinkat AT_REMOVEDIR */
	__u16 syscall; /* AP_SYS_UNLINK or AP_SYS_UNLINKAT */
	__u16 path_len;
	char path[AP_PATH_MAX];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_unlink_event, 456);

/* One SSL_write/SSL_read call, captured at return with its plaintext. */
struct ap_tls_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u64 ssl;       /* SSL* of the call: groups calls of one connection */
	__s32 result;    /* the function's return value */
	__u32 requested; /* num argument */
	__u32 bytes;     /* bytes moved (result, or *written / *readbytes) */
	__u16 data_len;  /* bytes captured in data (<= AP_TLS_MAX) */
	__u8 direction;  /* enum ap_tls_direction */
	__u8 func;       /* enum ap_tls_func */
	char data[AP_TLS_MAX]; /* variable tail */
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_tls_event, 4304);

/* Something the kernel stopped before it happened. */
struct ap_enforce_event {
	struct ap_event_header hdr;
	struct ap_task task;
	__u32 action; /* enum ap_enforce_action */
	__u32 rule;   /* value of the matching deny entry: rule tag | contain << AP_DENY_CONTAIN_SHIFT */
	__u16 family; /* connect: AF_INET or AF_INET6 */
	__u16 port;   /* connect: host byte order */
	__u8 addr[16];
	char path[AP_PATH_MAX]; /* exec: the denied filename */
	__u8 pad[4];
}; // All fields aligned: no 'packed'
AP_ASSERT_SIZE(struct ap_enforce_event, 472);

/* stats map value, one per kind per CPU. */
struct ap_stat {
	__u64 emitted; /* records handed to the ring buffer */
	__u64 dropped; /* reserve/output failures: the ring was full */
};
AP_ASSERT_SIZE(struct ap_stat, 16);

/* deny_v4 key: LPM over cgroup id (exact, 64 bits) then the address. */
struct ap_lpm_v4_key {
	__u32 prefixlen; /* 64 + address prefix length */
	__u8 cgroup_id[8]; /* big-endian so the trie compares it first */
	__u8 addr[4];
};
AP_ASSERT_SIZE(struct ap_lpm_v4_key, 16);

struct ap_lpm_v6_key {
	__u32 prefixlen; /* 64 + address prefix length */
	__u8 cgroup_id[8];
	__u8 addr[16];
};
AP_ASSERT_SIZE(struct ap_lpm_v6_key, 28);

/* deny_exec key: the filename exactly as passed to execve. */
struct ap_exec_path_key {
	__u64 cgroup_id;
	char path[AP_PATH_MAX]; /* NUL-padded */
};
AP_ASSERT_SIZE(struct ap_exec_path_key, 264);

/* deny_ino key: the executed file, checked at sched_process_exec so
 * relative names and symlinks cannot dodge the path check. */
struct ap_exec_ino_key {
	__u64 cgroup_id;
	__u64 ino;
	__u32 dev; /* kernel dev_t: major << 20 | minor */
	__u8 pad[4];
};
AP_ASSERT_SIZE(struct ap_exec_ino_key, 24);

#endif /* AP_EVENTS_H */
