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
import { currentRowSql } from './versioned-rows.js';
import { bodyHash } from './row-objects.js';
import { redactedEventIds, type Redaction } from './ledger-records.js';

// Versioned tables hold every version in revisioned and sealed stores: reads take the current live one.
const CUR_SCOPE = currentRowSql('scopes', 's');
const CUR_CORR = currentRowSql('correlations', 'c');
const CUR_DECISION = currentRowSql('decisions', 'd');
const CUR_RISK = currentRowSql('risks', 'r');
const CUR_RESPONSE = currentRowSql('responses', 'r');

/** Fields of an event that say who and when, kept when its content is redacted. */
const IDENTITY_FIELDS = [
  'event_id', 'type', 'source', 'host', 'time_ns', 'time', 'pid', 'tgid', 'ppid', 'process_start_ns',
  'parent_start_ns', 'cgroup_id', 'container_id', 'tool_call_id',
] as const;

/** The stand-in a query shows for a redacted event: identity only, labelled with the redaction. */
export function maskEvent(e: RuntimeEvent, r: Pick<Redaction, 'object_hash' | 'ledger_seq'>): RuntimeEvent {
  const out: Record<string, unknown> = {};
  for (const f of IDENTITY_FIELDS) if (e[f] !== undefined) out[f] = e[f];
  out.labels = { 'agentprov.redacted': r.object_hash, 'agentprov.redacted_seq': String(r.ledger_seq) };
  return out as RuntimeEvent;
}

/** Masks events whose content was redacted; `raw` is for re-derivation and verification only. */
function decodeShown(db: Db, raw: boolean): (body: string) => RuntimeEvent {
  const redacted = raw ? new Map<string, Redaction>() : redactedEventIds(db);
  if (redacted.size === 0) return decodeEvent;
  return (body) => {
    const e = decodeEvent(body);
    const r = redacted.get(e.event_id!);
    return r ? maskEvent(e, r) : e;
  };
}

interface BodyRow {
  body: string;
}

export function listScopes(db: Db, runId?: string): ToolCallScope[] {
  const rows = runId
    ? (db.prepare(`SELECT body FROM scopes s WHERE s.run_id = ? AND ${CUR_SCOPE} ORDER BY started_at_ns`).all(runId) as BodyRow[])
    : (db.prepare(`SELECT body FROM scopes s WHERE ${CUR_SCOPE} ORDER BY started_at_ns`).all() as BodyRow[]);
  return rows.map((r) => decodeScope(r.body));
}

export function listRuns(db: Db): { run_id: string; tool_calls: number; events: number }[] {
  return db
    .prepare(
      `SELECT s.run_id AS run_id, COUNT(DISTINCT s.tool_call_id) AS tool_calls,
         (SELECT COUNT(*) FROM correlations c WHERE c.run_id = s.run_id AND ${CUR_CORR}) AS events
       FROM scopes s WHERE ${CUR_SCOPE} GROUP BY s.run_id ORDER BY MIN(s.started_at_ns)`,
    )
    .all() as { run_id: string; tool_calls: number; events: number }[];
}

export function runExists(db: Db, runId: string): boolean {
  return db.prepare(`SELECT 1 FROM scopes s WHERE s.run_id = ? AND ${CUR_SCOPE} LIMIT 1`).get(runId) !== undefined;
}

/** Every stored event in time order, as a lazy iterator (a million events do not sit in memory as rows). */
export function* iterateEvents(db: Db, opts: { raw?: boolean } = {}): Generator<RuntimeEvent> {
  const decode = decodeShown(db, opts.raw ?? false);
  const stmt = db.prepare('SELECT body FROM events ORDER BY time_ns, event_id');
  for (const row of stmt.iterate() as IterableIterator<BodyRow>) yield decode(row.body);
}

