/**
 * @module correlate/process-tree: process instances keyed by (pid, start time), built from what any event
 * says about its process and parent, so pid reuse is told apart and Falco/Tetragon pid+ppid links count.
 */
import type { RuntimeEvent } from '../model/index.js';
import { LEARNED, ProcessSightings, type Learned, type Sighting } from './process-sightings.js';
import { cmpBig, procKey, TreeState, type ProcessInstance, type ProcKey } from './tree-state.js';

export { procKey, type ProcessInstance, type ProcKey } from './tree-state.js';

/** Deeper chains are either a fork bomb or a cycle in bad data; neither should stall correlation. */
export const MAX_ANCESTRY_DEPTH = 64;

/**
 * The tree is a function of the set of events observed, whatever their order. A live stream patches it in
 * place; what a patch cannot do exactly (an event earlier than one already seen, a start-less exit, a new
 * instance of a pid resolved by time) marks it stale, and the next query rebuilds it from the sightings.
 */
export class ProcessTree {
  private readonly seen = new ProcessSightings();
  private state = new TreeState();
  private stale = false;
  /** Bumped whenever instances or links may have changed, so callers can drop caches keyed by process. */
  version = 0;

  /** Learn from one event; order does not matter, and observing an event twice changes nothing. */
  observe(event: RuntimeEvent): void {
    const learned = this.seen.add(event);
    if (learned.flags === 0 || this.stale) return;
    // A later sighting of a process with a known start changes nothing the tree keeps.
    if (learned.flags === LEARNED.MAX && learned.sighting?.start !== null) return;
    const before = this.state.procs.size;
    if (this.patch(learned)) {
      if (this.state.procs.size !== before) this.version += 1;
      return;
    }
    this.stale = true;
    this.version += 1;
  }

  /** The instance an event came from: by its start time when given, else the instance alive at its time. */
  keyOf(event: RuntimeEvent): ProcKey | null {
    if (event.pid === null || event.pid === undefined) return null;
    return this.resolve(event.pid, event.time_ns, event.process_start_ns ?? null);
  }

  /** pid -> the instance with the latest start <= t not exited before t, else the start-less instance covering t. */
  resolve(pid: number, t: bigint, start: bigint | null = null): ProcKey | null {
    if (start !== null) return procKey(pid, start);
    return this.ensure().find(pid, t)?.key ?? null;
  }

  /** A bound pid without a start: the instance alive when the binding began, else the first one seen in its window. */
  resolveFrom(pid: number, from: bigint, to: bigint | null): ProcKey | null {
    const atStart = this.resolve(pid, from);
    if (atStart !== null) return atStart;
    let best: ProcessInstance | null = null;
    for (const p of this.ensure().instancesOf(pid)) {
      const begin = p.start_ns ?? p.first_seen_ns;
      if (begin < from || (to !== null && begin > to)) continue;
      if (best === null || begin < (best.start_ns ?? best.first_seen_ns)) best = p;
    }
    return best?.key ?? null;
  }

  /** A live view: later observations may update it. */
  get(key: ProcKey): ProcessInstance | undefined {
    return this.ensure().procs.get(key);
  }

  parentOf(key: ProcKey): ProcKey | null {
    return this.ensure().procs.get(key)?.parent ?? null;
  }

  /** Parent, grandparent, ... nearest first; stops at a cycle or MAX_ANCESTRY_DEPTH. */
  ancestors(key: ProcKey): ProcKey[] {
    const procs = this.ensure().procs;
    const out: ProcKey[] = [];
    const visited = new Set<ProcKey>([key]);
    let cur = procs.get(key)?.parent ?? null;
    while (cur !== null && !visited.has(cur) && out.length < MAX_ANCESTRY_DEPTH) {
      out.push(cur);
      visited.add(cur);
      cur = procs.get(cur)?.parent ?? null;
    }
    return out;
  }

  children(key: ProcKey): ProcKey[] {
    return this.ensure().children(key);
  }

  /** Every instance, by pid then start (or first sighting). */
  instances(): ProcessInstance[] {
    return this.ensure().instances();
  }

  private ensure(): TreeState {
    if (this.stale) {
      this.state = buildState(this.seen);
      this.stale = false;
    }
    return this.state;
  }

