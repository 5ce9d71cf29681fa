/**
 * @module graph/run-processes: the processes of a run as plain data. The engine may hand over its process
 * tree (keys like `77@123`); without one, identity and parent links are read off the events themselves.
 */
import type { RuntimeEvent } from '../model/index.js';

/** Shaped like the correlator's ProcessInstance, so its `instances()` can be passed as is. */
export interface RunGraphProcess {
  key: string;
  pid: number;
  start_ns: bigint | null;
  parent: string | null;
  exe?: string | null;
  argv?: string[] | null;
  comm?: string | null;
}

/** Same cap as the correlator's ancestry walk: a cycle or a fork bomb must not stall graph building. */
const MAX_DEPTH = 64;

/** pid@start, or pid@? when the source gave no start time (then one instance per pid in the run). */
export function fallbackProcessKey(e: RuntimeEvent): string | null {
  if (e.pid === null || e.pid === undefined) return null;
  return `${e.pid}@${e.process_start_ns ?? '?'}`;
}

interface Pick {
  parent: string;
  rank: [number, number, bigint, string];
}

/**
 * Processes read off events, one event at a time and in any order (a run's graph grows as events arrive):
 * a fork's parent first, then a parent given with its start, then the earliest.
 */
export class ProcessFold {
  readonly #out = new Map<string, RunGraphProcess>();
  readonly #picks = new Map<string, Pick>();
  readonly #labels = new Map<string, { exec: boolean; t: bigint; text: string }>();

  add(e: RuntimeEvent): void {
    const key = fallbackProcessKey(e);
    if (key === null) return;
    let p = this.#out.get(key);
    if (p === undefined) this.#out.set(key, (p = { key, pid: e.pid!, start_ns: e.process_start_ns ?? null, parent: null }));
    if (e.ppid !== null && e.ppid !== undefined) {
      const parent = `${e.ppid}@${e.parent_start_ns ?? '?'}`;
      const rank: Pick['rank'] = [e.type === 'process_fork' ? 0 : 1, e.parent_start_ns != null ? 0 : 1, e.time_ns, parent];
      const cur = this.#picks.get(key);
      if (parent !== key && (cur === undefined || lessRank(rank, cur.rank))) {
        this.#picks.set(key, { parent, rank });
        p.parent = parent;
      }
    }
    if (e.exe || e.comm || e.argv) {
      // The latest exec, else the earliest event; content breaks ties so input order never matters.
      const exec = e.type === 'process_exec';
      const text = JSON.stringify([e.exe ?? null, e.argv ?? null, e.comm ?? null]);
      const cur = this.#labels.get(key);
      const better =
        cur === undefined ||
        (exec !== cur.exec ? exec : e.time_ns !== cur.t ? (exec ? e.time_ns > cur.t : e.time_ns < cur.t) : text < cur.text);
      if (better) {
        this.#labels.set(key, { exec, t: e.time_ns, text });
        p.exe = e.exe ?? null;
        p.argv = e.argv ?? null;
        p.comm = e.comm ?? null;
      }
    }
  }

  get processes(): ReadonlyMap<string, RunGraphProcess> {
    return this.#out;
  }
}

export function processesFromEvents(events: readonly RuntimeEvent[]): Map<string, RunGraphProcess> {
  const fold = new ProcessFold();
  for (const e of events) fold.add(e);
  return new Map(fold.processes);
}

function lessRank(a: Pick['rank'], b: Pick['rank']): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  return false;
}

/** The closest ancestor that is itself in the graph: its process_forked edge stands for the skipped ones. */
export function nearestIncludedAncestor(
  key: string,
  included: ReadonlySet<string>,
  procs: ReadonlyMap<string, RunGraphProcess>,
): string | null {
  const seen = new Set([key]);
  let cur = procs.get(key)?.parent ?? null;
  for (let depth = 0; cur !== null && depth < MAX_DEPTH && !seen.has(cur); depth++) {
    if (included.has(cur)) return cur;
    seen.add(cur);
    cur = procs.get(cur)?.parent ?? null;
  }
  return null;
}
