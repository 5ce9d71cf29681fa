/**
 * @module store/verify-run: `graph verify`: recomputes every content address of a run's DAG and checks
 * that the rows the queries read (events, decisions, risks, responses, scopes) still say what the DAG says.
 */
import { canonicalJson, verifyGraph } from '../graph/index.js';
import type { DagNode } from '../model/index.js';
import {
  edgesOfRun,
  nodesOfRun,
  type Db,
} from './index.js';
import { BlockReader } from './event-blocks.js';
import { eventBody } from './event-rows.js';

export interface VerifyProblem {
  hash: string;
  kind: string;
  problem: string;
  detail?: string;
}

export interface RunVerification {
  ok: boolean;
  run_id: string;
  checked_nodes: number;
  checked_edges: number;
  checked_rows: number;
  problems: VerifyProblem[];
}

/** Which table holds the queryable copy of each node kind, and which body field holds that copy. */
const ROW_SOURCES: Partial<Record<DagNode['kind'], { table: string; idColumn: string; field: string }>> = {
  runtime_event: { table: 'events', idColumn: 'event_id', field: 'event' },
  policy_decision: { table: 'decisions', idColumn: 'decision_id', field: 'decision' },
  risk_signal: { table: 'risks', idColumn: 'risk_id', field: 'risk' },
  response_action: { table: 'responses', idColumn: 'response_id', field: 'response' },
  tool_call: { table: 'scopes', idColumn: 'binding_id', field: 'scope' },
};

export function verifyRun(db: Db, runId: string): RunVerification {
  const nodes = nodesOfRun(db, runId, { raw: true }); // stored bodies: a redaction only masks what queries show
  const edges = edgesOfRun(db, runId);
  const result = verifyGraph(nodes, edges);
  const problems: VerifyProblem[] = result.problems.map((p) => ({ ...p }));
  let checkedRows = 0;
  const current = new Map<string, ReturnType<Db['prepare']>>();
  const reader = new BlockReader(db);
  for (const node of nodes) {
    const src = ROW_SOURCES[node.kind];
    if (!src) continue;
    const copy = node.body[src.field] as Record<string, unknown> | undefined;
    const id = copy?.[src.idColumn];
    if (typeof id !== 'string') continue;
    if (node.kind === 'runtime_event') {
      checkedRows++;
      const body = eventBody(db, id, reader);
      if (body === undefined) problems.push({ hash: node.hash, kind: node.kind, problem: 'row_missing', detail: `events ${id} is gone` });
      else if (canonicalJson(JSON.parse(body)) !== canonicalJson(copy)) {
        problems.push({ hash: node.hash, kind: node.kind, problem: 'row_changed', detail: `events ${id} differs from the DAG` });
      }
      continue;
    }
    // Versioned tables (migration 002) keep older versions: compare with the current one; a tombstone is gone.
    let stmt = current.get(src.table);
    if (!stmt) current.set(src.table, (stmt = db.prepare(`SELECT * FROM ${src.table} WHERE ${src.idColumn} = ? ORDER BY ledger_seq DESC LIMIT 1`)));
    const row = stmt.get(id) as
      | { body: string; tombstone?: number }
      | undefined;
    checkedRows++;
    if (!row || row.tombstone === 1) {
      problems.push({ hash: node.hash, kind: node.kind, problem: 'row_missing', detail: `${src.table} ${id} is gone` });
    } else if (canonicalJson(JSON.parse(row.body)) !== canonicalJson(copy)) {
      problems.push({ hash: node.hash, kind: node.kind, problem: 'row_changed', detail: `${src.table} ${id} differs from the DAG` });
    }
  }
  if (nodes.length === 0) problems.push({ hash: '0'.repeat(64), kind: 'run', problem: 'empty', detail: 'the run has no DAG' });
  return {
    ok: problems.length === 0,
    run_id: runId,
    checked_nodes: result.checked_nodes,
    checked_edges: result.checked_edges,
    checked_rows: checkedRows,
    problems,
  };
}
