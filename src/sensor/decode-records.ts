/**
 * @module sensor/decode-records: one mapper per event kind, from a length-checked record to RuntimeEventInput.
 * Called only by decode.ts, which has already checked the record's ABI, kind and size.
 */
import type { RuntimeEventInput } from '../model/index.js';
import type { DecodeContext, RecordView } from './decode.js';
import { ENFORCE_ACTIONS, EventKind, LAYOUT, LIMITS, SYSCALL_NAMES, TLS_FUNCS } from './layout.js';
import { parseTlsPayload } from './tls.js';
import { containerIdFromCgroupName, formatIp } from './event-fields.js';
import { openFlagNames } from '../model/index.js';

type Fields = Record<string, number>;
const T = LAYOUT.ap_task.fields;
const AT_FDCWD = -100;

// cgroup ids and v1 names repeat across events: convert each once
const cgroupIdText = new Map<number, string>();
const containerIds = new Map<string, string | null>();

function cachedCgroupId(n: number): string {
  let text = cgroupIdText.get(n);
  if (text === undefined) {
    if (cgroupIdText.size > 4096) cgroupIdText.clear();
    text = String(n);
    cgroupIdText.set(n, text);
  }
  return text;
}

function cachedContainerId(name: string): string | null {
  let id = containerIds.get(name);
  if (id === undefined) {
    if (containerIds.size > 4096) containerIds.clear();
    id = containerIdFromCgroupName(name);
    containerIds.set(name, id);
  }
  return id;
}

/** The common part of every event, from struct ap_task at `taskOff`, built as one object literal. */
function base(type: RuntimeEventInput['type'], rec: RecordView, f: Fields, timeNs: bigint, ctx: DecodeContext): RuntimeEventInput {
  const t = f['task'] ?? 16;
  const cgroupId = cachedCgroupId(rec.u64Number(t + T.cgroup_id));
  const cgroupName = rec.cstr(t + T.cgroup_name, LIMITS.AP_CGNAME_MAX);
  const tgid = rec.u32(t + T.tgid);
  const tid = rec.u32(t + T.pid);
  const start = rec.u64(t + T.start_ns);
  const parentStart = rec.u64(t + T.parent_start_ns);
  const e: RuntimeEventInput = {
    type,
    source: 'agentprov_ebpf',
    host: ctx.host,
    time_ns: timeNs,
    // pid is the process (the kernel's tgid): what ps shows and what keys a process with its start time
    pid: tgid,
    tgid,
    ppid: rec.u32(t + T.ppid),
    uid: rec.u32(t + T.uid),
    euid: rec.u32(t + T.euid),
    gid: rec.u32(t + T.gid),
    comm: rec.cstr(t + T.comm, LIMITS.AP_COMM_LEN),
    cgroup_id: cgroupId,
    container_id: cachedContainerId(cgroupName),
    pid_ns: rec.u32(t + T.pid_ns),
    mnt_ns: rec.u32(t + T.mnt_ns),
    process_start_ns: start === 0n ? null : start + ctx.bootOffsetNs,
    parent_start_ns: parentStart === 0n ? null : parentStart + ctx.bootOffsetNs,
  };
  const path = ctx.cgroupPath?.(cgroupId);
  if (path !== undefined) e.cgroup_path = path;
  if (tid !== tgid) addLabels(e, { tid: String(tid) });
  if (cgroupName !== '' && cgroupName !== '/') addLabels(e, { cgroup_v1_name: cgroupName });
  return e;
}

function addLabels(e: RuntimeEventInput, labels: Record<string, string>): void {
  if (e.labels === undefined) e.labels = labels;
  else Object.assign(e.labels, labels);
}

