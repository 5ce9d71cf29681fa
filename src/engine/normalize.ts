/** @module engine/normalize: completes a mapped event (ISO time, content-addressed id) before it is stored. */
import { contentHash } from '../graph/index.js';
import { nsToIso, type RuntimeEvent, type RuntimeEventInput } from '../model/index.js';

function toNs(v: unknown): bigint | null | undefined {
  if (v === undefined || v === null || typeof v === 'bigint') return v;
  return BigInt(v as string | number);
}

/**
 * Mappers build well-typed events directly (zod on the hot path would cost more than the whole budget per
 * line); this fills what every stored event must have. An event without an id gets the hash of its content.
 */
export function finalizeEvent(input: RuntimeEventInput): RuntimeEvent {
  const e = input as RuntimeEvent;
  e.time_ns = toNs(input.time_ns)!;
  if (input.process_start_ns !== undefined) e.process_start_ns = toNs(input.process_start_ns);
  if (input.parent_start_ns !== undefined) e.parent_start_ns = toNs(input.parent_start_ns);
  e.host ??= '';
  e.time ??= nsToIso(e.time_ns);
  e.event_id ??= contentHash({ v: 'agentprov.event/v1', ...e });
  return e;
}
