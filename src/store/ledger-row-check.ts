/**
 * @module store/ledger-row-check: do the stored rows still say what the ledger recorded?
 *
 * Each row names its entry (`ledger_seq`); the entry's object hash must equal the row's hash recomputed from
 * what is stored, and its kind must be a write to that table. Entries that must still have their row (every
 * event, batch and policy; every version once the store became revisioned or sealed) are looked up the other
 * way, so a deleted row is named by its seq too. Run only after the chain itself verified: the entries are
 * trusted from then on.
 */
import {
  anchorObjectHash,
  currentRowSql,
  listAnchors,
  LEDGERED_TABLES,
  rowKeyOf,
  storedRowHash,
  type Db,
  type LedgeredTable,
} from './index.js';
import { checkEventBlocks } from './event-block-check.js';
import { checkVerdictBatches } from './verdict-batch-check.js';
import { BATCHED_VERDICT_TABLES } from './verdict-batch.js';

const BATCHED = new Set<string>(BATCHED_VERDICT_TABLES);

export type RowProblemKind = 'row_modified' | 'row_unledgered' | 'row_kind_mismatch' | 'row_missing' | 'derivation_incomplete';

export interface RowProblem {
  seq: number;
  table: string;
  key: string;
  problem: RowProblemKind;
  message: string;
}

export interface RowCheckResult {
  rows_checked: number;
  problems: RowProblem[];
}

const VERSIONED_OR_GRAPH = new Set<string>(['scopes', 'correlations', 'decisions', 'risks', 'responses', 'run_graphs']);

/** Which rows of a table belong to a run (events through their current correlation). */
function runFilter(table: LedgeredTable): string | null {
  switch (table) {
    case 'events':
      return `t.event_id IN (SELECT c.event_id FROM correlations c WHERE c.run_id = ? AND ${currentRowSql('correlations', 'c')})`;
    case 'ingest_batches':
    case 'policies':
      return null;
    default:
      return 't.run_id = ?';
  }
}

function checkTableRows(db: Db, table: LedgeredTable, runId: string | undefined, out: RowCheckResult): void {
  const filter = runId === undefined ? '' : runFilter(table);
  if (filter === null) return;
  // rows written under a verdict batch's entry are checked against their leaf (store/verdict-batch-check)
  const where = [filter, BATCHED.has(table) ? 't.batch_pos IS NULL' : ''].filter(Boolean).join(' AND ');
  const sql = `SELECT t.*, l.kind AS _kind, l.object_hash AS _object_hash FROM ${table} t
               LEFT JOIN ledger l ON l.seq = t.ledger_seq ${where ? `WHERE ${where}` : ''}`;
  const stmt = db.prepare(sql);
  const rows = (runId === undefined ? stmt.iterate() : stmt.iterate(runId)) as IterableIterator<Record<string, unknown>>;
  const kindRe = new RegExp(`^(put|revise|replace|tombstone):${table}$`);
  for (const row of rows) {
    out.rows_checked++;
    const problem = judgeRow(table, rowKeyOf(table, row), row, {
      kindOk: (kind) => kindRe.test(kind),
      rowHash: () => storedRowHash(table, row),
      unnamed: 'it was written before the ledger existed',
    });
    if (problem) out.problems.push(problem);
  }
}

/**
 * One row against the entry it names (`ledger_seq`, joined as `_kind` and `_object_hash`): no such entry,
 * an entry of another kind, or a hash that no longer matches what is stored. Null when the row holds.
 */
export function judgeRow(
  table: string,
  key: string,
  row: Record<string, unknown>,
  how: { kindOk: (kind: string) => boolean; rowHash: () => string; unnamed: string },
): RowProblem | null {
  const seq = Number(row.ledger_seq);
  const at = `${table} ${key}`;
  if (row._kind === null || row._kind === undefined) {
    const why = seq === 0 ? how.unnamed : `there is no ledger entry ${seq}`;
    return { seq, table, key, problem: 'row_unledgered', message: `${at}: ${why}` };
  }
  if (!how.kindOk(row._kind as string)) {
    return { seq, table, key, problem: 'row_kind_mismatch', message: `${at}: ledger entry ${seq} records a ${String(row._kind)}, not this row` };
  }
  if (how.rowHash() !== row._object_hash) {
    return { seq, table, key, problem: 'row_modified', message: `${at} differs from what ledger entry ${seq} recorded` };
  }
  return null;
}

