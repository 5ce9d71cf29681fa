/**
 * @module record/record-processes: the processes one tool call has started, learned from its own events, so
 * that orphans can be listed and, where there is no cgroup, the process tree can be killed.
 */
import { execFileSync } from 'node:child_process';
import type { RuntimeEvent } from '../model/index.js';
import { listPids, readCmdline, readExe, readProcStat, signalPid, type CgroupLeaf } from '../host/index.js';

export interface KnownProcess {
  pid: number;
  /** In the capture's clock (what the events and the DAG key processes by); null when no event gave it. */
  start_ns: bigint | null;
  ppid: number | null;
  comm: string | null;
  exe: string | null;
  argv: string[];
  exited: boolean;
}

/** A process found alive after the tool call's command exited. */
export interface LiveOrphan {
  pid: number;
  start_ns: bigint | null;
  ppid: number | null;
  exe: string | null;
  argv: string[];
}

export class ProcessBook {
  readonly #byKey = new Map<string, KnownProcess>();

  observe(e: RuntimeEvent): void {
    if (typeof e.pid !== 'number') return;
    const key = `${e.pid}@${e.process_start_ns ?? '?'}`;
    let p = this.#byKey.get(key);
    if (p === undefined) {
      p = { pid: e.pid, start_ns: e.process_start_ns ?? null, ppid: e.ppid ?? null, comm: e.comm ?? null, exe: null, argv: [], exited: false };
      this.#byKey.set(key, p);
    }
    if (e.type === 'process_exec' && (e.result ?? 0) === 0) {
      p.exe = e.exe ?? p.exe;
      p.argv = e.argv ?? p.argv;
      p.comm = e.comm ?? p.comm;
    }
    if (e.type === 'process_exit') p.exited = true;
  }

  get size(): number {
    return this.#byKey.size;
  }

  all(): KnownProcess[] {
    return [...this.#byKey.values()];
  }

  /** The newest known entry for a pid (pids are reused: the latest start wins). */
  byPid(pid: number): KnownProcess | null {
    let best: KnownProcess | null = null;
    for (const p of this.#byKey.values()) {
      if (p.pid !== pid) continue;
      if (best === null || (p.start_ns ?? 0n) >= (best.start_ns ?? 0n)) best = p;
    }
    return best;
  }

  /** Processes the events never saw exit, that /proc still shows (a reused pid is told apart by its start time). */
  stillAlive(isSame: (p: KnownProcess) => boolean = () => true): KnownProcess[] {
    return this.all().filter((p) => !p.exited && readProcStat(p.pid) !== null && isSame(p));
  }
}

function describeLive(pid: number, book: ProcessBook): LiveOrphan | null {
  const st = readProcStat(pid);
  if (st === null || st.state === 'Z') return null;
  const known = book.byPid(pid);
  return {
    pid,
    start_ns: known?.start_ns ?? null,
    ppid: st.ppid,
    exe: readExe(pid) ?? known?.exe ?? null,
    argv: readCmdline(pid) ?? known?.argv ?? [],
  };
}

/** Orphans of a tool call with a cgroup: every live process still in its leaf (the command itself has exited). */
export function orphansInLeaf(leaf: CgroupLeaf, book: ProcessBook, rootPid: number | null): LiveOrphan[] {
  return listPids(leaf)
    .filter((pid) => pid !== rootPid)
    .map((pid) => describeLive(pid, book))
    .filter((o): o is LiveOrphan => o !== null);
}

/** Pids in a process group, through pgrep (procps); empty when there are none or pgrep is missing. */
export function processGroupMembers(pgid: number): number[] {
  try {
    const out = execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  } catch {
    return []; // exit 1: no process in the group
  }
}

/**
 * Orphans of a tool call without a cgroup: processes its events showed start and never exit, and whatever is
 * still in the process groups its commands were started in (polling misses a child that is reparented
 * between two polls; the group still holds it). A proc-poll book keys processes by the boot-relative start
 * time /proc gives, so the pid's current start must match.
 */
export function orphansInBook(book: ProcessBook, rootPids: readonly number[], bootStartMatches: boolean, pgids: readonly number[] = []): LiveOrphan[] {
  const pids = new Set(
    book
      .stillAlive((p) => !bootStartMatches || p.start_ns === null || readProcStat(p.pid)?.start_ns === p.start_ns)
      .map((p) => p.pid),
  );
  for (const g of pgids) for (const pid of processGroupMembers(g)) pids.add(pid);
  return [...pids]
    .filter((pid) => !rootPids.includes(pid) && pid !== process.pid)
    .sort((a, b) => a - b)
    .map((pid) => describeLive(pid, book))
    .filter((o): o is LiveOrphan => o !== null);
}

/**
 * SIGKILLs what a process tree left behind when there is no cgroup to kill: the process group first, then
 * each listed pid. A process that changed its session and pid both escapes; that is why cgroups are preferred.
 */
export function killTree(pgid: number | null, pids: readonly number[]): number {
  let signalled = 0;
  if (pgid !== null && pgid > 1) {
    try {
      process.kill(-pgid, 'SIGKILL');
      signalled++;
    } catch {
      /* the group is empty */
    }
  }
  for (const pid of pids) if (pid > 1 && pid !== process.pid && signalPid(pid, 'SIGKILL')) signalled++;
  return signalled;
}
