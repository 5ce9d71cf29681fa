/** @module service/timeline: one time-ordered view of a run: scopes, events, decisions, risks, responses, gaps. */
import type { StoreQueries } from '../store/index.js';
import { eventSubjectText, nsToIso, type EventEvidence, type RuntimeEvent } from '../model/index.js';
import { evidenceLookup } from './event-evidence.js';
import { foldTlsResponses } from './tls-exchanges.js';

export interface TimelineItem {
  time_ns: bigint;
  time: string;
  kind: 'tool_call_start' | 'tool_call_end' | 'event' | 'telemetry_loss' | 'decision' | 'risk' | 'response';
  id: string;
  tool_call_id: string | null;
  summary: string;
  confidence?: number;
  severity?: string;
  /** decision, risk, response: the event it is about (its subject is also at the end of `summary`). */
  evidence?: EventEvidence | null;
  /** event: the TLS reads (responses) shown on this request's line. */
  folded_event_ids?: string[];
}

/** One line per event; the same text risks and responses show as their subject (model/event-subject). */
export function describeEvent(e: RuntimeEvent): string {
  return eventSubjectText(e);
}

/** Every item of a run, oldest first (ties broken by kind then id, so paging is stable). */
export function runTimeline(q: StoreQueries, runId: string): TimelineItem[] {
  const items: TimelineItem[] = [];
  const scopes = q.listScopes(runId);
  for (const s of scopes) {
    const label = `${s.tool_call_id}${s.tool_name ? ` (${s.tool_name})` : ''}`;
    items.push(item(s.started_at_ns, 'tool_call_start', s.binding_id!, s.tool_call_id, `tool call ${label} started`));
    if (s.ended_at_ns != null) {
      items.push(item(s.ended_at_ns, 'tool_call_end', s.binding_id!, s.tool_call_id, `tool call ${label} ended`));
    }
  }
  const corr = new Map(q.correlationsOfRun(runId).map((c) => [c.event_id, c]));
  const events = q.eventsOfRun(runId);
  // Loss markers are listed once, as gaps, from the query the summaries count from.
  for (const { event: e, response, folded } of foldTlsResponses(events.filter((x) => x.type !== 'telemetry_loss'))) {
    const c = corr.get(e.event_id!);
    const status = response ? ` -> ${response}` : '';
    const it = item(e.time_ns, 'event', e.event_id!, c?.tool_call_id ?? null, `${e.type}: ${describeEvent(e)}${status}`);
    if (c) it.confidence = c.confidence;
    if (folded.length > 0) it.folded_event_ids = folded;
    items.push(it);
  }
  for (const e of q.telemetryGapsOfRun(runId)) {
    items.push(item(e.time_ns, 'telemetry_loss', e.event_id!, null, describeEvent(e)));
  }
  const evidenceOf = evidenceLookup(q, runId, events);
  const about = (it: TimelineItem, eventId: string | null): TimelineItem => {
    it.evidence = evidenceOf(eventId);
    if (it.evidence) it.summary += ` [${it.evidence.subject_text}]`;
    return it;
  };
  for (const d of q.decisionsOfRun(runId)) {
    const rules = d.matches.map((m) => m.rule_id).join(', ');
    items.push(about(item(d.time_ns, 'decision', d.decision_id, d.tool_call_id, `decision ${d.action} (rules: ${rules})`), d.event_id));
  }
  for (const r of q.risksOfRun(runId)) {
    const it = about(item(r.time_ns, 'risk', r.risk_id, r.tool_call_id, `risk ${r.severity} ${r.score}: ${r.rule_id}: ${r.reason}`), r.event_id);
    it.severity = r.severity;
    items.push(it);
  }
  for (const r of q.responsesOfRun(runId)) {
    items.push(about(item(r.time_ns, 'response', r.response_id, r.tool_call_id, `response ${r.action} ${r.result}: ${r.detail}`), r.event_id));
  }
  const order = ['tool_call_start', 'event', 'telemetry_loss', 'decision', 'risk', 'response', 'tool_call_end'];
  items.sort((a, b) =>
    a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : order.indexOf(a.kind) - order.indexOf(b.kind) || (a.id < b.id ? -1 : 1),
  );
  return items;
}

function item(
  time_ns: bigint,
  kind: TimelineItem['kind'],
  id: string,
  tool_call_id: string | null,
  summary: string,
): TimelineItem {
  return { time_ns, time: nsToIso(time_ns), kind, id, tool_call_id, summary };
}

/** Offset paging: the cursor is the index of the next item, opaque to callers. */
export function page<T>(items: T[], limit: number, cursor: string | undefined): { items: T[]; next_cursor: string | null } {
  const start = cursor ? Number.parseInt(Buffer.from(cursor, 'base64url').toString(), 10) || 0 : 0;
  const slice = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
  return { items: slice, next_cursor: next };
}
