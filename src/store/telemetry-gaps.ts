/**
 * @module store/telemetry-gaps: the telemetry gaps of a run, the one query the timeline and every summary
 * count from. A loss marker (Falco drops, Tetragon rate limits, the sensor's ring-buffer drops) rarely has a
 * process to attribute it to, so a run's gaps are the markers attributed to it plus every marker inside its
 * window (first scope start to last scope end, open-ended while a scope is open).
 */
import type { RuntimeEvent } from '../model/index.js';
import type { Db } from './open-database.js';
import { listScopes } from './queries.js';
import { eventsOfRows, ROW_COLS, RUN_KINDS, selectRows } from './event-rows.js';

// type 1 is telemetry_loss (migration 007 fixes it), so the partial index event_rows_loss serves these.
const LOSS = `SELECT ${ROW_COLS} FROM event_rows e WHERE e.type = 1`;

/** Loss markers of a run, oldest first, each once. */
export function telemetryGapsOfRun(db: Db, runId: string): RuntimeEvent[] {
  const byId = new Map<string, RuntimeEvent>();
  for (const e of eventsOfRows(db, selectRows(db, `${LOSS} AND e.kind IN (${RUN_KINDS()})`, runId))) byId.set(e.event_id!, e);
  const scopes = listScopes(db, runId);
  if (scopes.length > 0) {
    const from = scopes.reduce((m, s) => (s.started_at_ns < m ? s.started_at_ns : m), scopes[0]!.started_at_ns);
    const open = scopes.some((s) => s.ended_at_ns == null);
    const to = open ? null : scopes.reduce((m, s) => (s.ended_at_ns! > m ? s.ended_at_ns! : m), 0n);
    const rows =
      to === null ? selectRows(db, `${LOSS} AND e.time_ns >= ?`, from) : selectRows(db, `${LOSS} AND e.time_ns BETWEEN ? AND ?`, from, to);
    for (const e of eventsOfRows(db, rows)) if (!byId.has(e.event_id!)) byId.set(e.event_id!, e);
  }
  return [...byId.values()].sort((a, b) => (a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : a.event_id! < b.event_id! ? -1 : 1));
}
