/**
 * @module store/telemetry-gaps: the telemetry gaps of a run, the one query the timeline and every summary
 * count from. A loss marker (Falco drops, Tetragon rate limits, the sensor's ring-buffer drops) rarely has a
 * process to attribute it to, so a run's gaps are the markers attributed to it plus every marker inside its
 * window (first scope start to last scope end, open-ended while a scope is open).
 */
import type { RuntimeEvent } from '../model/index.js';
import { decodeEvent } from './codec.js';
import type { Db } from './open-database.js';
import { listScopes } from './queries.js';
import { currentRowSql } from './versioned-rows.js';

const CUR_CORR = currentRowSql('correlations', 'c');

/** Loss markers of a run, oldest first, each once. */
export function telemetryGapsOfRun(db: Db, runId: string): RuntimeEvent[] {
  const byId = new Map<string, RuntimeEvent>();
  const attributed = db
    .prepare(
      `SELECT e.body FROM events e JOIN correlations c ON c.event_id = e.event_id
       WHERE e.type = 'telemetry_loss' AND c.run_id = ? AND ${CUR_CORR}`,
    )
    .all(runId) as { body: string }[];
  for (const r of attributed) {
    const e = decodeEvent(r.body);
    byId.set(e.event_id!, e);
  }
  const scopes = listScopes(db, runId);
  if (scopes.length > 0) {
    const from = scopes.reduce((m, s) => (s.started_at_ns < m ? s.started_at_ns : m), scopes[0]!.started_at_ns);
    const open = scopes.some((s) => s.ended_at_ns == null);
    const to = open ? null : scopes.reduce((m, s) => (s.ended_at_ns! > m ? s.ended_at_ns! : m), 0n);
    const rows = (
      to === null
        ? db.prepare(`SELECT body FROM events WHERE type = 'telemetry_loss' AND time_ns >= ?`).all(from)
        : db.prepare(`SELECT body FROM events WHERE type = 'telemetry_loss' AND time_ns BETWEEN ? AND ?`).all(from, to)
    ) as { body: string }[];
    for (const r of rows) {
      const e = decodeEvent(r.body);
      if (!byId.has(e.event_id!)) byId.set(e.event_id!, e);
    }
  }
  return [...byId.values()].sort((a, b) => (a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : a.event_id! < b.event_id! ? -1 : 1));
}
