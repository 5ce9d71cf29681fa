/** @module store/storage-protocol: the messages and shared counters between the storage thread and its owner. */
import type { MessagePort } from 'node:worker_threads';
import type { BatchStats, EventVerdict } from '../engine/index.js';
import type { Correlation, RuntimeEvent } from '../model/index.js';
import { encodeEvent } from './codec.js';

/** Indexes into the shared BigInt64Array: last written request seq, events written, a fatal failure. */
export const DONE_SEQ = 0;
export const DONE_EVENTS = 1;
export const FAILED = 2;
export const SHARED_SLOTS = 3;

export interface StorageWorkerData {
  dataDir: string;
  keyFile?: string;
  shared: SharedArrayBuffer;
  requests: MessagePort;
  results: MessagePort;
}

/**
 * A judged burst, or the last message. Flat arrays of primitives: structured clone copies those several
 * times faster than one object per event, and the worker needs only the body and the row's columns.
 * `events`: EVENT_FIELDS values per event (see wireEvents); `verdicts`: VERDICT_FIELDS per verdict.
 */
export interface StorageRequest {
  seq: number;
  count: number;
  /** The events' bodies, one string each: cloning the array costs half of joining them and cloning one string. */
  bodies: string[];
  events: unknown[];
  verdicts: unknown[];
  batchId: string | null;
  close?: true;
}

export const EVENT_FIELDS = 8;
export const VERDICT_FIELDS = 9;

/** Each event's id and row columns, flat, and the stored bodies (store/codec). */
export function wireEvents(events: readonly RuntimeEvent[]): { events: unknown[]; bodies: string[] } {
  const out: unknown[] = new Array(events.length * EVENT_FIELDS);
  const bodies: string[] = new Array(events.length);
  let o = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    bodies[i] = encodeEvent(e);
    out[o++] = e.event_id;
    out[o++] = e.time_ns;
    out[o++] = e.type;
    out[o++] = e.source;
    out[o++] = e.pid ?? null;
    out[o++] = e.process_start_ns ?? null;
    out[o++] = e.cgroup_id ?? null;
    out[o++] = e.container_id ?? null;
  }
  return { events: out, bodies };
}

/** The events as the block writer needs them: the row's fields (the rest is in the body). */
export function unwireEvents(flat: readonly unknown[], bodies: readonly string[]): { event: RuntimeEvent; body: string }[] {
  if (bodies.length * EVENT_FIELDS !== flat.length) throw new Error(`storage request: ${bodies.length} bodies for ${flat.length / EVENT_FIELDS} events`);
  const out: { event: RuntimeEvent; body: string }[] = [];
  for (let o = 0, i = 0; o < flat.length; o += EVENT_FIELDS, i++) {
    const event = {
      event_id: flat[o],
      time_ns: flat[o + 1],
      type: flat[o + 2],
      source: flat[o + 3],
      pid: flat[o + 4] ?? undefined,
      process_start_ns: flat[o + 5],
      cgroup_id: flat[o + 6],
      container_id: flat[o + 7],
    } as unknown as RuntimeEvent;
    out.push({ event, body: bodies[i]! });
  }
  return out;
}

/** Each verdict's correlation flat; decision, risks and responses (few) as objects, only when there is a decision. */
export function wireVerdicts(verdicts: readonly EventVerdict[]): unknown[] {
  const out: unknown[] = new Array(verdicts.length * VERDICT_FIELDS);
  let o = 0;
  for (const v of verdicts) {
    const c = v.correlation;
    out[o++] = v.event_id;
    out[o++] = c.binding_id;
    out[o++] = c.run_id;
    out[o++] = c.tool_call_id;
    out[o++] = c.tier;
    out[o++] = c.confidence;
    out[o++] = c.keys_matched;
    out[o++] = c.reason;
    out[o++] = v.decision ? { decision: v.decision, risks: v.risks, responses: v.responses } : null;
  }
  return out;
}

export function unwireVerdicts(flat: readonly unknown[]): EventVerdict[] {
  const out: EventVerdict[] = [];
  for (let o = 0; o < flat.length; o += VERDICT_FIELDS) {
    const event_id = flat[o] as string;
    const correlation = {
      event_id,
      binding_id: flat[o + 1],
      run_id: flat[o + 2],
      tool_call_id: flat[o + 3],
      tier: flat[o + 4],
      confidence: flat[o + 5],
      keys_matched: flat[o + 6],
      reason: flat[o + 7],
    } as Correlation;
    const rest = flat[o + 8] as Pick<EventVerdict, 'decision' | 'risks' | 'responses'> | null;
    out.push(rest ? { event_id, correlation, ...rest } : { event_id, correlation, decision: null, risks: [], responses: [] });
  }
  return out;
}

/** What one request stored: the counts are of the new events and their verdicts (duplicates' are dropped). */
export interface StorageResult extends BatchStats {
  seq: number;
  error?: string;
}
