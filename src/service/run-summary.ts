/** @module service/run-summary: counts that tell a reviewer at a glance what a run did and how well it was seen. */
import type { StoreQueries } from '../store/index.js';
import { evidenceLookup } from './event-evidence.js';

export interface RunSummary {
  tool_calls: number;
  events: number;
  processes: number;
  by_tier: Record<string, number>;
  by_source: Record<string, number>;
  decisions_by_action: Record<string, number>;
  risks: number;
  max_score: number;
  responses: number;
  /** Loss markers in the run (attributed to it or inside its window): the timeline's telemetry_loss lines. */
  telemetry_gaps: number;
  /** Events the producers said they lost, summed over those markers (null when none gave a count). */
  events_lost: number | null;
  top_risks: string[];
}

function bump(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export function summarizeRun(q: StoreQueries, runId: string): RunSummary {
  // Gaps come from the query the timeline lists them from; events are the rest, as the timeline shows them.
  const events = q.eventsOfRun(runId).filter((e) => e.type !== 'telemetry_loss');
  const gaps = q.telemetryGapsOfRun(runId);
  const counted = gaps.filter((g) => g.lost_events != null);
  const risks = q.risksOfRun(runId).sort((a, b) => b.score - a.score);
  const evidenceOf = evidenceLookup(q, runId, events);
  const subject = (eventId: string) => {
    const ev = evidenceOf(eventId);
    return ev ? ` [${ev.subject_text}]` : '';
  };
  const s: RunSummary = {
    tool_calls: new Set(q.listScopes(runId).map((x) => x.tool_call_id)).size,
    events: events.length,
    processes: new Set(events.map((e) => `${e.pid}@${e.process_start_ns ?? ''}`)).size,
    by_tier: {},
    by_source: {},
    decisions_by_action: {},
    risks: risks.length,
    max_score: risks[0]?.score ?? 0,
    responses: q.responsesOfRun(runId).length,
    telemetry_gaps: gaps.length,
    events_lost: counted.length > 0 ? counted.reduce((n, g) => n + g.lost_events!, 0) : null,
    top_risks: risks.slice(0, 5).map((r) => `${r.severity} ${r.score} ${r.rule_id}: ${r.reason}${subject(r.event_id)}`),
  };
  for (const c of q.correlationsOfRun(runId)) bump(s.by_tier, c.tier);
  for (const e of events) bump(s.by_source, e.source);
  for (const d of q.decisionsOfRun(runId)) bump(s.decisions_by_action, d.action);
  return s;
}
