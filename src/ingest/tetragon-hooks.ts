/**
 * @module ingest/tetragon-hooks: Tetragon kprobe / LSM / tracepoint events -> typed RuntimeEvent fields.
 *
 * A tracing policy decides which function is hooked and which arguments are exported, so the mapping is
 * by function (after dropping the arch syscall prefix, "__x64_sys_openat" -> "openat") and reads arguments
 * by their kind (file_arg, sock_arg, process_credentials_arg, ...) rather than by position where it can.
 */
import type { EventType, OpenFlagName, RuntimeEventInput } from '../model/index.js';
import { openFlagNames } from '../model/index.js';
import { REJECT, describeJsonType, familyOf, isRecord, problem, readInt, readIntIn, readString } from './mapper.js';

type HookType = Extract<
  EventType,
  'file_open' | 'network_connect' | 'privilege_change' | 'ptrace' | 'file_unlink' | 'file_rename'
>;

const HOOKS = new Map<string, HookType>();
function hooks(type: HookType, names: string[]): void {
  for (const n of names) HOOKS.set(n, type);
}
hooks('file_open', [
  'security_file_permission',
  'security_file_open',
  'file_open',
  'fd_install',
  'do_sys_open',
  'do_sys_openat2',
  'do_filp_open',
  'open',
  'openat',
  'openat2',
  'creat',
]);
hooks('network_connect', [
  'tcp_connect',
  'tcp_v4_connect',
  'tcp_v6_connect',
  'tcp_sendmsg',
  'udp_sendmsg',
  'security_socket_connect',
  'socket_connect',
  'connect',
]);
hooks('privilege_change', [
  'commit_creds',
  'setuid',
  'setgid',
  'setreuid',
  'setregid',
  'setresuid',
  'setresgid',
  'setfsuid',
  'setfsgid',
]);
hooks('ptrace', ['ptrace', 'security_ptrace_access_check', 'ptrace_access_check', 'ptrace_attach']);
hooks('file_unlink', [
  'unlink',
  'unlinkat',
  'security_path_unlink',
  'security_inode_unlink',
  'path_unlink',
  'inode_unlink',
  'do_unlinkat',
  'vfs_unlink',
]);
hooks('file_rename', [
  'rename',
  'renameat',
  'renameat2',
  'security_path_rename',
  'security_inode_rename',
  'path_rename',
  'inode_rename',
  'do_renameat2',
  'vfs_rename',
]);

const SYSCALL_PREFIX = /^(?:__(?:x64|ia32|arm64|riscv|s390x|se)_|__)?(?:compat_)?sys_/;

/** "__x64_sys_openat" -> "openat"; kernel function names stay as they are. */
export function hookBaseName(fn: string): string {
  return fn.replace(SYSCALL_PREFIX, '');
}

export function hookEventType(fn: string): HookType | undefined {
  return HOOKS.get(hookBaseName(fn));
}

type Arg = Record<string, unknown>;

function argList(v: unknown, field: string): Arg[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw problem(field, `expected an array of arguments, got ${describeJsonType(v)}`);
  return v.filter(isRecord);
}

/** The path an argument carries, whatever its kind. */
function pathOf(arg: Arg): string | null {
  for (const kind of ['file_arg', 'path_arg', 'linux_binprm_arg']) {
    const v = arg[kind];
    if (isRecord(v) && typeof v.path === 'string') return v.path;
  }
  return typeof arg.string_arg === 'string' ? arg.string_arg : null;
}

function intOf(arg: Arg, field: string): number | null {
  for (const kind of ['int_arg', 'long_arg', 'uint_arg', 'size_arg']) {
    if (arg[kind] !== undefined) return readInt(arg[kind], `${field}.${kind}`);
  }
  return null;
}

/** Paths in argument order, with the index of the argument each came from. */
function pathsOf(args: Arg[]): Array<{ path: string; index: number }> {
  const out: Array<{ path: string; index: number }> = [];
  for (let i = 0; i < args.length; i++) {
    const p = pathOf(args[i]!);
    if (p !== null) out.push({ path: p, index: i });
  }
  return out;
}

function intsAfter(args: Arg[], from: number, field: string): number[] {
  const out: number[] = [];
  for (let i = from; i < args.length; i++) {
    const n = intOf(args[i]!, `${field}[${i}]`);
    if (n !== null) out.push(n);
  }
  return out;
}

// security_file_permission's mask (linux/fs.h MAY_*) and open(2) flags (asm-generic/fcntl.h).
const MAY_WRITE = 2;
const MAY_READ = 4;
const MAY_APPEND = 8;
type OpenFlag = OpenFlagName;

function maskFlags(mask: number): OpenFlag[] {
  const out: OpenFlag[] = [];
  if (mask & MAY_READ) out.push('read');
  if (mask & (MAY_WRITE | MAY_APPEND)) out.push('write');
  if (mask & MAY_APPEND) out.push('append');
  return out;
}

const FAMILIES: Record<string, 'inet' | 'inet6' | 'unix'> = { AF_INET: 'inet', AF_INET6: 'inet6', AF_UNIX: 'unix' };

