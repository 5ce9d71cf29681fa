/** @module store/queries: reads over the evidence store, returning model objects. */
export { eventBody } from './event-rows.js';
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
import { BlockReader, eventLeaf } from './event-blocks.js';
import { kindOfRow, unpackPairs } from './correlation-log.js';
import { eventKey } from './event-keys.js';
import {
  bodiesOf,
  eventBody,
  eventsOfRows,
  findEventRow,
  idOfBody,
  loadKinds,
  ROW_COLS,
  RUN_KINDS,
  selectKeys,
  selectRows,
} from './event-rows.js';

// Versioned tables hold every version in revisioned and sealed stores: reads take the current live one.
const CUR_SCOPE = currentRowSql('scopes', 's');
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
         (SELECT COUNT(*) FROM event_rows e WHERE e.kind IN (${RUN_KINDS('s.run_id')})) AS events
       FROM scopes s WHERE ${CUR_SCOPE} GROUP BY s.run_id ORDER BY MIN(s.started_at_ns)`,
    )
    .all() as { run_id: string; tool_calls: number; events: number }[];
}

export function runExists(db: Db, runId: string): boolean {
  return db.prepare(`SELECT 1 FROM scopes s WHERE s.run_id = ? AND ${CUR_SCOPE} LIMIT 1`).get(runId) !== undefined;
}

/** Every stored event in time order, bodies decoded lazily (the narrow rows are read first: the blocks are read as they go). */
export function* iterateEvents(db: Db, opts: { raw?: boolean } = {}): Generator<RuntimeEvent> {
  const rows = selectRows(db, `SELECT ${ROW_COLS} FROM event_rows e ORDER BY e.time_ns, e.key`);
  yield* eventsOfRows(db, rows, decodeShown(db, opts.raw ?? false));
}

const RUN_ROWS = `SELECT ${ROW_COLS} FROM event_rows e WHERE e.kind IN (${RUN_KINDS()}) ORDER BY e.time_ns, e.key`;

/** A run's events; redacted ones as their stand-in unless `raw` (re-derivation, verification). */
export function eventsOfRun(db: Db, runId: string, opts: { raw?: boolean } = {}): RuntimeEvent[] {
  return [...eventsOfRows(db, selectRows(db, RUN_ROWS, runId), decodeShown(db, opts.raw ?? false))];
}

/** A run's events and their correlations from one read of its blocks (the engine re-derives from both). */
export function eventsAndCorrelationsOfRun(db: Db, runId: string): { events: RuntimeEvent[]; correlations: Correlation[] } {
  const rows = selectRows(db, RUN_ROWS, runId);
  const kinds = loadKinds(db, runId);
  const events: RuntimeEvent[] = [];
  const correlations: Correlation[] = [];
  bodiesOf(db, rows).forEach((body, i) => {
    if (body === undefined) return;
    const e = decodeEvent(body);
    events.push(e);
    const kind = kinds.get((rows[i] as { kind: number }).kind);
    if (kind) correlations.push({ event_id: e.event_id!, ...kind });
  });
  return { events, correlations };
}

export function getEvent(db: Db, eventId: string, opts: { raw?: boolean } = {}): RuntimeEvent | null {
  const body = eventBody(db, eventId);
  return body !== undefined ? decodeShown(db, opts.raw ?? false)(body) : null;
}

/** An event's place in the ledger: its block's entry, its leaf and the block's leaves (for an inclusion proof). */
export interface EventLedgerRecord {
  ledger_seq: number;
  block_id: number;
  index: number;
  leaves: Uint8Array[];
  leaf: string;
  /** The stored body; null when the event is redacted. */
  body: string | null;
}

export function eventLedgerRecord(db: Db, eventId: string): EventLedgerRecord | null {
  const row = findEventRow(db, eventId);
  if (!row) return null;
  const block = new BlockReader(db, 1).block(row.block_id);
  const body = block?.bodies?.[row.pos];
  if (!block || body === undefined) return null;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < block.count; i++) leaves.push(block.leaves.subarray(i * 32, i * 32 + 32));
  const redacted = redactedEventIds(db).has(eventId);
  return {
    ledger_seq: block.ledger_seq,
    block_id: row.block_id,
    index: row.pos,
    leaves,
    leaf: eventLeaf(body).toString('hex'),
    body: redacted ? null : body,
  };
}

export function correlationsOfRun(db: Db, runId: string): Correlation[] {
  return eventsAndCorrelationsOfRun(db, runId).correlations;
}

/** The current correlation of one event (null: not stored, or not correlated yet). */
export function correlationOf(db: Db, eventId: string): Correlation | null {
  const row = findEventRow(db, eventId);
  if (!row || row.kind === 0) return null;
  const k = db.prepare('SELECT * FROM correlation_kinds WHERE id = ?').get(row.kind) as Record<string, unknown> | undefined;
  return k ? { event_id: eventId, ...kindOfRow(k) } : null;
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
  const out = new Map<string, string>();
  for (const body of bodiesOf(db, selectRows(db, RUN_ROWS, runId))) {
    const id = body === undefined ? undefined : idOfBody(body);
    if (id !== undefined) out.set(id, body as string);
  }
  return out;
}

export function getManifest(db: Db, batchId: string): IngestManifest | null {
  const row = db.prepare('SELECT * FROM ingest_batches WHERE batch_id = ?').get(batchId) as
    | (Omit<IngestManifest, 'rejected_lines'> & { rejected_lines: string })
    | undefined;
  return row ? { ...row, rejected_lines: JSON.parse(row.rejected_lines) as IngestManifest['rejected_lines'] } : null;
}

/** Rows as the queries see them: for versioned tables, current live versions only. */
export function countRows(db: Db, table: 'events' | 'decisions' | 'risks' | 'responses' | 'correlations'): number {
  if (table === 'events') return (db.prepare('SELECT COUNT(*) AS n FROM event_rows').get() as { n: number }).n;
  if (table === 'correlations') return (db.prepare('SELECT COUNT(*) AS n FROM event_rows WHERE kind != 0').get() as { n: number }).n;
  const cur = currentRowSql(table, 't');
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table} t WHERE ${cur}`).get() as { n: number }).n;
}

