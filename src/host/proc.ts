/** @module host/proc: readers for /proc/PID files that return null when the process has gone. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** R, S, D, Z (zombie), T (stopped), t, X, I ... */
  state: string;
  /** Field 22 `starttime`: clock ticks after boot (CLOCK_BOOTTIME). */
  start_ticks: bigint;
  /** start_ticks in boot-relative nanoseconds (tick precision, 10 ms at CLK_TCK=100). */
  start_ns: bigint;
  /** Field 52: the wait(2) status once the process is a zombie, else 0; null on kernels before 3.5. */
  exit_status: number | null;
  /** A kernel thread (PF_KTHREAD): no exe, no argv. */
  kthread: boolean;
}

export interface ProcStatus {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  tgid: number;
}

export interface ProcNamespaces {
  pid_ns: number | null;
  mnt_ns: number | null;
  net_ns: number | null;
}

const GONE = new Set(['ENOENT', 'ESRCH']);
const DENIED = new Set(['EACCES', 'EPERM']);

/** Runs `read`, mapping "the process has gone" (and, if asked, "not ours to read") to null. */
function tolerant<T>(read: () => T, allowDenied = false): T | null {
  try {
    return read();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (GONE.has(code) || (allowDenied && DENIED.has(code))) return null;
    throw err;
  }
}

let clockTicks: bigint | null = null;

/** sysconf(_SC_CLK_TCK), read once through getconf; 100 (every mainstream Linux arch) if that fails. */
export function clockTicksPerSecond(): bigint {
  if (clockTicks === null) {
    let ticks = 100n;
    try {
      const out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (/^\d+\s*$/.test(out) && Number(out) > 0) ticks = BigInt(out.trim());
    } catch {
      /* keep 100 */
    }
    clockTicks = ticks;
  }
  return clockTicks;
}

/** Pure parser for /proc/PID/stat. comm may hold spaces and ')' so fields are counted from the last ')'. */
export function parseProcStat(text: string, ticksPerSecond = clockTicksPerSecond()): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).trim().split(' '); // rest[0] is field 3 (state)
  const field = (n: number): string | undefined => rest[n - 3];
  const start = field(22);
  if (field(4) === undefined || start === undefined || !/^\d+$/.test(start)) return null;
  const exit = field(52);
  const ticks = BigInt(start);
  return {
    pid: Number(text.slice(0, open).trim()),
    ppid: Number(field(4)),
    comm: text.slice(open + 1, close),
    state: field(3) ?? '?',
    start_ticks: ticks,
    start_ns: (ticks * 1_000_000_000n) / ticksPerSecond,
    exit_status: exit !== undefined && /^\d+$/.test(exit) ? Number(exit) : null,
    kthread: (Number(field(9) ?? 0) & 0x00200000) !== 0,
  };
}

export function readProcStat(pid: number): ProcStat | null {
  const text = tolerant(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return text === null ? null : parseProcStat(text);
}

/** argv as the process sees it now; [] for kernel threads and zombies. */
export function readCmdline(pid: number): string[] | null {
  const raw = tolerant(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  if (raw === null) return null;
  const parts = raw.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** The executable path (may end in ' (deleted)'); null when gone or not ours to read (EACCES). */
export function readExe(pid: number): string | null {
  return tolerant(() => readlinkSync(`/proc/${pid}/exe`), true);
}

export function readCwd(pid: number): string | null {
  return tolerant(() => readlinkSync(`/proc/${pid}/cwd`), true);
}

/** Pure parser for the Uid/Gid/Tgid lines of /proc/PID/status (real and effective ids). */
export function parseProcStatus(text: string): ProcStatus | null {
  const ids = (key: string): number[] | null => {
    const m = new RegExp(`^${key}:\\s*([\\d\\s]+)$`, 'm').exec(text);
    return m?.[1] ? m[1].trim().split(/\s+/).map(Number) : null;
  };
  const uid = ids('Uid');
  const gid = ids('Gid');
  const tgid = ids('Tgid');
  if (!uid || !gid || uid.length < 2 || gid.length < 2) return null;
  return { uid: uid[0]!, euid: uid[1]!, gid: gid[0]!, egid: gid[1]!, tgid: tgid?.[0] ?? 0 };
}

export function readStatus(pid: number): ProcStatus | null {
  const text = tolerant(() => readFileSync(`/proc/${pid}/status`, 'utf8'));
  return text === null ? null : parseProcStatus(text);
}

function nsInode(pid: number, ns: string): number | null {
  const link = tolerant(() => readlinkSync(`/proc/${pid}/ns/${ns}`), true);
  const m = link === null ? null : /\[(\d+)\]$/.exec(link);
  return m?.[1] ? Number(m[1]) : null;
}

/** Namespace inode numbers (what `ls -l /proc/PID/ns` shows in brackets). */
export function readNamespaces(pid: number): ProcNamespaces {
  return { pid_ns: nsInode(pid, 'pid'), mnt_ns: nsInode(pid, 'mnt'), net_ns: nsInode(pid, 'net') };
}

/** Every pid (thread-group leader) /proc lists now. */
export function listAllPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) pids.push(Number(name));
  return pids;
}

/** Sends a signal; false if the process has already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
