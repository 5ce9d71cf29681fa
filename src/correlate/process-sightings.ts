/**
 * @module correlate/process-sightings: the compact, order-independent record of what events said about
 * processes (pid, start, parent, exits, exec labels), from which the process tree is built and patched.
 */
import type { RuntimeEvent } from '../model/index.js';

/** What a process was running: the exec's exe/argv win over what other events happen to carry. */
export interface ProcessLabel {
  t: bigint;
  from_exec: boolean;
  exe: string | null;
  argv: string[] | null;
  comm: string | null;
}

/**
 * Every event with the same (pid, start, ppid, parent start) folds into one sighting, so memory grows with
 * the number of processes, not of events. minT/maxT are the first and last event times seen for it.
 */
export interface Sighting {
  pid: number;
  start: bigint | null;
  ppid: number | null;
  pstart: bigint | null;
  /** From a process_fork event: the most direct statement of a parent link. */
  fork: boolean;
  minT: bigint;
  maxT: bigint;
  label: ProcessLabel | null;
}

/** A label replaces another when it is better evidence: exec over any other event, then the latest exec or the earliest other event; ties broken by content so the outcome never depends on input order. */
export function isBetterLabel(a: ProcessLabel, b: ProcessLabel | null): boolean {
  if (b === null) return true;
  if (a.from_exec !== b.from_exec) return a.from_exec;
  if (a.t !== b.t) return a.from_exec ? a.t > b.t : a.t < b.t;
  return labelText(a) < labelText(b);
}

function labelText(l: ProcessLabel): string {
  return JSON.stringify([l.exe, l.argv, l.comm]);
}

type ByPstart = Map<bigint | null, Sighting[]>;

/** What one event taught, so the tree can patch itself instead of rebuilding (bit flags). */
export const LEARNED = {
  NEW: 1,
  MIN: 2,
  MAX: 4,
  LABEL: 16,
  EXIT: 32,
  /** An exit or fork without a start time: it re-cuts the pid's start-less instances. */
  LOOSE_CUT: 64,
} as const;

export interface Learned {
  flags: number;
  sighting: Sighting | null;
  /** maxT before this event, when MAX is set: a start-less sighting may have run into another instance. */
  prevMaxT: bigint | null;
  /** The label this event replaced, when LABEL is set. */
  prevLabel: ProcessLabel | null;
}

export class ProcessSightings {
  /** pid -> start -> ppid -> parent start -> [other sighting, fork sighting]; bigint keys need no string building. */
  private readonly tree = new Map<number, Map<bigint | null, Map<number | null, ByPstart>>>();
  readonly sightings: Sighting[] = [];
  /** Exits of processes whose start time was given: `${pid}@${start}` -> earliest exit time. */
  readonly knownExits = new Map<string, { pid: number; start: bigint; t: bigint }>();
  /** Exits and forks of processes without a start time: pid -> times. They cut a pid's life into instances. */
  readonly unknownExits = new Map<number, Set<bigint>>();
  readonly unknownForks = new Map<number, Set<bigint>>();
  /** pids some event named without a start time (as process or parent): their instances are resolved by time. */
  readonly loose = new Set<number>();

  add(e: RuntimeEvent): Learned {
    const pid = e.pid;
    if (pid === null || pid === undefined) return { flags: 0, sighting: null, prevMaxT: null, prevLabel: null };
    const t = e.time_ns;
    const start = e.process_start_ns ?? null;
    const ppid = e.ppid ?? null;
    const pstart = ppid === null ? null : (e.parent_start_ns ?? null);
    const fork = e.type === 'process_fork';
    const slot = this.slot(pid, start, ppid, pstart);
    let flags = 0;
    let prevMaxT: bigint | null = null;
    let s = slot[fork ? 1 : 0];
    if (s === undefined) {
      s = { pid, start, ppid, pstart, fork, minT: t, maxT: t, label: null };
      slot[fork ? 1 : 0] = s;
      this.sightings.push(s);
      if (start === null) this.loose.add(pid);
      if (ppid !== null && pstart === null) this.loose.add(ppid);
      flags |= LEARNED.NEW;
    } else {
      if (t < s.minT) {
        s.minT = t;
        flags |= LEARNED.MIN;
      }
      if (t > s.maxT) {
        prevMaxT = s.maxT;
        s.maxT = t;
        flags |= LEARNED.MAX;
      }
    }
    const prevLabel = s.label;
    if ((e.exe || e.comm || (e.argv && e.argv.length > 0)) && this.offerLabel(s, e)) flags |= LEARNED.LABEL;
    if (e.type === 'process_exit') flags |= this.addExit(pid, start, t);
    if (fork && start === null && this.addTo(this.unknownForks, pid, t)) flags |= LEARNED.LOOSE_CUT;
    return { flags, sighting: s, prevMaxT, prevLabel };
  }

  private slot(pid: number, start: bigint | null, ppid: number | null, pstart: bigint | null): Sighting[] {
    let a = this.tree.get(pid);
    if (a === undefined) this.tree.set(pid, (a = new Map()));
    let b = a.get(start);
    if (b === undefined) a.set(start, (b = new Map()));
    let c = b.get(ppid);
    if (c === undefined) b.set(ppid, (c = new Map()));
    let d = c.get(pstart);
    if (d === undefined) c.set(pstart, (d = []));
    return d;
  }

  private offerLabel(s: Sighting, e: RuntimeEvent): boolean {
    const fromExec = e.type === 'process_exec';
    const cur = s.label;
    // Most events lose to the label already held; skip building a candidate for them.
    if (cur !== null && cur.from_exec !== fromExec && cur.from_exec) return false;
    if (cur !== null && cur.from_exec === fromExec && (fromExec ? e.time_ns < cur.t : e.time_ns > cur.t)) return false;
    const label: ProcessLabel = { t: e.time_ns, from_exec: fromExec, exe: e.exe ?? null, argv: e.argv ?? null, comm: e.comm ?? null };
    if (!isBetterLabel(label, cur)) return false;
    s.label = label;
    return true;
  }

  private addExit(pid: number, start: bigint | null, t: bigint): number {
    if (start === null) return this.addTo(this.unknownExits, pid, t) ? LEARNED.LOOSE_CUT : 0;
    const k = `${pid}@${start}`;
    const prev = this.knownExits.get(k);
    if (prev !== undefined && prev.t <= t) return 0;
    this.knownExits.set(k, { pid, start, t });
    return LEARNED.EXIT;
  }

  private addTo(map: Map<number, Set<bigint>>, pid: number, t: bigint): boolean {
    this.loose.add(pid);
    let set = map.get(pid);
    if (set === undefined) map.set(pid, (set = new Set()));
    if (set.has(t)) return false;
    set.add(t);
    return true;
  }
}
