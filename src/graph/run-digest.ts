/**
 * @module graph/run-digest: what a run's graph needs of its events, folded one event at a time.
 *
 * Most events of a build or an install are read-only opens, writes, execs and connects no rule judged; the
 * graph shows them through their process: reads as one summary (count and path set), files changed and
 * endpoints reached as edges to those objects, starts and execs in the process node itself. The events stay
 * in the store (their blocks are ledgered); the digest keeps that summary, and the events that become
 * nodes of their own: the judged ones, and kinds a summary has no place for. Every part is order-independent (sets, counts, folds with ranked ties, events
 * sorted when the graph is drawn), so a digest fed as events arrive gives the graph a full re-derivation
 * gives: deriveRunGraph itself builds one from the events it is handed.
 */
import { opensForWrite, type Correlation, type RuntimeEvent } from '../model/index.js';
import { summaryOf } from './event-objects.js';
import { fallbackProcessKey, ProcessFold } from './run-processes.js';

export interface KeptEvent {
  event: RuntimeEvent;
  correlation: Correlation | null;
  /** Its process key, or null for an event with no pid. */
  pkey: string | null;
}

export interface FileReads {
  count: number;
  paths: Set<string>;
}

export class RunEventDigest {
  /** Process key -> the tool call ids its events are attributed to (a process with none is still drawn). */
  readonly procCalls = new Map<string, Set<string>>();
  readonly processes = new ProcessFold();
  /** Process key -> its unjudged read-only opens. */
  readonly reads = new Map<string, FileReads>();
  /** Process key -> the files its unjudged writes, renames and unlinks named (the events stay in the store). */
  readonly touched = new Map<string, Set<string>>();
  /** Process key -> the endpoints its unjudged connects, TLS requests and DNS queries reached. */
  readonly connected = new Map<string, Set<string>>();
  /** Events that are nodes of their own: judged ones, and those the process summaries have no place for. */
  readonly kept: KeptEvent[] = [];
  /** Event ids seen: a digest counts an event once. */
  readonly #seen = new Set<string>();

  get events(): number {
    return this.#seen.size;
  }

  /**
   * Folds in one event. `judged`: a decision was made on it (a judged read keeps its own node).
   * `processKey`: the correlator's key for an event without a start time (else read off the event).
   */
  add(event: RuntimeEvent, correlation: Correlation | null, judged: boolean, processKey?: string | null): void {
    const id = event.event_id;
    if (id !== undefined) {
      if (this.#seen.has(id)) return;
      this.#seen.add(id);
    }
    this.processes.add(event);
    const pkey = processKey !== undefined ? processKey : fallbackProcessKey(event);
    if (pkey !== null) {
      let calls = this.procCalls.get(pkey);
      if (!calls) this.procCalls.set(pkey, (calls = new Set()));
      if (correlation?.tool_call_id) calls.add(correlation.tool_call_id);
      if (!judged && isPlainRead(event)) {
        let r = this.reads.get(pkey);
        if (!r) this.reads.set(pkey, (r = { count: 0, paths: new Set() }));
        r.count++;
        r.paths.add(event.path!);
        return;
      }
      const summary = judged ? null : summaryOf(event);
      if (summary !== null) {
        for (const path of summary.files) addTo(this.touched, pkey, path);
        if (summary.endpoint !== null) addTo(this.connected, pkey, summary.endpoint);
        return;
      }
    }
    this.kept.push({ event, correlation, pkey });
  }
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** An open that only reads, with its flags known (a source without flags cannot tell, so it keeps a node). */
export function isPlainRead(e: RuntimeEvent): boolean {
  if (e.type !== 'file_open' || typeof e.path !== 'string' || e.path === '' || !e.open_flags || e.open_flags.length === 0) return false;
  return !opensForWrite(e.open_flags);
}
