/** @module service/run-summary: counts that tell a reviewer at a glance what a run did and how well it was seen. */
import type { Db } from '../store/index.js';
import { correlationsOfRun, decisionsOfRun, eventsOfRun, listScopes, responsesOfRun, risksOfRun } from '../store/index.js';

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
  telemetry_gaps: number;
  top_risks: string[];
}

function bump(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export function summarizeRun(db: Db, runId: string): RunSummary {
  const events = eventsOfRun(db, runId);
  const risks = risksOfRun(db, runId).sort((a, b) => b.score - a.score);
  const s: RunSummary = {
    tool_calls: new Set(listScopes(db, runId).map((x) => x.tool_call_id)).size,
    events: events.length,
    processes: new Set(events.map((e) => `${e.pid}@${e.process_start_ns ?? ''}`)).size,
    by_tier: {},
    by_source: {},
    decisions_by_action: {},
    risks: risks.length,
    max_score: risks[0]?.score ?? 0,
    responses: responsesOfRun(db, runId).length,
    telemetry_gaps: events.filter((e) => e.type === 'telemetry_loss').length,
    top_risks: risks.slice(0, 5).map((r) => `${r.severity} ${r.score} ${r.rule_id}: ${r.reason}`),
  };
  for (const c of correlationsOfRun(db, runId)) bump(s.by_tier, c.tier);
  for (const e of events) bump(s.by_source, e.source);
  for (const d of decisionsOfRun(db, runId)) bump(s.decisions_by_action, d.action);
  return s;
}