/** A run's events; redacted ones as their stand-in unless `raw` (re-derivation, verification). */
export function eventsOfRun(db: Db, runId: string, opts: { raw?: boolean } = {}): RuntimeEvent[] {
  const rows = db
    .prepare(
      `SELECT e.body FROM events e JOIN correlations c ON c.event_id = e.event_id
       WHERE c.run_id = ? AND ${CUR_CORR} ORDER BY e.time_ns, e.event_id`,
    )
    .all(runId) as BodyRow[];
  const decode = decodeShown(db, opts.raw ?? false);
  return rows.map((r) => decode(r.body));
}

export function getEvent(db: Db, eventId: string, opts: { raw?: boolean } = {}): RuntimeEvent | null {
  const row = db.prepare('SELECT body FROM events WHERE event_id = ?').get(eventId) as BodyRow | undefined;
  return row ? decodeShown(db, opts.raw ?? false)(row.body) : null;
}

/** What the ledger recorded of one event: its entry's seq and the stored body it hashed (null when redacted). */
export function eventLedgerRecord(db: Db, eventId: string): { ledger_seq: number; body_sha256: string; body: string | null } | null {
  const row = db.prepare('SELECT ledger_seq, body FROM events WHERE event_id = ?').get(eventId) as { ledger_seq: number; body: string } | undefined;
  if (!row) return null;
  const redacted = redactedEventIds(db).has(eventId);
  return { ledger_seq: row.ledger_seq, body_sha256: bodyHash(row.body), body: redacted ? null : row.body };
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
  return {
    event_id: r.event_id,
    binding_id: r.binding_id,
    run_id: r.run_id,
    tool_call_id: r.tool_call_id,
    tier: r.tier,
    confidence: r.confidence,
    keys_matched: JSON.parse(r.keys_matched) as string[],
    reason: r.reason,
  };
}

export function correlationsOfRun(db: Db, runId: string): Correlation[] {
  const rows = db
    .prepare(
      `SELECT c.* FROM correlations c JOIN events e ON e.event_id = c.event_id
       WHERE c.run_id = ? AND ${CUR_CORR} ORDER BY e.time_ns, e.event_id`,
    )
    .all(runId) as CorrelationRow[];
  return rows.map(toCorrelation);
}

export function correlationOf(db: Db, eventId: string): Correlation | null {
  const row = db.prepare(`SELECT * FROM correlations c WHERE c.event_id = ? AND ${CUR_CORR}`).get(eventId) as
    | CorrelationRow
    | undefined;
  return row ? toCorrelation(row) : null;
}

export function decisionsOfRun(db: Db, runId: string): PolicyDecision[] {
  const rows = db.prepare(`SELECT body FROM decisions d WHERE d.run_id = ? AND ${CUR_DECISION} ORDER BY time_ns, decision_id`).all(runId);
  return (rows as BodyRow[]).map((r) => decodeDecision(r.body));
}

export function risksOfRun(db: Db, runId: string): RiskSignal[] {
  const rows = db.prepare(`SELECT body FROM risks r WHERE r.run_id = ? AND ${CUR_RISK} ORDER BY time_ns, risk_id`).all(runId);
  return (rows as BodyRow[]).map((r) => decodeRisk(r.body));
}

