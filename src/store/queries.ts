/** @module store/queries: reads over the evidence store, returning model objects. */
import type {
  Correlation,
  DagEdge,
  DagNode,
  IngestManifest,
  PolicyDecision,
  ResponseAction,
  RiskSignal,
  RuntimeEvent,
  ToolCallScope,
} from '../model/index.js';
import type { Db } from './open-database.js';
import { decodeDecision, decodeEvent, decodeResponse, decodeRisk, decodeScope } from './codec.js';

interface BodyRow {
  body: string;
}

export function listScopes(db: Db, runId?: string): ToolCallScope[] {
  const rows = runId
    ? (db.prepare('SELECT body FROM scopes WHERE run_id = ? ORDER BY started_at_ns').all(runId) as BodyRow[])
    : (db.prepare('SELECT body FROM scopes ORDER BY started_at_ns').all() as BodyRow[]);
  return rows.map((r) => decodeScope(r.body));
}

export function listRuns(db: Db): { run_id: string; tool_calls: number; events: number }[] {
  return db
    .prepare(
      `SELECT s.run_id AS run_id, COUNT(DISTINCT s.tool_call_id) AS tool_calls,
         (SELECT COUNT(*) FROM correlations c WHERE c.run_id = s.run_id) AS events
       FROM scopes s GROUP BY s.run_id ORDER BY MIN(s.started_at_ns)`,
    )
    .all() as { run_id: string; tool_calls: number; events: number }[];
}

export function runExists(db: Db, runId: string): boolean {
  return db.prepare('SELECT 1 FROM scopes WHERE run_id = ? LIMIT 1').get(runId) !== undefined;
}

/** Every stored event in time order, as a lazy iterator (a million events do not sit in memory as rows). */
export function* iterateEvents(db: Db): Generator<RuntimeEvent> {
  const stmt = db.prepare('SELECT body FROM events ORDER BY time_ns, event_id');
  for (const row of stmt.iterate() as IterableIterator<BodyRow>) yield decodeEvent(row.body);
}

export function eventsOfRun(db: Db, runId: string): RuntimeEvent[] {
  const rows = db
    .prepare(
      `SELECT e.body FROM events e JOIN correlations c ON c.event_id = e.event_id
       WHERE c.run_id = ? ORDER BY e.time_ns, e.event_id`,
    )
    .all(runId) as BodyRow[];
  return rows.map((r) => decodeEvent(r.body));
}

export function getEvent(db: Db, eventId: string): RuntimeEvent | null {
  const row = db.prepare('SELECT body FROM events WHERE event_id = ?').get(eventId) as BodyRow | undefined;
  return row ? decodeEvent(row.body) : null;
}

interface CorrelationRow {
  event_id: string;
  binding_id: string | null;
  run_id: string | null;
  tool_call_id: string | null;
  tier: Correlation['tier'];
  confidence: number;
  keys_matched: string;
  reason: string;
}

function toCorrelation(r: CorrelationRow): Correlation {
  return { ...r, keys_matched: JSON.parse(r.keys_matched) as string[] };
}

export function correlationsOfRun(db: Db, runId: string): Correlation[] {
  const rows = db
    .prepare(
      `SELECT c.* FROM correlations c JOIN events e ON e.event_id = c.event_id
       WHERE c.run_id = ? ORDER BY e.time_ns, e.event_id`,
    )
    .all(runId) as CorrelationRow[];
  return rows.map(toCorrelation);
}

export function correlationOf(db: Db, eventId: string): Correlation | null {
  const row = db.prepare('SELECT * FROM correlations WHERE event_id = ?').get(eventId) as CorrelationRow | undefined;
  return row ? toCorrelation(row) : null;
}

export function decisionsOfRun(db: Db, runId: string): PolicyDecision[] {
  const rows = db.prepare('SELECT body FROM decisions WHERE run_id = ? ORDER BY time_ns, decision_id').all(runId);
  return (rows as BodyRow[]).map((r) => decodeDecision(r.body));
}

export function risksOfRun(db: Db, runId: string): RiskSignal[] {
  const rows = db.prepare('SELECT body FROM risks WHERE run_id = ? ORDER BY time_ns, risk_id').all(runId);
  return (rows as BodyRow[]).map((r) => decodeRisk(r.body));
}

export function responsesOfRun(db: Db, runId: string): ResponseAction[] {
  const rows = db.prepare('SELECT body FROM responses WHERE run_id = ? ORDER BY time_ns, response_id').all(runId);
  return (rows as BodyRow[]).map((r) => decodeResponse(r.body));
}

interface NodeRow {
  hash: string;
  kind: DagNode['kind'];
  key: string;
  run_id: string | null;
  body: string;
  parents: string;
}

export function nodesOfRun(db: Db, runId: string): DagNode[] {
  const rows = db.prepare('SELECT * FROM dag_nodes WHERE run_id = ? ORDER BY rowid').all(runId) as NodeRow[];
  return rows.map((r) => ({
    hash: r.hash,
    kind: r.kind,
    key: r.key,
    run_id: r.run_id,
    body: JSON.parse(r.body) as Record<string, unknown>,
    parents: JSON.parse(r.parents) as string[],
  }));
}

export function edgesOfRun(db: Db, runId: string): DagEdge[] {
  const rows = db.prepare('SELECT * FROM dag_edges WHERE run_id = ? ORDER BY rowid').all(runId) as {
    hash: string;
    name: DagEdge['name'];
    from_hash: string;
    to_hash: string;
    run_id: string | null;
  }[];
  return rows.map((r) => ({ hash: r.hash, name: r.name, from: r.from_hash, to: r.to_hash, run_id: r.run_id }));
}

/** The stored JSON text of each event of a run, keyed by id: verify compares it with the DAG's copy. */
export function eventBodiesOfRun(db: Db, runId: string): Map<string, string> {
  const rows = db
    .prepare(
      `SELECT e.event_id AS id, e.body AS body FROM events e JOIN correlations c ON c.event_id = e.event_id
       WHERE c.run_id = ?`,
    )
    .all(runId) as { id: string; body: string }[];
  return new Map(rows.map((r) => [r.id, r.body]));
}

export function getManifest(db: Db, batchId: string): IngestManifest | null {
  const row = db.prepare('SELECT * FROM ingest_batches WHERE batch_id = ?').get(batchId) as
    | (Omit<IngestManifest, 'rejected_lines'> & { rejected_lines: string })
    | undefined;
  return row ? { ...row, rejected_lines: JSON.parse(row.rejected_lines) as IngestManifest['rejected_lines'] } : null;
}

export function countRows(db: Db, table: 'events' | 'decisions' | 'risks' | 'responses' | 'correlations'): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}
