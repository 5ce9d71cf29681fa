/** @module store/storage-protocol: the messages and shared counters between the storage thread and its owner. */
import type { MessagePort } from 'node:worker_threads';
import type { BatchStats, EventVerdict } from '../engine/index.js';
import type { Correlation, RuntimeEvent } from '../model/index.js';
import { encodeEvent } from './codec.js';
import { verdictRows } from './verdict-writer.js';
import { sameKind } from './correlation-log.js';

/**
 * Indexes into the shared BigInt64Array: last written request seq, events written, a fatal failure, and the
 * last seq the owner gave up on (a stop with a time budget: the worker skips those requests, counting them).
 */
export const DONE_SEQ = 0;
export const DONE_EVENTS = 1;
export const FAILED = 2;
export const ABANDON_SEQ = 3;
export const SHARED_SLOTS = 4;

export interface StorageWorkerData {
  dataDir: string;
  keyFile?: string;
  shared: SharedArrayBuffer;
  requests: MessagePort;
  results: MessagePort;
}

/**
 * A judged burst, or the last message, as columns. Structured clone copies a typed array or one long string
 * at memory speed but walks an array of values one by one (and a bigint or a short string per event is an
 * object on both sides), so every per-event field crosses as bytes: the bodies and ids as UTF-8 / one
 * string with their ends, times as int64, pids as float64, and the few distinct strings of a burst (types,
 * sources, cgroups, containers) once each in `strings` with an index per event. The typed arrays are
 * transferred, not copied. A verdict names its event by index; its rows cross only when there is a decision.
 */
export interface StorageRequest {
  seq: number;
  count: number;
  /** The events' stored bodies (store/codec) as UTF-8, one after another; body i ends at `ends[i]`. */
  bodies: Uint8Array;
  ends: Uint32Array;
  /** The event ids, one after another; id i ends at `idEnds[i]`. */
  ids: string;
  idEnds: Uint32Array;
  times: BigInt64Array;
  /** process_start_ns, NO_NS when there is none. */
  starts: BigInt64Array;
  /** NaN when there is none. */
  pids: Float64Array;
  /** Per event, 4 indexes into `strings` (type, source, cgroup, container); 0 is null. */
  refs: Uint32Array;
  strings: (string | null)[];
  /** A time outside int64 (the row cannot hold it; the worker's insert says so): [event, column, value]. */
  wide: [number, 'time_ns' | 'process_start_ns', bigint][];
  /** Per verdict: its event's index, its correlation kind's index in `kinds`, its rows' index in `rows` or -1. */
  verdicts: Int32Array;
  rows: unknown[][];
  kinds: unknown[];
  batchId: string | null;
  close?: true;
}

export const VERDICT_FIELDS = 3;
export const KIND_FIELDS = 7;
const REF_FIELDS = 4;
/** "No process start" in `starts` (a start time is never the most negative int64). */
const NO_NS = -(1n << 63n);

/** A request with no events (the last message, or an empty burst). */
export function emptyRequest(seq: number): StorageRequest {
  return {
    seq, count: 0, bodies: new Uint8Array(0), ends: new Uint32Array(0), ids: '', idEnds: new Uint32Array(0),
    times: new BigInt64Array(0), starts: new BigInt64Array(0), pids: new Float64Array(0), refs: new Uint32Array(0),
    strings: [null], wide: [], verdicts: new Int32Array(0), rows: [], kinds: [], batchId: null,
  };
}

/** The buffers a request's postMessage transfers. */
export function transferablesOf(req: StorageRequest): ArrayBuffer[] {
  return [req.bodies, req.ends, req.idEnds, req.times, req.starts, req.pids, req.refs, req.verdicts].map((a) => a.buffer as ArrayBuffer);
}

type EventColumns = Pick<StorageRequest, 'bodies' | 'ends' | 'ids' | 'idEnds' | 'times' | 'starts' | 'pids' | 'refs' | 'strings' | 'wide'>;

/**
 * Each event's id and row columns, and the stored bodies (store/codec) as UTF-8, in a buffer from `alloc`
 * (the thread's pool: on this VM the first touch of fresh pages costs more than encoding into them).
 */
export function wireEvents(events: readonly RuntimeEvent[], alloc: (bytes: number) => Buffer = (b) => Buffer.allocUnsafeSlow(b)): EventColumns {
  const n = events.length;
  const texts: string[] = new Array(n);
  let room = 0;
  for (let i = 0; i < n; i++) room += (texts[i] = encodeEvent(events[i]!)).length * 3;
  const bodies = alloc(room);
  const ends = new Uint32Array(n);
  const idEnds = new Uint32Array(n);
  const times = new BigInt64Array(n);
  const starts = new BigInt64Array(n);
  const pids = new Float64Array(n);
  const refs = new Uint32Array(n * REF_FIELDS);
  const strings: (string | null)[] = [null];
  const index = new Map<string, number>();
  const ref = (s: string | null | undefined): number => {
    if (s === null || s === undefined) return 0;
    let k = index.get(s);
    if (k === undefined) index.set(s, (k = strings.push(s) - 1));
    return k;
  };
  const wide: EventColumns['wide'] = [];
  const ids: string[] = new Array(n);
  let at = 0;
  let idAt = 0;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    // Buffer#write: measured ~30% faster than TextEncoder#encodeInto on bodies, and no subarray per body
    at += bodies.write(texts[i]!, at, 'utf8');
    ends[i] = at;
    const id = (ids[i] = e.event_id!);
    idEnds[i] = idAt += id.length;
    times[i] = e.time_ns;
    if (times[i] !== e.time_ns) wide.push([i, 'time_ns', e.time_ns]);
    const start = e.process_start_ns;
    starts[i] = start ?? NO_NS;
    if (start !== null && start !== undefined && starts[i] !== start) wide.push([i, 'process_start_ns', start]);
    pids[i] = e.pid ?? NaN;
    const r = i * REF_FIELDS;
    refs[r] = ref(e.type);
    refs[r + 1] = ref(e.source);
    refs[r + 2] = ref(e.cgroup_id);
    refs[r + 3] = ref(e.container_id);
  }
  return { bodies: bodies.subarray(0, at), ends, ids: ids.join(''), idEnds, times, starts, pids, refs, strings, wide };
}

