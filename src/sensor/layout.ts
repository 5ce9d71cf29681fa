/**
 * @module sensor/layout: the TypeScript mirror of bpf/events.h — constants, kinds and the byte offset of every
 * field. decode.ts reads records only through this table; test/contract/events-layout.test.ts proves it equal to
 * the C++ compiler's sizeof/offsetof (native/layout.cc), so a drift in the header fails a test, not a decode.
 */

export const EVENTS_ABI = 1;

export const LIMITS = {
  AP_COMM_LEN: 16,
  AP_CGNAME_MAX: 96,
  AP_PATH_MAX: 256,
  AP_UNIX_PATH_MAX: 108,
  AP_ARGS_MAX: 1024,
  AP_ARGC_MAX: 20,
  AP_TLS_MAX: 4096,
  AP_KIND_SLOTS: 16,
} as const;

/** enum ap_event_kind: explicit and never reused. */
export const EventKind = {
  EXEC: 1,
  FORK: 2,
  EXIT: 3,
  CONNECT: 4,
  OPEN: 5,
  CRED: 6,
  PTRACE: 7,
  RENAME: 8,
  UNLINK: 9,
  TLS: 10,
  ENFORCE: 11,
} as const;
export type EventKindName = keyof typeof EventKind;

/** enum ap_syscall -> the name written into RuntimeEvent.syscall. */
export const SYSCALL_NAMES: Readonly<Record<number, string>> = {
  1: 'execve',
  2: 'execveat',
  3: 'openat',
  4: 'openat2',
  5: 'setuid',
  6: 'setgid',
  7: 'setreuid',
  8: 'setregid',
  9: 'setresuid',
  10: 'setresgid',
  11: 'capset',
  12: 'rename',
  13: 'renameat',
  14: 'renameat2',
  15: 'unlink',
  16: 'unlinkat',
  17: 'connect',
  18: 'ptrace',
};

/** enum ap_enforce_action -> RuntimeEvent.enforcement_action. */
export const ENFORCE_ACTIONS: Readonly<Record<number, string>> = {
  1: 'connect_denied',
  2: 'connect_quarantined',
  3: 'exec_killed',
  4: 'exec_quarantined',
};

export const TLS_FUNCS: Readonly<Record<number, string>> = {
  1: 'SSL_write',
  2: 'SSL_read',
  3: 'SSL_write_ex',
  4: 'SSL_read_ex',
};

/** tracked_cgroup value bits and track_flags bits. */
export const CgroupFlag = { TRACK: 1, QUARANTINE: 2, ENFORCE: 4 } as const;
export const TrackFlag = { CGROUPS: 1, TGIDS: 2 } as const;

/** enum ap_contain: what the ring thread does when a deny entry refuses a connect (top bits of the entry). */
export const Contain = { KILL: 1, FREEZE: 2 } as const;
export const DENY_CONTAIN_SHIFT = 24;
export const DENY_RULE_MASK = 0x00ffffff;

export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