  /** Apply one event's news to the built tree exactly as a rebuild would, or say it cannot. */
  private patch({ flags, sighting, prevMaxT, prevLabel }: Learned): boolean {
    const s = sighting!;
    const st = this.state;
    // Labels are not part of any key or link, so only other news invalidates callers' caches.
    if (flags & ~(LEARNED.LABEL | LEARNED.MAX)) this.version += 1;
    if (flags & (LEARNED.MIN | LEARNED.LOOSE_CUT)) return false;
    const loose = this.seen.loose;
    if (s.start !== null) {
      const key = procKey(s.pid, s.start);
      // A new instance or exit of a pid also named without a start would move those sightings.
      if ((flags & (LEARNED.NEW | LEARNED.EXIT)) && !st.has(key) && loose.has(s.pid)) return false;
      if (flags & LEARNED.EXIT && loose.has(s.pid)) return false;
      if (flags & LEARNED.NEW && s.ppid !== null && s.pstart !== null && !st.has(procKey(s.ppid, s.pstart)) && loose.has(s.ppid)) return false;
      const p = st.known(s.pid, s.start);
      const exit = this.seen.knownExits.get(key);
      if (exit !== undefined) st.setExit(p, exit.t);
      if (flags & LEARNED.NEW) linkAt(st, p, s, s.minT);
      if (flags & LEARNED.LABEL && s.label !== null) st.offerLabel(p, s.label);
      return true;
    }
    if (flags & LEARNED.LABEL && !(flags & LEARNED.NEW)) {
      // The replaced label went to the instance alive at its time; a rebuild gives the new one there too.
      const p = st.at(s.pid, s.label!.t);
      if (prevLabel !== null && st.find(s.pid, prevLabel.t) !== p) return false;
      st.offerLabel(p, s.label!);
      if (flags === LEARNED.LABEL) return true;
    }
    if (s.ppid !== null && s.pstart !== null && !st.has(procKey(s.ppid, s.pstart)) && loose.has(s.ppid)) return false;
    if (flags & LEARNED.NEW) {
      const p = st.at(s.pid, s.minT);
      linkAt(st, p, s, s.minT);
      if (s.label !== null) st.offerLabel(p, s.label);
      return true;
    }
    // Only MAX is left: a later sighting of a start-less process.
    const pMin = st.find(s.pid, s.minT);
    const pOld = prevMaxT === s.minT ? pMin : st.find(s.pid, prevMaxT!);
    if (pMin === null || pOld !== pMin) return false;
    if (st.find(s.pid, s.maxT) !== pMin) {
      linkAt(st, st.at(s.pid, s.maxT), s, s.maxT);
      this.version += 1;
    }
    return true;
  }
}

/** Seen at t; if the sighting names a parent, the parent existed at t and claims the child. */
function linkAt(st: TreeState, p: ProcessInstance, s: Sighting, t: bigint): void {
  st.seen(p, t);
  if (s.ppid === null) return;
  const parent = s.pstart !== null ? st.known(s.ppid, s.pstart) : st.at(s.ppid, t);
  st.seen(parent, t);
  st.claim(p, { parent: parent.key, fork: s.fork, has_start: s.pstart !== null, t });
}

/** The whole tree from the sightings: known instances and every cut first, since start-less keys depend on them. */
function buildState(seen: ProcessSightings): TreeState {
  const st = new TreeState();
  for (const s of seen.sightings) {
    if (s.start !== null) st.known(s.pid, s.start);
    if (s.ppid !== null && s.pstart !== null) st.known(s.ppid, s.pstart);
  }
  for (const x of seen.knownExits.values()) st.setExit(st.known(x.pid, x.start), x.t);
  for (const [pid, exits] of seen.unknownExits) {
    for (const e of [...exits].sort(cmpBig)) {
      const p = st.aliveKnown(pid, e);
      if (p !== null) st.setExit(p, e);
      else st.addCut(pid, e + 1n);
    }
  }
  for (const [pid, forks] of seen.unknownForks) for (const f of forks) st.addCut(pid, f);
  for (const s of seen.sightings) {
    const pMin = s.start !== null ? st.known(s.pid, s.start) : st.at(s.pid, s.minT);
    linkAt(st, pMin, s, s.minT);
    if (s.maxT !== s.minT && s.start === null) {
      // A start-less sighting may span two lives of its pid; its last point belongs to the later one.
      const pMax = st.at(s.pid, s.maxT);
      if (pMax !== pMin) linkAt(st, pMax, s, s.maxT);
    }
    if (s.label !== null) st.offerLabel(s.start !== null ? pMin : st.at(s.pid, s.label.t), s.label);
  }
  return st;
}