/** The first seq from which superseded rows are kept (the first `mode:revisioned|sealed` entry). */
function versionsKeptFrom(db: Db): number {
  const row = db.prepare(`SELECT MIN(seq) AS seq FROM ledger WHERE kind IN ('mode:revisioned', 'mode:sealed')`).get() as { seq: number | null };
  return row.seq ?? Number.MAX_SAFE_INTEGER;
}

/** A completed batch's row names its completing entry; `started_seq` (migration 005) names the one that opened it. */
function checkMissingRows(db: Db, out: RowCheckResult): void {
  const keptFrom = versionsKeptFrom(db);
  for (const table of LEDGERED_TABLES) {
    const from = VERSIONED_OR_GRAPH.has(table) ? keptFrom : 0;
    const kinds = ['put', 'revise', 'replace', 'tombstone'].map((op) => `'${op}:${table}'`).join(',');
    const missing = db
      .prepare(
        `SELECT l.seq AS seq, l.kind AS kind FROM ledger l WHERE l.kind IN (${kinds}) AND l.seq > ?
         AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.ledger_seq = l.seq${table === 'ingest_batches' ? ' OR t.started_seq = l.seq' : ''}) ORDER BY l.seq`,
      )
      .all(from) as { seq: number; kind: string }[];
    for (const m of missing) {
      out.problems.push({ seq: m.seq, table, key: '?', problem: 'row_missing', message: `ledger entry ${m.seq} (${m.kind}) has no row in ${table}: it was deleted` });
    }
  }
  for (const [table, kind] of [['redactions', 'redact:events'], ['ledger_anchors', 'anchor']] as const) {
    const missing = db
      .prepare(`SELECT l.seq AS seq FROM ledger l WHERE l.kind = ? AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.ledger_seq = l.seq)`)
      .all(kind) as { seq: number }[];
    for (const m of missing) out.problems.push({ seq: m.seq, table, key: '?', problem: 'row_missing', message: `ledger entry ${m.seq} (${kind}) has no row in ${table}` });
  }
}

function checkLedgerOwnRows(db: Db, out: RowCheckResult): void {
  const entryAt = db.prepare('SELECT kind, object_hash FROM ledger WHERE seq = ?');
  const check = (table: string, seq: number, key: string, kind: string, hash: string): void => {
    out.rows_checked++;
    const e = entryAt.get(seq) as { kind: string; object_hash: string } | undefined;
    if (!e || e.kind !== kind || e.object_hash !== hash) {
      out.problems.push({ seq, table, key, problem: 'row_modified', message: `${table} ${key} differs from what ledger entry ${seq} recorded` });
    }
  };
  for (const r of db.prepare('SELECT * FROM redactions').all() as { object_hash: string; row_key: string; ledger_seq: number }[]) {
    check('redactions', r.ledger_seq, r.row_key, 'redact:events', r.object_hash);
  }
  for (const a of listAnchors(db)) check('ledger_anchors', a.ledger_seq, `${a.from_seq}..${a.to_seq}`, 'anchor', anchorObjectHash(a));
}

/** The latest derivation of the run must name only nodes and edges that are stored. */
function checkDerivation(db: Db, runId: string, out: RowCheckResult): void {
  const g = db.prepare('SELECT * FROM run_graphs WHERE run_id = ? ORDER BY ledger_seq DESC LIMIT 1').get(runId) as
    | { ledger_seq: number; nodes: string; edges: string }
    | undefined;
  if (!g) return;
  for (const [list, table] of [['nodes', 'dag_nodes'], ['edges', 'dag_edges']] as const) {
    const n = (db.prepare(`SELECT COUNT(*) AS n FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.hash = j.value)`).get(g[list]) as { n: number }).n;
    if (n > 0) {
      out.problems.push({ seq: g.ledger_seq, table, key: runId, problem: 'derivation_incomplete', message: `${n} ${list} of the DAG derivation at seq ${g.ledger_seq} are gone from ${table}` });
    }
  }
}

/** Every ledgered row (or only a run's), and, store-wide, the rows the ledger says must still exist. */
export function checkRows(db: Db, scope: { runId?: string } = {}): RowCheckResult {
  const out: RowCheckResult = { rows_checked: 0, problems: [] };
  for (const table of LEDGERED_TABLES) checkTableRows(db, table, scope.runId, out);
  checkEventBlocks(db, scope, out);
  checkVerdictBatches(db, scope, versionsKeptFrom(db), out);
  // A deleted row cannot be attributed to a run any more: the missing-row check is always store-wide.
  checkMissingRows(db, out);
  if (scope.runId === undefined) checkLedgerOwnRows(db, out);
  else checkDerivation(db, scope.runId, out);
  out.problems.sort((a, b) => a.seq - b.seq);
  return out;
}