function addNetwork(ev: RuntimeEventInput, args: Arg[], field: string): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const sock = a.sock_arg ?? a.skb_arg;
    const at = `${field}[${i}]`;
    if (isRecord(sock)) {
      const daddr = readString(sock.daddr, `${at}.daddr`);
      ev.family = (typeof sock.family === 'string' ? FAMILIES[sock.family] : undefined) ?? familyOf(daddr);
      ev.dst_ip = daddr;
      // Zero ports are omitted by the export like every zero value.
      ev.dst_port = readIntIn(sock.dport, `${at}.dport`, 0, 65535) ?? 0;
      ev.src_ip = readString(sock.saddr, `${at}.saddr`);
      ev.src_port = readIntIn(sock.sport, `${at}.sport`, 0, 65535) ?? 0;
      return;
    }
    const sa = a.sockaddr_arg;
    if (isRecord(sa)) {
      const addr = readString(sa.addr, `${at}.sockaddr_arg.addr`);
      ev.family = (typeof sa.family === 'string' ? FAMILIES[sa.family] : undefined) ?? familyOf(addr);
      ev.dst_ip = addr;
      ev.dst_port = readIntIn(sa.port, `${at}.sockaddr_arg.port`, 0, 65535) ?? 0;
      return;
    }
  }
  throw problem(field, 'a connect needs a sock_arg, skb_arg or sockaddr_arg argument; the policy exported none');
}

function addPrivilege(ev: RuntimeEventInput, base: string, args: Arg[], field: string, old: { uid: number; euid: number; gid: number | null }): void {
  ev.old_uid = old.uid;
  ev.old_euid = old.euid;
  ev.old_gid = old.gid;
  if (base === 'commit_creds') {
    const arg = args.find((a) => isRecord(a.process_credentials_arg));
    if (!arg) throw problem(field, 'commit_creds needs a process_credentials_arg argument; the policy exported none');
    const c = arg.process_credentials_arg as Arg;
    const at = `${field}[${args.indexOf(arg)}].process_credentials_arg`;
    ev.new_uid = readInt(c.uid, `${at}.uid`) ?? 0;
    ev.new_euid = readInt(c.euid, `${at}.euid`) ?? 0;
    ev.new_gid = readInt(c.gid, `${at}.gid`) ?? 0;
    return;
  }
  // set*id(2): -1 leaves an id unchanged.
  const ids = intsAfter(args, 0, field).map((n) => (n === -1 || n === 0xffffffff ? null : n));
  if (base.includes('gid')) ev.new_gid = ids[0] ?? null;
  else {
    ev.new_uid = ids[0] ?? null;
    if (base === 'setreuid' || base === 'setresuid') ev.new_euid = ids[1] ?? null;
  }
}

/**
 * Adds the type-specific fields of a hook event to `ev` (which has the process fields) and returns it.
 * `at` is the field path of the hook body (e.g. "process_kprobe") for problems.
 */
export function addHookFields(
  ev: RuntimeEventInput,
  type: HookType,
  fn: string,
  body: Record<string, unknown>,
  at: string,
  oldIds: { uid: number; euid: number; gid: number | null },
): RuntimeEventInput {
  const base = hookBaseName(fn);
  const field = `${at}.args`;
  const args = argList(body.args, field);
  ev.syscall = base;
  const ret = body.return;
  if (isRecord(ret)) ev.result = intOf(ret, `${at}.return`);
  switch (type) {
    case 'file_open': {
      const paths = pathsOf(args);
      const first = paths[0];
      if (!first) throw problem(field, `${fn} event has no file path argument`);
      ev.path = first.path;
      const n = intsAfter(args, first.index + 1, field)[0];
      if (n !== undefined && base === 'security_file_permission') ev.open_flags = maskFlags(n);
      else if (n !== undefined && (base.startsWith('open') || base === 'creat')) ev.open_flags = openFlagNames(n);
      break;
    }
    case 'network_connect':
      addNetwork(ev, args, field);
      break;
    case 'privilege_change':
      addPrivilege(ev, base, args, field, oldIds);
      break;
    case 'ptrace': {
      const ints = intsAfter(args, 0, field);
      if (base === 'ptrace') {
        ev.ptrace_request = ints[0] ?? null;
        ev.target_pid = ints[1] ?? null;
      } else ev.target_pid = null;
      break;
    }
    case 'file_unlink': {
      const p = pathsOf(args)[0];
      if (!p) throw problem(field, `${fn} event has no path argument`);
      ev.path = p.path;
      break;
    }
    case 'file_rename': {
      const [from, to] = pathsOf(args);
      if (!from) throw problem(field, `${fn} event has no path argument`);
      ev.path = from.path;
      ev.new_path = to?.path ?? null;
      break;
    }
  }
  return ev;
}

export function unsupportedHook(fn: string, field: string): never {
  throw problem(
    field,
    `no mapping for Tetragon hook "${fn}": agentprov maps file open/unlink/rename, connect, credential and ptrace hooks`,
    REJECT.unsupported,
  );
}
