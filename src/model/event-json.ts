/**
 * @module model/event-json: an event's stored JSON body, encoded once.
 *
 * The live path finalizes an event (engine/normalize: its id is the hash of this text without the id)
 * and the storage thread stores the same text, so the body is built once per event and remembered here
 * for the event object it belongs to. Events are not changed once finalized; one that has no remembered
 * body (ingest, a read-back) is encoded when stored.
 */
import type { RuntimeEvent, RuntimeEventInput } from './runtime-event.js';

const bodies = new WeakMap<RuntimeEvent, string>();

/**
 * Plain JSON, the few bigint fields as decimal strings. They are swapped for their text on the event itself
 * for the call and put back, not converted on a copy: a source mixes event shapes (a label here, a cgroup
 * path there), and cloning objects of many shapes takes V8's slow clone path, which cost as much again as the
 * stringify. A frozen event (whose fields cannot be swapped) is converted on a copy. Throws like
 * JSON.stringify on a bigint anywhere else.
 */
export function encodeEventJson(e: RuntimeEvent | RuntimeEventInput): string {
  const ev = e as { time_ns: unknown; process_start_ns?: unknown; parent_start_ns?: unknown };
  const time = ev.time_ns;
  const start = ev.process_start_ns;
  const parentStart = ev.parent_start_ns;
  let swapped = 0;
  let frozen = false;
  try {
    try {
      if (typeof time === 'bigint') (ev.time_ns = time.toString()), (swapped |= 1);
      if (typeof start === 'bigint') (ev.process_start_ns = start.toString()), (swapped |= 2);
      if (typeof parentStart === 'bigint') (ev.parent_start_ns = parentStart.toString()), (swapped |= 4);
    } catch {
      frozen = true; // a read-only field (strict mode throws): put back what was swapped, encode a copy
    }
    if (!frozen) return JSON.stringify(ev);
  } finally {
    if (swapped & 1) ev.time_ns = time;
    if (swapped & 2) ev.process_start_ns = start;
    if (swapped & 4) ev.parent_start_ns = parentStart;
  }
  return encodeOnCopy(e);
}

function encodeOnCopy(e: RuntimeEvent | RuntimeEventInput): string {
  const copy: Record<string, unknown> = { ...e };
  for (const k of ['time_ns', 'process_start_ns', 'parent_start_ns']) if (typeof copy[k] === 'bigint') copy[k] = String(copy[k]);
  return JSON.stringify(copy);
}

/** `text` (a JSON object) with `"name":"value"` added as its last member; `value` needs no escaping. */
export function withLastMember(text: string, name: string, value: string): string {
  return text === '{}' ? `{"${name}":"${value}"}` : `${text.slice(0, -1)},"${name}":"${value}"}`;
}

/** `text` (an event's JSON without its id) with `"event_id"` added as the last member. */
export function withEventId(text: string, eventId: string): string {
  return withLastMember(text, 'event_id', eventId);
}

export function rememberBody(e: RuntimeEvent, body: string): void {
  bodies.set(e, body);
}

/** The body remembered for `e` when it was finalized, else freshly encoded. */
export function eventBody(e: RuntimeEvent): string {
  return bodies.get(e) ?? encodeEventJson(e);
}