export function responsesOfRun(db: Db, runId: string): ResponseAction[] {
  const rows = db.prepare(`SELECT body FROM responses r WHERE r.run_id = ? AND ${CUR_RESPONSE} ORDER BY time_ns, response_id`).all(runId);
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

/** The latest derivation of a run's DAG (null for a store written before migration 002). */
export function latestRunGraph(db: Db, runId: string): { ledger_seq: number; root: string; nodes: string[]; edges: string[] } | null {
  const row = db.prepare('SELECT * FROM run_graphs WHERE run_id = ? ORDER BY ledger_seq DESC LIMIT 1').get(runId) as
    | { ledger_seq: number; root: string; nodes: string; edges: string }
    | undefined;
  if (!row) return null;
  return { ledger_seq: row.ledger_seq, root: row.root, nodes: JSON.parse(row.nodes) as string[], edges: JSON.parse(row.edges) as string[] };
}

/** Rows of the latest derivation in derivation order (a missing row is simply absent: verify counts them). */
function derivationRows<T>(db: Db, runId: string, table: 'dag_nodes' | 'dag_edges', list: 'nodes' | 'edges'): T[] {
  const latest = db.prepare('SELECT 1 FROM run_graphs WHERE run_id = ? LIMIT 1').get(runId);
  if (!latest) return db.prepare(`SELECT * FROM ${table} WHERE run_id = ? ORDER BY rowid`).all(runId) as T[];
  return db
    .prepare(
      `SELECT t.* FROM json_each((SELECT ${list} FROM run_graphs WHERE run_id = ? ORDER BY ledger_seq DESC LIMIT 1)) j
       JOIN ${table} t ON t.hash = j.value ORDER BY j.key`,
    )
    .all(runId) as T[];
}

/**
 * The nodes of a run's latest DAG derivation. A runtime_event node of a redacted event shows the event's
 * stand-in (its hash then no longer matches its body: `raw` gives the stored node, for verification).
 */
export function nodesOfRun(db: Db, runId: string, opts: { raw?: boolean } = {}): DagNode[] {
  const rows = derivationRows<NodeRow>(db, runId, 'dag_nodes', 'nodes');
  const redacted = opts.raw ? new Map<string, Redaction>() : redactedEventIds(db);
  return rows.map((r) => {
    const body = JSON.parse(r.body) as Record<string, unknown>;
    const ev = r.kind === 'runtime_event' ? (body.event as { event_id?: string } | undefined) : undefined;
    const red = ev?.event_id ? redacted.get(ev.event_id) : undefined;
    if (red) body.event = maskEvent(body.event as RuntimeEvent, red);
    return { hash: r.hash, kind: r.kind, key: r.key, run_id: r.run_id, body, parents: JSON.parse(r.parents) as string[] };
  });
}

export function edgesOfRun(db: Db, runId: string): DagEdge[] {
  const rows = derivationRows<{
    hash: string;
    name: DagEdge['name'];
    from_hash: string;
    to_hash: string;
    run_id: string | null;
  }>(db, runId, 'dag_edges', 'edges');
  return rows.map((r) => ({ hash: r.hash, name: r.name, from: r.from_hash, to: r.to_hash, run_id: r.run_id }));
}

/** The stored JSON text of each event of a run, keyed by id: verify compares it with the DAG's copy. */
export function eventBodiesOfRun(db: Db, runId: string): Map<string, string> {
  const rows = db
    .prepare(
      `SELECT e.event_id AS id, e.body AS body FROM events e JOIN correlations c ON c.event_id = e.event_id
       WHERE c.run_id = ? AND ${CUR_CORR}`,
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

/** Rows as the queries see them: for versioned tables, current live versions only. */
export function countRows(db: Db, table: 'events' | 'decisions' | 'risks' | 'responses' | 'correlations'): number {
  if (table === 'events') return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  const cur = currentRowSql(table, 't');
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table} t WHERE ${cur}`).get() as { n: number }).n;
}

/** Seqs of the ledger entries that recorded the run's rows (every version), its DAG and its redactions. */
export function ledgerSeqsOfRun(db: Db, runId: string): number[] {
  const curCorr = currentRowSql('correlations', 'c');
  const sql = `
    SELECT ledger_seq AS s FROM scopes WHERE run_id = @run
    UNION SELECT ledger_seq FROM correlations WHERE run_id = @run
    UNION SELECT ledger_seq FROM decisions WHERE run_id = @run
    UNION SELECT ledger_seq FROM risks WHERE run_id = @run
    UNION SELECT ledger_seq FROM responses WHERE run_id = @run
    UNION SELECT ledger_seq FROM run_graphs WHERE run_id = @run
    UNION SELECT e.ledger_seq FROM events e JOIN correlations c ON c.event_id = e.event_id WHERE c.run_id = @run AND ${curCorr}
    UNION SELECT z.ledger_seq FROM redactions z JOIN correlations c ON c.event_id = z.row_key WHERE c.run_id = @run AND ${curCorr}
    ORDER BY s`;
  return (db.prepare(sql).all({ run: runId }) as { s: number }[]).map((r) => r.s).filter((s) => s > 0);
}
