/** @module store/codec: stored JSON bodies <-> model objects (bigint ns fields travel as decimal strings). */
import { eventBody, toJsonText, type RuntimeEvent, type ToolCallScope, type PolicyDecision, type RiskSignal, type ResponseAction } from '../model/index.js';

const EVENT_NS_FIELDS = ['time_ns', 'process_start_ns', 'parent_start_ns'] as const;

/**
 * Stored bodies are plain JSON with bigint as decimal strings. They need not be canonical: nothing hashes
 * the stored text (verify re-canonicalizes what it reads), and JSON.stringify is several times faster.
 */
export function encodeBody(value: unknown): string {
  // A replacer makes JSON.stringify several times slower. Bodies carry their bigints at the top level
  // (time_ns, latency_ns): convert those on a shallow copy; a nested one makes stringify throw, and the
  // replacer then handles it (the same text either way).
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const k in copy) if (typeof copy[k] === 'bigint') copy[k] = (copy[k] as bigint).toString();
    try {
      return JSON.stringify(copy);
    } catch {
      /* a nested bigint */
    }
  }
  return toJsonText(value);
}

/** An event's body: the one finalizeEvent built for it, else encoded now (model/event-json). */
export function encodeEvent(e: RuntimeEvent): string {
  return eventBody(e);
}

function reviveNs<T>(obj: Record<string, unknown>, fields: readonly string[]): T {
  for (const f of fields) {
    const v = obj[f];
    if (typeof v === 'string') obj[f] = BigInt(v);
  }
  return obj as T;
}

export function decodeEvent(body: string): RuntimeEvent {
  return reviveNs<RuntimeEvent>(JSON.parse(body) as Record<string, unknown>, EVENT_NS_FIELDS);
}

export function decodeScope(body: string): ToolCallScope {
  const s = reviveNs<ToolCallScope>(JSON.parse(body) as Record<string, unknown>, ['started_at_ns', 'ended_at_ns']);
  for (const p of s.pids) if (typeof p.start_ns === 'string') p.start_ns = BigInt(p.start_ns);
  return s;
}

export function decodeDecision(body: string): PolicyDecision {
  return reviveNs<PolicyDecision>(JSON.parse(body) as Record<string, unknown>, ['time_ns']);
}

export function decodeRisk(body: string): RiskSignal {
  return reviveNs<RiskSignal>(JSON.parse(body) as Record<string, unknown>, ['time_ns']);
}

export function decodeResponse(body: string): ResponseAction {
  return reviveNs<ResponseAction>(JSON.parse(body) as Record<string, unknown>, ['time_ns', 'latency_ns']);
}
