/**
 * @module ingest/falco-fields: the Falco field vocabulary: syscall names -> event types, ptrace request
 * names and open flags text (socket addresses: falco-endpoint.ts).
 */
import type { EventType } from '../model/index.js';

export const EVT_TYPES = new Map<string, EventType>([
  ['open', 'file_open'],
  ['openat', 'file_open'],
  ['openat2', 'file_open'],
  ['creat', 'file_open'],
  ['connect', 'network_connect'],
  // The model has one connection event: an accepted one is a network_connect too (see addSocketFields).
  ['accept', 'network_connect'],
  ['accept4', 'network_connect'],
  ['execve', 'process_exec'],
  ['execveat', 'process_exec'],
  ['rename', 'file_rename'],
  ['renameat', 'file_rename'],
  ['renameat2', 'file_rename'],
  ['unlink', 'file_unlink'],
  ['unlinkat', 'file_unlink'],
  ['setuid', 'privilege_change'],
  ['setgid', 'privilege_change'],
  ['setreuid', 'privilege_change'],
  ['setregid', 'privilege_change'],
  ['setresuid', 'privilege_change'],
  ['setresgid', 'privilege_change'],
  ['setfsuid', 'privilege_change'],
  ['setfsgid', 'privilege_change'],
  ['ptrace', 'ptrace'],
  ['clone', 'process_fork'],
  ['clone3', 'process_fork'],
  ['fork', 'process_fork'],
  ['vfork', 'process_fork'],
  ['procexit', 'process_exit'],
]);

/** Syscalls seen on the server side of a connection: there the local end is the destination. */
export const SERVER_SIDE_EVT_TYPES = new Set(['accept', 'accept4']);

/** Falco prints ptrace requests by name; the model keeps the number (linux/ptrace.h). */
export const PTRACE_REQUESTS = new Map<string, number>([
  ['PTRACE_TRACEME', 0],
  ['PTRACE_PEEKTEXT', 1],
  ['PTRACE_PEEKDATA', 2],
  ['PTRACE_PEEKUSR', 3],
  ['PTRACE_POKETEXT', 4],
  ['PTRACE_POKEDATA', 5],
  ['PTRACE_POKEUSR', 6],
  ['PTRACE_CONT', 7],
  ['PTRACE_KILL', 8],
  ['PTRACE_SINGLESTEP', 9],
  ['PTRACE_GETREGS', 12],
  ['PTRACE_SETREGS', 13],
  ['PTRACE_ATTACH', 16],
  ['PTRACE_DETACH', 17],
  ['PTRACE_SYSCALL', 24],
  ['PTRACE_SETOPTIONS', 0x4200],
  ['PTRACE_SEIZE', 0x4206],
  ['PTRACE_INTERRUPT', 0x4207],
]);

/** Fields that become first-class event fields; every other scalar output field is kept as a label. */
export const MAPPED_FIELDS = new Set([
  'proc.pid',
  'proc.ppid',
  'proc.name',
  'proc.cmdline',
  'proc.args',
  'proc.exepath',
  'proc.exe',
  'proc.cwd',
  'user.uid',
  'group.gid',
  'container.id',
  'evt.type',
  'evt.time',
  'evt.rawtime',
  'evt.time.iso8601',
  'evt.rawres',
  'fd.name',
  'fd.sip',
  'fd.dip',
  'fd.rip',
  'fd.cip',
  'fd.lip',
  'fd.sport',
  'fd.dport',
  'fd.rport',
  'fd.cport',
  'fd.lport',
]);

/** Falco shows some paths as "name(/resolved/path)": keep the resolved absolute one. */
export function cleanPath(p: string | null): string | null {
  if (p === null || !p.endsWith(')')) return p;
  const open = p.lastIndexOf('(/');
  return open > 0 ? p.slice(open + 1, -1) : p;
}

export function openFlags(of: Record<string, unknown>): Array<'read' | 'write' | 'create' | 'truncate' | 'append'> | undefined {
  const flags = of['evt.arg.flags'];
  if (typeof flags === 'string') {
    const out: Array<'read' | 'write' | 'create' | 'truncate' | 'append'> = [];
    if (flags.includes('O_RDWR')) out.push('read', 'write');
    else if (flags.includes('O_WRONLY')) out.push('write');
    else out.push('read');
    if (flags.includes('O_CREAT')) out.push('create');
    if (flags.includes('O_TRUNC')) out.push('truncate');
    if (flags.includes('O_APPEND')) out.push('append');
    return out;
  }
  const read = of['evt.is_open_read'] === true || of['evt.is_open_read'] === 'true';
  const write = of['evt.is_open_write'] === true || of['evt.is_open_write'] === 'true';
  if (!read && !write) return undefined;
  return read && write ? ['read', 'write'] : read ? ['read'] : ['write'];
}