/** The events as the block writer needs them: the row's fields (the rest is in the body, as UTF-8 bytes). */
export function unwireEvents(req: EventColumns): { event: RuntimeEvent; body: Uint8Array }[] {
  const n = req.ends.length;
  for (const a of [req.idEnds, req.times, req.starts, req.pids]) {
    if (a.length !== n) throw new Error(`storage request: ${n} bodies but ${a.length} values of a column`);
  }
  if (req.refs.length !== n * REF_FIELDS) throw new Error(`storage request: ${n} bodies but ${req.refs.length / REF_FIELDS} string refs`);
  const s = req.strings;
  const out: { event: RuntimeEvent; body: Uint8Array }[] = new Array(n);
  for (let i = 0, r = 0; i < n; i++, r += REF_FIELDS) {
    const start = req.starts[i]!;
    const pid = req.pids[i]!;
    const event = {
      event_id: req.ids.slice(i === 0 ? 0 : req.idEnds[i - 1]!, req.idEnds[i]!),
      time_ns: req.times[i]!,
      type: s[req.refs[r]!],
      source: s[req.refs[r + 1]!],
      pid: Number.isNaN(pid) ? undefined : pid,
      process_start_ns: start === NO_NS ? null : start,
      cgroup_id: s[req.refs[r + 2]!],
      container_id: s[req.refs[r + 3]!],
    } as unknown as RuntimeEvent;
    out[i] = { event, body: req.bodies.subarray(i === 0 ? 0 : req.ends[i - 1]!, req.ends[i]!) };
  }
  for (const [i, col, v] of req.wide) (out[i]!.event as unknown as Record<string, bigint>)[col] = v;
  return out;
}

/**
 * Each verdict as its event's index in `events`, the index of its correlation's kind (everything but the
 * event id) in `kinds`, and its decision, risks and responses as rows with their bodies encoded
 * (store/verdict-writer verdictRows), only when there is a decision.
 */
export function wireVerdicts(events: readonly RuntimeEvent[], verdicts: readonly EventVerdict[]): Pick<StorageRequest, 'verdicts' | 'rows' | 'kinds'> {
  const out = new Int32Array(verdicts.length * VERDICT_FIELDS);
  const rows: unknown[][] = [];
  // judged batches keep verdict i with event i; a map only when that does not hold
  let at: Map<string, number> | null = null;
  // one correlation standing for each kind seen, in order; consecutive events mostly share the last one
  const seen: Correlation[] = [];
  let last = -1;
  let o = 0;
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i]!;
    let e = events[i]?.event_id === v.event_id ? i : -1;
    if (e < 0) {
      at ??= new Map(events.map((ev, j) => [ev.event_id!, j]));
      e = at.get(v.event_id) ?? -1;
      if (e < 0) throw new Error(`storage request: a verdict of event ${v.event_id}, which is not in the burst`);
    }
    const c = v.correlation;
    let k = last >= 0 && sameKind(seen[last]!, c) ? last : seen.findIndex((s) => sameKind(s, c));
    if (k < 0) k = seen.push(c) - 1;
    last = k;
    const r = verdictRows(v);
    out[o++] = e;
    out[o++] = k;
    out[o++] = r ? rows.push(r) - 1 : -1;
  }
  const kinds: unknown[] = [];
  for (const c of seen) kinds.push(c.binding_id, c.run_id, c.tool_call_id, c.tier, c.confidence, c.keys_matched, c.reason);
  return { verdicts: out, rows, kinds };
}

/** Each verdict's correlation and its encoded rows (null: no decision); `eventIds` by index in the burst. */
export function unwireVerdicts(req: Pick<StorageRequest, 'verdicts' | 'rows' | 'kinds'>, eventIds: readonly string[]): { correlation: Correlation; rows: unknown[] | null }[] {
  const flat = req.verdicts;
  const kinds = req.kinds;
  const out: { correlation: Correlation; rows: unknown[] | null }[] = [];
  for (let o = 0; o < flat.length; o += VERDICT_FIELDS) {
    const eventId = eventIds[flat[o]!];
    if (eventId === undefined) throw new Error(`storage request: a verdict of event ${flat[o]}, past the burst's ${eventIds.length}`);
    const k = flat[o + 1]! * KIND_FIELDS;
    const correlation = {
      event_id: eventId,
      binding_id: kinds[k],
      run_id: kinds[k + 1],
      tool_call_id: kinds[k + 2],
      tier: kinds[k + 3],
      confidence: kinds[k + 4],
      keys_matched: kinds[k + 5],
      reason: kinds[k + 6],
    } as Correlation;
    const r = flat[o + 2]!;
    out.push({ correlation, rows: r < 0 ? null : req.rows[r]! });
  }
  return out;
}

/** What one request stored: the counts are of the new events and their verdicts (duplicates' are dropped). */
export interface StorageResult extends BatchStats {
  seq: number;
  error?: string;
  /** Events of a request the owner gave up on before it was written (not stored, counted). */
  abandoned?: number;
  /** The request's bodies buffer, handed back (transferred) once written, for the owner to reuse. */
  spare?: ArrayBuffer;
}
