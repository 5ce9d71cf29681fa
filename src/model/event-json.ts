/**
 * @module model/event-json: an event's stored JSON body, encoded once.
 *
 * The live path finalizes an event (engine/normalize: its id is the hash of this text without the id)
 * and the storage thread stores the same text, so the body is built once per event and remembered here
 * for the event object it belongs to. Events are not changed once finalized; one that has no remembered
 * body (ingest, a read-back) is encoded when stored.
 */
import type { RuntimeEvent } from './runtime-event.js';

const bodies = new WeakMap<RuntimeEvent, string>();

/** Plain JSON, the few bigint fields as decimal strings, converted on a shallow copy (a replacer is slower). */
export function encodeEventJson(e: RuntimeEvent): string {
  const copy: Record<string, unknown> = { ...e, time_ns: e.time_ns.toString() };
  if (typeof e.process_start_ns === 'bigint') copy.process_start_ns = e.process_start_ns.toString();
  if (typeof e.parent_start_ns === 'bigint') copy.parent_start_ns = e.parent_start_ns.toString();
  return JSON.stringify(copy);
}

/** `text` (an event's JSON without its id) with `"event_id"` added as the last member. */
export function withEventId(text: string, eventId: string): string {
  return text === '{}' ? `{"event_id":"${eventId}"}` : `${text.slice(0, -1)},"event_id":"${eventId}"}`;
}

export function rememberBody(e: RuntimeEvent, body: string): void {
  bodies.set(e, body);
}

/** The body remembered for `e` when it was finalized, else freshly encoded. */
export function eventBody(e: RuntimeEvent): string {
  return bodies.get(e) ?? encodeEventJson(e);
}