function splitArgs(bytes: Uint8Array, decode: (b: Uint8Array) => string): { argv: string[]; cut: boolean } {
  const argv: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length && argv.length < LIMITS.AP_ARGC_MAX; i++) {
    if (bytes[i] === 0) {
      argv.push(decode(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  // a last string without its NUL was cut by the 1 KiB limit
  const partial = start < bytes.length && argv.length < LIMITS.AP_ARGC_MAX;
  if (partial) argv.push(decode(bytes.subarray(start)));
  return { argv, cut: partial || (argv.length === LIMITS.AP_ARGC_MAX && start < bytes.length) };
}

function exec(rec: RecordView, t: bigint, ctx: DecodeContext, utf8: (b: Uint8Array) => string): RuntimeEventInput {
  const f = LAYOUT.ap_exec_event.fields;
  const e = base('process_exec', rec, f, t, ctx);
  const filename = rec.cstr(f.filename, LIMITS.AP_PATH_MAX);
  const argsLen = rec.u16(f.args_len);
  const { argv, cut } = splitArgs(rec.bytes(f.args, argsLen), utf8);
  e.exe = filename;
  e.path = filename;
  e.argv = argv;
  e.result = rec.s32(f.result);
  e.syscall = SYSCALL_NAMES[rec.u16(f.syscall)] ?? null;
  if (cut || rec.u64(f.args_total) > BigInt(argsLen)) addLabels(e, { argv_truncated: 'true' });
  return e;
}

function connect(rec: RecordView, t: bigint, ctx: DecodeContext): RuntimeEventInput {
  const f = LAYOUT.ap_connect_event.fields;
  const e = base('network_connect', rec, f, t, ctx);
  const family = rec.u16(f.family);
  e.result = rec.s32(f.result);
  e.syscall = 'connect';
  if (family === 2 || family === 10) {
    e.family = family === 2 ? 'inet' : 'inet6';
    e.dst_ip = formatIp(rec.bytes(f.addr, family === 2 ? 4 : 16));
    e.dst_port = rec.u16(f.port);
  } else if (family === 1) {
    e.family = 'unix';
    const raw = rec.bytes(f.unix_path, LIMITS.AP_UNIX_PATH_MAX);
    // an abstract socket's name starts with NUL; show it as @name like ss(8)
    const abstract = raw[0] === 0;
    const body = abstract ? raw.subarray(1) : raw;
    const nul = body.indexOf(0);
    const name = Buffer.from(nul >= 0 ? body.subarray(0, nul) : body).toString('utf8');
    e.path = abstract ? `@${name}` : name;
  } else {
    addLabels(e, { family: String(family) });
  }
  return e;
}

function open(rec: RecordView, t: bigint, ctx: DecodeContext): RuntimeEventInput {
  const f = LAYOUT.ap_open_event.fields;
  const e = base('file_open', rec, f, t, ctx);
  const flags = Number(rec.u64(f.flags) & 0xffffffffn);
  const dfd = rec.s32(f.dfd);
  e.path = rec.cstr(f.path, LIMITS.AP_PATH_MAX);
  e.open_flags = openFlagNames(flags);
  e.result = rec.s32(f.result);
  e.syscall = SYSCALL_NAMES[rec.u16(f.syscall)] ?? null;
  if (dfd !== AT_FDCWD && !e.path.startsWith('/')) addLabels(e, { dfd: String(dfd) });
  return e;
}

function cred(rec: RecordView, t: bigint, ctx: DecodeContext): RuntimeEventInput {
  const f = LAYOUT.ap_cred_event.fields;
  const e = base('privilege_change', rec, f, t, ctx);
  const syscall = SYSCALL_NAMES[rec.u32(f.syscall)] ?? null;
  e.syscall = syscall;
  e.result = rec.s32(f.result);
  e.old_uid = rec.u32(f.old_uid);
  e.new_uid = rec.u32(f.new_uid);
  e.old_euid = rec.u32(f.old_euid);
  e.new_euid = rec.u32(f.new_euid);
  e.old_gid = rec.u32(f.old_gid);
  e.new_gid = rec.u32(f.new_gid);
  const argc = syscall === 'setuid' || syscall === 'setgid' ? 1 : syscall === 'setresuid' || syscall === 'setresgid' ? 3 : 2;
  const labels: Record<string, string> = {};
  if (syscall === 'capset') {
    const hex = (v: bigint) => `0x${v.toString(16)}`;
    labels['old_cap_effective'] = hex(rec.u64(f.old_cap_effective));
    labels['new_cap_effective'] = hex(rec.u64(f.new_cap_effective));
    labels['old_cap_permitted'] = hex(rec.u64(f.old_cap_permitted));
    labels['new_cap_permitted'] = hex(rec.u64(f.new_cap_permitted));
  } else {
    // (u32)-1 means "leave unchanged" in setre*/setres*: show it as -1
    labels['requested'] = Array.from({ length: argc }, (_, i) => String(rec.s32(f.arg + 4 * i))).join(',');
  }
  addLabels(e, labels);
  return e;
}

function tls(rec: RecordView, t: bigint, ctx: DecodeContext): RuntimeEventInput {
  const f = LAYOUT.ap_tls_event.fields;
  const e = base('tls_request', rec, f, t, ctx);
  const dataLen = Math.min(rec.u16(f.data_len), LIMITS.AP_TLS_MAX);
  const info = parseTlsPayload(rec.bytes(f.data, dataLen));
  const direction = rec.u8(f.direction) === 1 ? 'read' : 'write';
  e.result = rec.s32(f.result);
  e.tls = {
    direction,
    bytes: rec.u32(f.bytes),
    http2: info.http2,
    redacted: info.redacted,
    ...(info.method !== undefined ? { method: info.method } : {}),
    ...(info.host !== undefined ? { host: info.host } : {}),
    ...(info.path !== undefined ? { path: info.path } : {}),
    ...(info.content_type !== undefined ? { content_type: info.content_type } : {}),
  };
  const labels: Record<string, string> = {
    tls_func: TLS_FUNCS[rec.u8(f.func)] ?? 'unknown',
    ssl: `0x${rec.u64(f.ssl).toString(16)}`,
    http_kind: info.kind,
  };
  if (info.status !== undefined) labels['http_status'] = String(info.status);
  if (info.user_agent !== undefined) labels['user_agent'] = info.user_agent;
  if (dataLen < rec.u32(f.bytes)) labels['captured_bytes'] = String(dataLen);
  addLabels(e, labels);
  return e;
}

function enforce(rec: RecordView, t: bigint, ctx: DecodeContext): RuntimeEventInput {
  const f = LAYOUT.ap_enforce_event.fields;
  const e = base('enforcement', rec, f, t, ctx);
  const action = rec.u32(f.action);
  const rule = rec.u32(f.rule);
  e.enforcement_action = ENFORCE_ACTIONS[action] ?? `unknown_${action}`;
  if (action === 1 || action === 2) {
    const family = rec.u16(f.family);
    e.family = family === 10 ? 'inet6' : 'inet';
    e.dst_ip = formatIp(rec.bytes(f.addr, family === 10 ? 16 : 4));
    e.dst_port = rec.u16(f.port);
    e.enforcement_reason = action === 1 ? `destination in the cgroup's deny list (rule ${rule})` : 'cgroup quarantined';
    e.result = -1; // EPERM, as the caller saw it
  } else {
    e.path = rec.cstr(f.path, LIMITS.AP_PATH_MAX);
    e.exe = e.path;
    e.signal = 9;
    e.enforcement_reason = action === 3 ? `binary in the cgroup's deny-exec set (rule ${rule})` : 'cgroup quarantined';
  }
  return e;
}

/** Maps a checked record of `kind` to an event; null only for kinds that carry nothing to report. */
export function decodeKind(kind: number, rec: RecordView, t: bigint, ctx: DecodeContext, utf8?: (b: Uint8Array) => string): RuntimeEventInput | null {
  const decode = utf8 ?? ((b: Uint8Array) => Buffer.from(b).toString('utf8'));
  switch (kind) {
    case EventKind.EXEC:
      return exec(rec, t, ctx, decode);
    case EventKind.FORK: {
      const f = LAYOUT.ap_fork_event.fields;
      const e = base('process_fork', rec, f, t, ctx);
      addLabels(e, { parent_tid: String(rec.u32(f.parent_tid)) });
      return e;
    }
    case EventKind.EXIT: {
      const f = LAYOUT.ap_exit_event.fields;
      const e = base('process_exit', rec, f, t, ctx);
      const status = rec.u32(f.exit_code);
      const signal = status & 0x7f;
      e.exit_code = signal === 0 ? (status >> 8) & 0xff : null;
      e.signal = signal === 0 ? null : signal;
      return e;
    }
    case EventKind.CONNECT:
      return connect(rec, t, ctx);
    case EventKind.OPEN:
      return open(rec, t, ctx);
    case EventKind.CRED:
      return cred(rec, t, ctx);
    case EventKind.PTRACE: {
      const f = LAYOUT.ap_ptrace_event.fields;
      const e = base('ptrace', rec, f, t, ctx);
      e.ptrace_request = Number(rec.s64(f.request));
      e.target_pid = rec.u32(f.target_pid);
      e.result = rec.s32(f.result);
      e.syscall = 'ptrace';
      return e;
    }
    case EventKind.RENAME: {
      const f = LAYOUT.ap_rename_event.fields;
      const e = base('file_rename', rec, f, t, ctx);
      e.path = rec.cstr(f.old_path, LIMITS.AP_PATH_MAX);
      e.new_path = rec.cstr(f.new_path, LIMITS.AP_PATH_MAX);
      e.result = rec.s32(f.result);
      e.syscall = SYSCALL_NAMES[rec.u16(f.syscall)] ?? null;
      return e;
    }
    case EventKind.UNLINK: {
      const f = LAYOUT.ap_unlink_event.fields;
      const e = base('file_unlink', rec, f, t, ctx);
      e.path = rec.cstr(f.path, LIMITS.AP_PATH_MAX);
      e.result = rec.s32(f.result);
      e.syscall = SYSCALL_NAMES[rec.u16(f.syscall)] ?? null;
      return e;
    }
    case EventKind.TLS:
      return tls(rec, t, ctx);
    case EventKind.ENFORCE:
      return enforce(rec, t, ctx);
    default:
      return null;
  }
}
