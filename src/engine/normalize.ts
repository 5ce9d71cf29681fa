/**
 * @module engine/normalize: completes a mapped event (secrets redacted, ISO time, content-addressed id) before
 * it is judged and stored.
 */
import { sha256Hex } from '../graph/index.js';
import {
  encodeEventJson,
  nsToIso,
  redactEvent,
  rememberBody,
  withEventId,
  type Fingerprint,
  type RuntimeEvent,
  type RuntimeEventInput,
} from '../model/index.js';

function toNs(v: unknown): bigint | null | undefined {
  if (v === undefined || v === null || typeof v === 'bigint') return v;
  return BigInt(v as string | number);
}

/**
 * Mappers build well-typed events directly (zod on the hot path would cost more than the whole budget per
 * line); this fills what every stored event must have. An event without an id gets the hash of its content.
 *
 * Secrets in argv, TLS paths and producer text are redacted first (model/redact), so the event that is
 * hashed, judged, stored, signed and shown is the redacted one, and a later re-judgement sees what the live
 * one saw. `fingerprint` is the data dir's keyed fingerprint; without one (or when called as a map callback,
 * whose second argument is an index) secrets are replaced by a plain `[REDACTED]`.
 */
export function finalizeEvent(input: RuntimeEventInput, fingerprint?: Fingerprint | number): RuntimeEvent {
  const e = redactEvent(input as RuntimeEvent, typeof fingerprint === 'function' ? fingerprint : null);
  e.time_ns = toNs(input.time_ns)!;
  if (input.process_start_ns !== undefined) e.process_start_ns = toNs(input.process_start_ns);
  if (input.parent_start_ns !== undefined) e.parent_start_ns = toNs(input.parent_start_ns);
  e.host ??= '';
  e.time ??= nsToIso(e.time_ns);
  if (e.event_id == null) {
    // (a null id would be written into the text; an undefined member is left out)
    if (e.event_id === null) delete (e as { event_id?: string | null }).event_id;
    // The id hashes the event's JSON (fields in the order its producer built them: producers build each
    // kind in one fixed order); that same text, id added, is the body the store keeps (model/event-json).
    const text = encodeEventJson(e);
    e.event_id = sha256Hex(`agentprov.event/v2\n${text}`);
    rememberBody(e, withEventId(text, e.event_id));
  }
  return e;
}