/**
 * Seqs of the ledger entries that recorded the run's rows (every version), its DAG and its redactions: the
 * blocks holding its events, its correlation kinds and the batches that set them. Stores migrated from the
 * layout before 007 also name the per-event entries of their old rows.
 */
export function ledgerSeqsOfRun(db: Db, runId: string): number[] {
  const curCorr = currentRowSql('correlations', 'c');
  const sql = `
    SELECT ledger_seq AS s FROM scopes WHERE run_id = @run
    UNION SELECT ledger_seq FROM correlations WHERE run_id = @run
    UNION SELECT ledger_seq FROM decisions WHERE run_id = @run
    UNION SELECT ledger_seq FROM risks WHERE run_id = @run
    UNION SELECT ledger_seq FROM responses WHERE run_id = @run
    UNION SELECT ledger_seq FROM run_graphs WHERE run_id = @run
    UNION SELECT ledger_seq FROM correlation_kinds WHERE run_id = @run
    UNION SELECT b.ledger_seq FROM event_blocks b WHERE b.block_id IN
      (SELECT e.block_id FROM event_rows e WHERE e.kind IN (${RUN_KINDS('@run')}))
    UNION SELECT e.ledger_seq FROM events e JOIN correlations c ON c.event_id = e.event_id WHERE c.run_id = @run AND ${curCorr}
    ORDER BY s`;
  const seqs = new Set((db.prepare(sql).all({ run: runId }) as { s: number }[]).map((r) => r.s));
  const kinds = new Set(loadKinds(db, runId).keys());
  const keys = new Set(selectKeys(db, `SELECT e.key AS key FROM event_rows e WHERE e.kind IN (${RUN_KINDS()})`, runId));
  for (const b of db.prepare('SELECT ledger_seq, pairs FROM correlation_batches').iterate() as IterableIterator<{ ledger_seq: number; pairs: Buffer }>) {
    if ((unpackPairs(b.pairs) ?? []).some((p) => kinds.has(p.kind) || keys.has(p.key))) seqs.add(b.ledger_seq);
  }
  for (const z of redactedEventIds(db).values()) if (keys.has(eventKey(z.row_key))) seqs.add(z.ledger_seq);
  return [...seqs].filter((s) => s > 0).sort((a, b) => a - b);
}