/** sizeof and offsetof, exactly as in bpf/events.h (checked by the contract test). */
export const LAYOUT = {
  ap_event_header: {
    size: 16,
    fields: { kind: 0, abi: 2, size: 4, ktime_ns: 8 },
  },
  ap_task: {
    size: 168,
    fields: {
      cgroup_id: 0,
      start_ns: 8,
      parent_start_ns: 16,
      tgid: 24,
      pid: 28,
      ppid: 32,
      uid: 36,
      euid: 40,
      gid: 44,
      pid_ns: 48,
      mnt_ns: 52,
      comm: 56,
      cgroup_name: 72,
    },
  },
  ap_exec_event: {
    size: 1488,
    fields: { task: 16, args_total: 184, result: 192, syscall: 196, filename_len: 198, args_len: 200, filename: 208, args: 464 },
  },
  ap_fork_event: {
    size: 192,
    fields: { task: 16, parent_tid: 184, clone_flags_lo: 188 },
  },
  ap_exit_event: {
    size: 192,
    fields: { task: 16, exit_code: 184 },
  },
  ap_connect_event: {
    size: 320,
    fields: { task: 16, result: 184, family: 188, port: 190, addr: 192, unix_path: 208 },
  },
  ap_open_event: {
    size: 464,
    fields: { task: 16, flags: 184, result: 192, dfd: 196, mode: 200, syscall: 204, path_len: 206, path: 208 },
  },
  ap_cred_event: {
    size: 288,
    fields: {
      task: 16,
      old_cap_effective: 184,
      new_cap_effective: 192,
      old_cap_permitted: 200,
      new_cap_permitted: 208,
      result: 216,
      syscall: 220,
      arg: 224,
      old_uid: 236,
      old_euid: 240,
      old_suid: 244,
      old_gid: 248,
      old_egid: 252,
      old_sgid: 256,
      new_uid: 260,
      new_euid: 264,
      new_suid: 268,
      new_gid: 272,
      new_egid: 276,
      new_sgid: 280,
    },
  },
  ap_ptrace_event: {
    size: 200,
    fields: { task: 16, request: 184, result: 192, target_pid: 196 },
  },
  ap_rename_event: {
    size: 720,
    fields: {
      task: 16,
      result: 184,
      old_dfd: 188,
      new_dfd: 192,
      flags: 196,
      syscall: 200,
      old_len: 202,
      new_len: 204,
      old_path: 208,
      new_path: 464,
    },
  },
  ap_unlink_event: {
    size: 456,
    fields: { task: 16, result: 184, dfd: 188, flags: 192, syscall: 196, path_len: 198, path: 200 },
  },
  ap_tls_event: {
    size: 4304,
    fields: { task: 16, ssl: 184, result: 192, requested: 196, bytes: 200, data_len: 204, direction: 206, func: 207, data: 208 },
  },
  ap_enforce_event: {
    size: 472,
    fields: { task: 16, action: 184, rule: 188, family: 192, port: 194, addr: 196, path: 212 },
  },
  ap_stat: {
    size: 16,
    fields: { emitted: 0, dropped: 8 },
  },
} as const satisfies Record<string, StructLayout>;

export type StructName = keyof typeof LAYOUT;

/** Which struct a kind's records use, and the smallest record that is still whole (variable tails may be cut). */
export const KIND_STRUCT: Readonly<Record<number, { struct: StructName; minSize: number }>> = {
  [EventKind.EXEC]: { struct: 'ap_exec_event', minSize: LAYOUT.ap_exec_event.fields.args },
  [EventKind.FORK]: { struct: 'ap_fork_event', minSize: LAYOUT.ap_fork_event.size },
  [EventKind.EXIT]: { struct: 'ap_exit_event', minSize: LAYOUT.ap_exit_event.size },
  [EventKind.CONNECT]: { struct: 'ap_connect_event', minSize: LAYOUT.ap_connect_event.size },
  [EventKind.OPEN]: { struct: 'ap_open_event', minSize: LAYOUT.ap_open_event.size },
  [EventKind.CRED]: { struct: 'ap_cred_event', minSize: LAYOUT.ap_cred_event.size },
  [EventKind.PTRACE]: { struct: 'ap_ptrace_event', minSize: LAYOUT.ap_ptrace_event.size },
  [EventKind.RENAME]: { struct: 'ap_rename_event', minSize: LAYOUT.ap_rename_event.size },
  [EventKind.UNLINK]: { struct: 'ap_unlink_event', minSize: LAYOUT.ap_unlink_event.size },
  [EventKind.TLS]: { struct: 'ap_tls_event', minSize: LAYOUT.ap_tls_event.fields.data },
  [EventKind.ENFORCE]: { struct: 'ap_enforce_event', minSize: LAYOUT.ap_enforce_event.size },
};
