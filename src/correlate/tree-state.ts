/**
 * @module correlate/tree-state: the built process tree (instances, parent links, the cuts that separate a
 * pid's start-less instances) and the operations both a full build and an incremental patch use.
 */
import { isBetterLabel, type ProcessLabel } from './process-sightings.js';

/**
 * `77@123`: pid 77 started at 123 ns. `77@?` / `77@?500`: pid 77 whose start no event gave; the suffix is
 * the earliest time that instance can have begun (after an exit, a fork or another instance of the pid).
 */
export type ProcKey = string;

export interface ProcessInstance {
  key: ProcKey;
  pid: number;
  start_ns: bigint | null;
  /** Earliest time the instance is known to exist: its start, or its first sighting. */
  first_seen_ns: bigint;
  exit_ns: bigint | null;
  parent: ProcKey | null;
  exe: string | null;
  argv: string[] | null;
  comm: string | null;
}

/** One statement that `parent` is the parent, and how strong it is. */
export interface Claim {
  parent: ProcKey;
  fork: boolean;
  has_start: boolean;
  t: bigint;
}

export function procKey(pid: number, start: bigint): ProcKey {
  return `${pid}@${start}`;
}

export class TreeState {
  readonly procs = new Map<ProcKey, ProcessInstance>();
  private readonly knownByPid = new Map<number, ProcessInstance[]>();
  private readonly allByPid = new Map<number, ProcessInstance[]>();
  private readonly cuts = new Map<number, bigint[]>();
  /** Children of each key; sorted when asked for (a shell with 100k children must not pay O(n) per child). */
  private readonly kids = new Map<ProcKey, { set: Set<ProcKey>; sorted: ProcKey[] | null }>();
  /** The best claim on each instance's parent so far (claims are totally ordered: the best is a running min). */
  private readonly claims = new Map<ProcKey, Claim>();
  private readonly labels = new Map<ProcKey, ProcessLabel>();
  private sorted: ProcessInstance[] | null = null;

  /** The instance with the latest start <= t, unless it exited before t. */
  aliveKnown(pid: number, t: bigint): ProcessInstance | null {
    const list = this.knownByPid.get(pid);
    if (list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const p = list[i]!;
      if (p.start_ns! > t) continue;
      return p.exit_ns !== null && p.exit_ns < t ? null : p;
    }
    return null;
  }

  anonKey(pid: number, t: bigint): ProcKey {
    const cuts = this.cuts.get(pid);
    let cut: bigint | null = null;
    if (cuts !== undefined) for (const c of cuts) if (c <= t) cut = c;
    return cut === null ? `${pid}@?` : `${pid}@?${cut}`;
  }

  /** pid at t without creating anything: a known instance alive then, else the start-less one covering t. */
  find(pid: number, t: bigint): ProcessInstance | null {
    return this.aliveKnown(pid, t) ?? this.procs.get(this.anonKey(pid, t)) ?? null;
  }

  /** pid at t, creating the start-less instance if none exists: being named proves the process existed. */
  at(pid: number, t: bigint): ProcessInstance {
    return this.aliveKnown(pid, t) ?? this.create(this.anonKey(pid, t), pid, null, t);
  }

  known(pid: number, start: bigint): ProcessInstance {
    const key = procKey(pid, start);
    const have = this.procs.get(key);
    if (have !== undefined) return have;
    const p = this.create(key, pid, start, start);
    insertSorted(this.knownByPid, pid, p, (a, b) => cmpBig(a.start_ns!, b.start_ns!));
    this.addCut(pid, start);
    return p;
  }

  has(key: ProcKey): boolean {
    return this.procs.has(key);
  }

  /** Start-less instances of a pid are told apart by cuts: each exit, fork and known instance of the pid. */
  addCut(pid: number, c: bigint): void {
    const list = this.cuts.get(pid);
    if (list === undefined) this.cuts.set(pid, [c]);
    else if (!list.includes(c)) {
      list.push(c);
      list.sort(cmpBig);
    }
  }

  setExit(p: ProcessInstance, t: bigint): void {
    if (p.exit_ns !== null && p.exit_ns <= t) return;
    p.exit_ns = t;
    this.addCut(p.pid, t + 1n);
  }

  seen(p: ProcessInstance, t: bigint): void {
    if (t < p.first_seen_ns) {
      p.first_seen_ns = t;
      this.sorted = null;
    }
  }

  offerLabel(p: ProcessInstance, label: ProcessLabel): void {
    if (!isBetterLabel(label, this.labels.get(p.key) ?? null)) return;
    this.labels.set(p.key, label);
    p.exe = label.exe;
    p.argv = label.argv;
    p.comm = label.comm;
  }

  /**
   * A fork says it outright; otherwise a parent given with its start time; otherwise the earliest claim,
   * since a process is re-parented (to init or a subreaper) only after its parent dies.
   */
  claim(p: ProcessInstance, c: Claim): void {
    if (c.parent === p.key) return;
    const cur = this.claims.get(p.key);
    if (cur !== undefined && cmpClaim(cur, c) <= 0) return;
    this.claims.set(p.key, c);
    if (c.parent === p.parent) return;
    if (p.parent !== null) {
      const siblings = this.kids.get(p.parent);
      if (siblings && siblings.set.delete(p.key)) siblings.sorted = null;
    }
    p.parent = c.parent;
    let kids = this.kids.get(c.parent);
    if (kids === undefined) this.kids.set(c.parent, (kids = { set: new Set(), sorted: null }));
    kids.set.add(p.key);
    kids.sorted = null;
  }

  /** Child keys in key order. */
  children(key: ProcKey): ProcKey[] {
    const kids = this.kids.get(key);
    if (kids === undefined) return [];
    kids.sorted ??= [...kids.set].sort(cmpStr);
    return kids.sorted;
  }

  /** Instances of a pid, in no promised order. */
  instancesOf(pid: number): readonly ProcessInstance[] {
    return this.allByPid.get(pid) ?? [];
  }

  /** Every instance, by pid, then start (or first sighting), then key. */
  instances(): ProcessInstance[] {
    this.sorted ??= [...this.procs.values()].sort(cmpInstances);
    return this.sorted;
  }

  private create(key: ProcKey, pid: number, start: bigint | null, first: bigint): ProcessInstance {
    const have = this.procs.get(key);
    if (have !== undefined) return have;
    const p: ProcessInstance = { key, pid, start_ns: start, first_seen_ns: first, exit_ns: null, parent: null, exe: null, argv: null, comm: null };
    this.procs.set(key, p);
    insertSorted(this.allByPid, pid, p, cmpInstances);
    this.sorted = null;
    return p;
  }
}

function insertSorted<K, V>(map: Map<K, V[]>, key: K, value: V, cmp: (a: V, b: V) => number): void {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [value]);
    return;
  }
  let i = list.length;
  while (i > 0 && cmp(list[i - 1]!, value) > 0) i--;
  list.splice(i, 0, value);
}

function cmpClaim(c: Claim, d: Claim): number {
  return Number(d.fork) - Number(c.fork) || Number(d.has_start) - Number(c.has_start) || cmpBig(c.t, d.t) || cmpStr(c.parent, d.parent);
}

function cmpInstances(x: ProcessInstance, y: ProcessInstance): number {
  return x.pid - y.pid || cmpBig(x.start_ns ?? x.first_seen_ns, y.start_ns ?? y.first_seen_ns) || cmpStr(x.key, y.key);
}

export function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
