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
import { findEventRow } from './event-rows.js';

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

type Obj = Record<string, unknown>;

/**
 * Which table holds the queryable copy of each node kind, and which body field holds that copy (none: the
 * body itself, less its run_id). `view`: the part of the stored row the node copies, when not all of it.
 */
const ROW_SOURCES: Partial<Record<DagNode['kind'], { table: string; idColumn: string; field: string | null; view?: (row: Obj, copy: Obj) => unknown }>> = {
  runtime_event: { table: 'events', idColumn: 'event_id', field: 'event' },
  policy_decision: { table: 'decisions', idColumn: 'decision_id', field: 'decision' },
  risk_signal: { table: 'risks', idColumn: 'risk_id', field: 'risk' },
  response_action: { table: 'responses', idColumn: 'response_id', field: 'response' },
  // A tool call's node holds its scope as opened; the end is its tool_call_end node. (A graph derived before
  // tool_call_end existed holds the whole scope, end included: it is checked whole.)
  tool_call: { table: 'scopes', idColumn: 'binding_id', field: 'scope', view: (row, copy) => ('ended_at_ns' in copy ? row : withoutEnd(row)) },
  tool_call_end: {
    table: 'scopes',
    idColumn: 'binding_id',
    field: null,
    view: (row) => ({ binding_id: row['binding_id'], tool_call_id: row['tool_call_id'], ended_at_ns: row['ended_at_ns'] }),
  },
};

function withoutEnd(scope: Obj): Obj {
  const { ended_at_ns: _end, ...opening } = scope;
  return opening;
}

function copyOf(node: DagNode, field: string | null): Obj | undefined {
  if (field !== null) return node.body[field] as Obj | undefined;
  const { run_id: _run, ...copy } = node.body;
  return copy;
}

export function verifyRun(db: Db, runId: string): RunVerification {
  const nodes = nodesOfRun(db, runId, { raw: true }); // stored bodies: a redaction only masks what queries show
  const edges = edgesOfRun(db, runId);
  const result = verifyGraph(nodes, edges);
  const problems: VerifyProblem[] = result.problems.map((p) => ({ ...p }));
  let checkedRows = 0;
  const current = new Map<string, ReturnType<Db['prepare']>>();
  // Event nodes come in hash order, random across blocks: their bodies are read in one pass, each block
  // inflated once (one lookup per node would inflate a block per node once the run outgrows the cache).
  const eventNodes = nodes.filter((n) => n.kind === 'runtime_event');
  const bodies = eventBodiesOf(db, eventNodes.map((n) => (n.body['event'] as Record<string, unknown> | undefined)?.['event_id']));
  const eventBodyOf = new Map(eventNodes.map((n, i) => [n, bodies[i]]));
  for (const node of nodes) {
    const src = ROW_SOURCES[node.kind];
    if (!src) continue;
    const copy = copyOf(node, src.field);
    const id = copy?.[src.idColumn];
    if (typeof id !== 'string') continue;
    if (node.kind === 'runtime_event') {
      checkedRows++;
      const body = eventBodyOf.get(node);
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
    } else {
      const stored = JSON.parse(row.body) as Obj;
      if (canonicalJson(src.view ? src.view(stored, copy!) : stored) !== canonicalJson(copy)) {
        problems.push({ hash: node.hash, kind: node.kind, problem: 'row_changed', detail: `${src.table} ${id} differs from the DAG` });
      }
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

/** The stored body of each event id (undefined: not an id, no such event, or a damaged block), in order. */
function eventBodiesOf(db: Db, ids: readonly unknown[]): (string | undefined)[] {
  const rows = ids.map((id) => (typeof id === 'string' ? findEventRow(db, id) : undefined));
  const found = rows.flatMap((r, i) => (r ? [{ block_id: r.block_id, pos: r.pos, i }] : []));
  const bodies = new BlockReader(db).bodiesAt(found);
  const out = new Array<string | undefined>(ids.length);
  found.forEach((f, j) => (out[f.i] = bodies[j]));
  return out;
}
