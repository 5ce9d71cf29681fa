/**
 * @module service/event-evidence: risks, decisions and responses with the evidence of the event they are
 * about (model/event-subject), so `security risks`, `security responses` and the timeline name the file,
 * address, socket, request or ids without a trip through `graph explain`.
 */
import { eventEvidence, type EventEvidence, type RuntimeEvent } from '../model/index.js';
import type { StoreQueries } from '../store/index.js';

export type WithEvidence<T> = T & { evidence: EventEvidence | null };

/**
 * Looks events up by id: the run's own events first (one query), then single reads for an event the run no
 * longer claims (a later binding took it). Redacted events come back as their stand-in, as every query shows.
 */
export function evidenceLookup(q: StoreQueries, runId: string, runEvents?: RuntimeEvent[]): (eventId: string | null) => EventEvidence | null {
  const events = new Map((runEvents ?? q.eventsOfRun(runId)).map((e) => [e.event_id!, e]));
  const cache = new Map<string, EventEvidence | null>();
  return (eventId) => {
    if (!eventId) return null;
    let ev = cache.get(eventId);
    if (ev === undefined) {
      const e = events.get(eventId) ?? q.getEvent(eventId);
      ev = e ? eventEvidence(e) : null;
      cache.set(eventId, ev);
    }
    return ev;
  };
}

export function withEvidence<T extends { event_id: string | null }>(
  items: T[],
  lookup: (eventId: string | null) => EventEvidence | null,
): WithEvidence<T>[] {
  return items.map((it) => ({ ...it, evidence: lookup(it.event_id) }));
}
