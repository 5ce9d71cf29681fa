/**
 * @module graph/verify-graph: recompute every content address of a DAG from what is stored and check that
 * every parent and edge end exists, naming each object that fails.
 */
import { EDGE_NAMES, NODE_KINDS, type DagEdge, type DagNode, type EdgeName, type NodeKind } from '../model/index.js';
import { edgeHash, nodeHash } from './dag-builders.js';

export type GraphProblemKind =
  | 'hash_mismatch'
  | 'missing_parent'
  | 'dangling_edge'
  | 'edge_kind_mismatch'
  | 'duplicate_hash'
  | 'bad_shape';

export interface GraphProblem {
  hash: string;
  /** The node kind, or the edge name for an edge. */
  kind: string;
  /** The node key, or `from -> to` for an edge. */
  key: string;
  problem: GraphProblemKind;
  detail: string;
}

export interface GraphVerification {
  ok: boolean;
  checked_nodes: number;
  checked_edges: number;
  problems: GraphProblem[];
}

/** Which node kinds each edge joins, as deriveRunGraph draws it. */
const EDGE_ENDS: Record<EdgeName, [NodeKind[], NodeKind[]]> = {
  run_has_session: [['run'], ['session']],
  session_has_attempt: [['session'], ['attempt']],
  attempt_has_tool_call: [['attempt'], ['tool_call']],
  tool_call_ended: [['tool_call'], ['tool_call_end']],
  tool_call_spawned: [['tool_call'], ['process']],
  process_forked: [['process'], ['process']],
  process_emitted: [['process'], ['runtime_event']],
  tool_call_emitted: [['tool_call'], ['runtime_event']],
  event_touched_file: [['runtime_event'], ['file']],
  process_touched_file: [['process'], ['file']],
  process_read_files: [['process'], ['file_reads']],
  event_connected: [['runtime_event'], ['endpoint']],
  process_connected: [['process'], ['endpoint']],
  decision_on: [['policy_decision'], ['runtime_event']],
  risk_from: [['risk_signal'], ['policy_decision']],
  // a manual response (no decision) answers its tool call, or the run
  response_to: [['response_action'], ['risk_signal', 'policy_decision', 'tool_call', 'run']],
};

export function verifyGraph(nodes: readonly DagNode[], edges: readonly DagEdge[]): GraphVerification {
  const problems: GraphProblem[] = [];
  const byHash = new Map<string, DagNode>();
  for (const n of nodes) {
    const bad = nodeShapeProblem(n);
    if (bad !== null) {
      problems.push(nodeProblem(n, 'bad_shape', bad));
      continue;
    }
    const again = nodeHash(n.kind, n.key, n.body, n.parents);
    if (again !== n.hash) problems.push(nodeProblem(n, 'hash_mismatch', `stored ${n.hash}, content hashes to ${again}`));
    if (byHash.has(n.hash)) problems.push(nodeProblem(n, 'duplicate_hash', 'the same hash is stored twice'));
    byHash.set(n.hash, n);
  }
  for (const n of byHash.values()) {
    for (const p of n.parents) {
      if (!byHash.has(p)) problems.push(nodeProblem(n, 'missing_parent', `parent ${p} is not in the graph`));
    }
  }
  for (const e of edges) {
    const key = `${String(e.from)} -> ${String(e.to)}`;
    const bad = edgeShapeProblem(e);
    if (bad !== null) {
      problems.push({ hash: String(e.hash), kind: String(e.name), key, problem: 'bad_shape', detail: bad });
      continue;
    }
    const again = edgeHash(e.name, e.from, e.to);
    if (again !== e.hash) {
      problems.push({ hash: e.hash, kind: e.name, key, problem: 'hash_mismatch', detail: `stored ${e.hash}, content hashes to ${again}` });
    }
    const from = byHash.get(e.from);
    const to = byHash.get(e.to);
    const missing = [from ? null : `from ${e.from}`, to ? null : `to ${e.to}`].filter((x) => x !== null);
    if (missing.length > 0) {
      problems.push({ hash: e.hash, kind: e.name, key, problem: 'dangling_edge', detail: `${missing.join(' and ')} not in the graph` });
      continue;
    }
    const [fromKinds, toKinds] = EDGE_ENDS[e.name];
    if (!fromKinds.includes(from!.kind) || !toKinds.includes(to!.kind)) {
      problems.push({ hash: e.hash, kind: e.name, key, problem: 'edge_kind_mismatch', detail: `joins ${from!.kind} ${from!.key} to ${to!.kind} ${to!.key}` });
    }
  }
  return { ok: problems.length === 0, checked_nodes: nodes.length, checked_edges: edges.length, problems };
}

function nodeProblem(n: DagNode, problem: GraphProblemKind, detail: string): GraphProblem {
  return { hash: String(n.hash), kind: String(n.kind), key: String(n.key), problem, detail };
}

const HEX64 = /^[0-9a-f]{64}$/;
const KINDS = new Set<string>(NODE_KINDS);
const NAMES = new Set<string>(EDGE_NAMES);

/** The DagNodeSchema checks, by hand: a large graph is verified without building a zod copy of every node. */
function nodeShapeProblem(n: DagNode): string | null {
  if (typeof n.hash !== 'string' || !HEX64.test(n.hash)) return 'hash: not 64 lower-case hex digits';
  if (!KINDS.has(n.kind)) return `kind: unknown node kind ${String(n.kind)}`;
  if (typeof n.key !== 'string') return 'key: not a string';
  if (n.body === null || typeof n.body !== 'object' || Array.isArray(n.body)) return 'body: not an object';
  if (!Array.isArray(n.parents) || !n.parents.every((p) => typeof p === 'string' && HEX64.test(p))) return 'parents: not a list of hashes';
  return null;
}

function edgeShapeProblem(e: DagEdge): string | null {
  if (typeof e.hash !== 'string' || !HEX64.test(e.hash)) return 'hash: not 64 lower-case hex digits';
  if (!NAMES.has(e.name)) return `name: unknown edge name ${String(e.name)}`;
  if (typeof e.from !== 'string' || !HEX64.test(e.from) || typeof e.to !== 'string' || !HEX64.test(e.to)) return 'from/to: not hashes';
  return null;
}
