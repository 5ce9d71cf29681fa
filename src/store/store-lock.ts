/**
 * @module store/store-lock: how writers of one data dir take turns. Every write transaction is BEGIN
 * IMMEDIATE: it takes SQLite's write lock before its first read, so the busy timeout applies (a DEFERRED
 * transaction that reads and then writes under WAL gets SQLITE_BUSY at once, whatever the timeout). A writer
 * waits up to the busy timeout (default 60 s, AGENTPROV_BUSY_TIMEOUT_MS) while SQLite retries; past it the
 * store is reported locked, naming the data dir and the process that holds the write lock.
 *
 * The holder comes from /proc/locks: under WAL, SQLite's write lock is a POSIX byte-range lock on byte 120
 * of `evidence.db-shm` (WALINDEX_LOCK_OFFSET + WAL_WRITE_LOCK), and the kernel lists its owner's pid.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from '../errors.js';
import { redactArgv } from '../model/index.js';
import type { Db } from './open-database.js';

export const BUSY_TIMEOUT_ENV = 'AGENTPROV_BUSY_TIMEOUT_MS';
/** Long enough for another ingest's 50k-event batch (seconds) and a few writers queued before us. */
export const DEFAULT_BUSY_TIMEOUT_MS = 60_000;

/** The SQLite write lock's byte in the -shm file. */
const WAL_WRITE_LOCK_BYTE = 120;

export function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[BUSY_TIMEOUT_ENV];
  if (text === undefined || text === '') return DEFAULT_BUSY_TIMEOUT_MS;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new StoreError(`${BUSY_TIMEOUT_ENV} must be a whole number of milliseconds, not "${text}"`);
  }
  return ms;
}

/** SQLITE_BUSY / SQLITE_LOCKED and their extended codes (better-sqlite3's SqliteError carries `code`). */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

export interface LockHolder {
  pid: number;
  /** Its command line, secrets redacted (it goes into an error message); null when /proc does not say. */
  command: string | null;
}

/** The process holding the write lock of the SQLite file `dbFile` (WAL mode), or null if none is found. */
export function writeLockHolder(dbFile: string): LockHolder | null {
  let inode: number;
  try {
    inode = statSync(`${dbFile}-shm`).ino;
  } catch {
    return null;
  }
  let locks: string;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return null;
  }
  for (const line of locks.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 13206 fe:00:2146570 120 120"
    const m = /^\d+:\s+POSIX\s+\S+\s+WRITE\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s+(\d+)\s+(\d+|EOF)\s*$/.exec(line);
    if (!m || Number(m[2]) !== inode) continue;
    const start = Number(m[3]);
    const end = m[4] === 'EOF' ? Infinity : Number(m[4]);
    if (start <= WAL_WRITE_LOCK_BYTE && WAL_WRITE_LOCK_BYTE <= end) {
      const pid = Number(m[1]);
      return { pid, command: commandOf(pid) };
    }
  }
  return null;
}

function commandOf(pid: number): string | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    if (argv.length === 0) return null;
    const text = redactArgv(argv, null).join(' ');
    return text.length > 160 ? `${text.slice(0, 157)}...` : text;
  } catch {
    return null;
  }
}

/** The error for a write that waited out the busy timeout: which data dir, who holds it, what to do. */
export function storeLockedError(db: Db, cause: unknown): StoreError {
  const dataDir = dirname(db.name);
  const holder = writeLockHolder(db.name);
  let ms: number | null = null;
  try {
    ms = db.pragma('busy_timeout', { simple: true }) as number;
  } catch {
    // closed: say no number
  }
  const who = holder
    ? `pid ${holder.pid}${holder.pid === process.pid ? ' (this process)' : ''}${holder.command ? ` (${holder.command})` : ''}`
    : 'another process (not found in /proc/locks)';
  const waited = ms === null ? '' : ` for more than ${ms / 1000} s`;
  return new StoreError(
    `evidence store in data dir ${dataDir} is locked: ${who} has held its write lock${waited}; ` +
      `wait for it to finish or stop it (${BUSY_TIMEOUT_ENV} sets how long to wait)`,
    { cause },
  );
}

/**
 * Runs `fn` in one BEGIN IMMEDIATE transaction (nested calls become savepoints of the outer one). A writer
 * still locked out after the busy timeout gets a StoreError naming the data dir and the holder.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    if (isBusyError(err)) throw storeLockedError(db, err);
    throw err;
  }
}
