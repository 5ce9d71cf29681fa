/**
 * @module graph/derive-run-graph: one run's evidence (scopes, events with their correlations, decisions,
 * risks, responses) -> the Merkle DAG of it, the same bytes whatever order the input comes in.
 */
import {
  EDGE_NAMES,
  NODE_KINDS,
  type Correlation,
  type DagEdge,
  type DagNode,
  type EdgeName,
  type NodeKind,
  type PolicyDecision,
  type ResponseAction,
  type RiskSignal,
  type RuntimeEvent,
  type ToolCallScope,
} from '../model/index.js';
import { canonicalJson } from './canonical-json.js';
import { buildEdge, buildNode } from './dag-builders.js';
import { endpointOf, touchedFiles } from './event-objects.js';
import { nearestIncludedAncestor, type RunGraphProcess } from './run-processes.js';
import { RunEventDigest } from './run-digest.js';

export interface RunGraphInput {
  run_id: string;
  scopes: readonly ToolCallScope[];
  events: readonly RuntimeEvent[];
  /** Matched to events by event_id. */
  correlations: readonly Correlation[];
  decisions?: readonly PolicyDecision[];
  risks?: readonly RiskSignal[];
  responses?: readonly ResponseAction[];
  /** The correlator's process tree (`tree.instances()`): better identity than events alone give. */
  processes?: readonly RunGraphProcess[];
  /** event_id -> process key (`tree.keyOf(event)`), for events that carry no start time. */
  process_keys?: Readonly<Record<string, string | null>>;
}

export interface RunGraph {
  nodes: DagNode[];
  edges: DagEdge[];
}

export function deriveRunGraph(input: RunGraphInput): RunGraph {
  return drawRunGraph(input, digestRunEvents(input));
}

/** The digest of a run's events (each id once: of differing duplicates, the smallest canonical JSON). */
export function digestRunEvents(input: Pick<RunGraphInput, 'events' | 'correlations' | 'decisions' | 'process_keys'>): RunEventDigest {
  const corrOf = new Map(input.correlations.map((c) => [c.event_id, c]));
  const judged = new Set((input.decisions ?? []).map((d) => d.event_id));
  const digest = new RunEventDigest();
  for (const e of pickOne(input.events, (x) => x.event_id ?? canonicalJson(x))) {
    const id = e.event_id ?? '';
    const given = e.event_id !== undefined ? input.process_keys?.[e.event_id] : undefined;
    digest.add(e, corrOf.get(id) ?? null, judged.has(id), given);
  }
  return digest;
}

/** The evidence of a run other than its events, which come folded in a digest. */
export type RunGraphFrame = Omit<RunGraphInput, 'events' | 'correlations' | 'process_keys'>;

/** The DAG of a run from its digest (see graph/run-digest): the same bytes deriveRunGraph gives for those events. */
export function drawRunGraph(input: RunGraphFrame, digest: RunEventDigest): RunGraph {
  const run = input.run_id;
  const nodes = new Map<string, DagNode>();
  const edges = new Map<string, DagEdge>();
  const add = (kind: NodeKind, key: string, body: Record<string, unknown>, parents: string[]): DagNode => {
    const n = buildNode(kind, key, { run_id: run, ...body }, parents, run);
    nodes.set(n.hash, n);
    return n;
  };
  // Files and endpoints have no parents, so one node per key serves every event that touches it.
  const leaves = new Map<string, DagNode>();
  const leaf = (kind: 'file' | 'endpoint', key: string, body: Record<string, unknown>): DagNode =>
    leaves.get(key) ?? leaves.set(key, add(kind, key, body, [])).get(key)!;
  const link = (name: EdgeName, from: DagNode, to: DagNode) => {
    const e = buildEdge(name, from.hash, to.hash, run);
    edges.set(e.hash, e);
  };

  // run -> session -> attempt -> tool_call
  const runNode = add('run', `run:${run}`, {}, []);
  const toolCalls = new Map<string, DagNode>();
  const scopes = pickOne(input.scopes.filter((s) => s.run_id === run), (s) => s.tool_call_id);
  for (const s of scopes) {
    const session = add('session', `session:${run}/${s.session_id}`, { session_id: s.session_id }, [runNode.hash]);
    link('run_has_session', runNode, session);
    const attemptKey = `attempt:${run}/${s.session_id}/${s.attempt_id}`;
    const attempt = add('attempt', attemptKey, { session_id: s.session_id, attempt_id: s.attempt_id }, [session.hash]);
    link('session_has_attempt', session, attempt);
    // The node holds what the scope declared when it opened; its end is a node of its own, so ending a tool
    // call adds one node and one edge and changes no hash already stored (processes, events and verdicts
    // below the tool call name its hash as a parent).
    const { ended_at_ns: endedAt, ...opening } = s;
    const tc = add('tool_call', `tool_call:${s.tool_call_id}`, { scope: opening }, [attempt.hash]);
    link('attempt_has_tool_call', attempt, tc);
    toolCalls.set(s.tool_call_id, tc);
    if (endedAt != null) {
      const body = { ...(s.binding_id ? { binding_id: s.binding_id } : {}), tool_call_id: s.tool_call_id, ended_at_ns: endedAt };
      const end = add('tool_call_end', `tool_call_end:${s.tool_call_id}`, body, [tc.hash]);
      link('tool_call_ended', tc, end);
    }
  }

  // processes, parents before children, each under the tool calls its events are attributed to
  const procs = input.processes ? new Map(input.processes.map((p) => [p.key, p])) : digest.processes.processes;
  const included = new Set(digest.procCalls.keys());
  const procNodes = new Map<string, DagNode>();
  const building = new Set<string>();
  const procNode = (key: string): DagNode => {
    const done = procNodes.get(key);
    if (done !== undefined) return done;
    building.add(key);
    const up = nearestIncludedAncestor(key, included, procs);
    // A cycle in bad pid data: the link that closes it is dropped rather than hashed forever.
    const parentNode = up !== null && !building.has(up) ? procNode(up) : null;
    const calls = [...digest.procCalls.get(key)!].flatMap((id) => toolCalls.get(id) ?? []).sort((a, b) => cmp(a.hash, b.hash));
    const p = procs.get(key);
    const pid = p?.pid ?? Number(key.slice(0, key.indexOf('@')));
    const body = { pid, start_ns: p?.start_ns ?? null, exe: p?.exe ?? null, argv: p?.argv ?? null, comm: p?.comm ?? null };
    const parents = [...calls.map((c) => c.hash), ...(parentNode ? [parentNode.hash] : [])];
    const n = add('process', `process:${key.replace('@', ':')}`, body, parents);
    for (const c of calls) link('tool_call_spawned', c, n);
    if (parentNode) link('process_forked', parentNode, n);
    building.delete(key);
    procNodes.set(key, n);
    return n;
  };
  for (const key of [...included].sort()) procNode(key);

  // runtime events, and the files and endpoints they touched; a process's unjudged read-only opens (the
  // bulk of any build or install: libraries, sources, node_modules) are one summary node, not one each
  const eventNodes = new Map<string, DagNode>();
  const kept = digest.kept.slice().sort((a, b) => byTimeThenId(a.event, b.event));
  for (const { event: e, correlation: corr, pkey } of kept) {
    const proc = pkey !== null ? procNodes.get(pkey)! : null;
    const tc = toolCallOf(corr ?? undefined, toolCalls);
    const parents = proc ? [proc.hash] : tc ? [tc.hash] : [];
    const n = add('runtime_event', `event:${e.event_id ?? ''}`, { event: e, correlation: corr }, parents);
    if (e.event_id !== undefined) eventNodes.set(e.event_id, n);
    if (proc) link('process_emitted', proc, n);
    if (tc) link('tool_call_emitted', tc, n);
    for (const path of touchedFiles(e)) link('event_touched_file', n, leaf('file', `file:${path}`, { path }));
    const endpoint = endpointOf(e);
    if (endpoint !== null) link('event_connected', n, leaf('endpoint', `endpoint:${endpoint}`, { endpoint }));
  }

  // what unjudged events of a process changed and reached: one edge per object, not a node per event
  for (const [pkey, paths] of [...digest.touched].sort(([a], [b]) => cmp(a, b))) {
    const proc = procNodes.get(pkey)!;
    for (const path of [...paths].sort(cmp)) link('process_touched_file', proc, leaf('file', `file:${path}`, { path }));
  }
  for (const [pkey, endpoints] of [...digest.connected].sort(([a], [b]) => cmp(a, b))) {
    const proc = procNodes.get(pkey)!;
    for (const endpoint of [...endpoints].sort(cmp)) link('process_connected', proc, leaf('endpoint', `endpoint:${endpoint}`, { endpoint }));
  }

  for (const [pkey, r] of [...digest.reads].sort(([a], [b]) => cmp(a, b))) {
    const paths = [...r.paths].sort(cmp);
    const body = { count: r.count, distinct: paths.length, paths: paths.slice(0, MAX_READ_PATHS), truncated: paths.length > MAX_READ_PATHS };
    const proc = procNodes.get(pkey)!;
    const n = add('file_reads', `file_reads:${pkey.replace('@', ':')}`, body, [proc.hash]);
    link('process_read_files', proc, n);
  }

  // decision -> event, risk -> decision, response -> risk (or decision, or event)
  const decisionNodes = new Map<string, DagNode>();
  for (const d of pickOne(input.decisions ?? [], (x) => x.decision_id)) {
    const ev = eventNodes.get(d.event_id);
    const n = add('policy_decision', `decision:${d.decision_id}`, { decision: d }, ev ? [ev.hash] : []);
    if (ev) link('decision_on', n, ev);
    decisionNodes.set(d.decision_id, n);
  }
  const risksOfDecision = new Map<string, DagNode[]>();
  for (const r of pickOne(input.risks ?? [], (x) => x.risk_id)) {
    const dn = decisionNodes.get(r.decision_id);
    const ev = eventNodes.get(r.event_id);
    const n = add('risk_signal', `risk:${r.risk_id}`, { risk: r }, dn ? [dn.hash] : ev ? [ev.hash] : []);
    if (dn) link('risk_from', n, dn);
    (risksOfDecision.get(r.decision_id) ?? risksOfDecision.set(r.decision_id, []).get(r.decision_id)!).push(n);
  }
  for (const a of pickOne(input.responses ?? [], (x) => x.response_id)) {
    const dn = a.decision_id !== null ? decisionNodes.get(a.decision_id) : undefined;
    const risks = a.decision_id !== null ? (risksOfDecision.get(a.decision_id) ?? []) : [];
    const ev = a.event_id !== null ? eventNodes.get(a.event_id) : undefined;
    // A manual response (agentprov respond, an approval step) has no decision or event: it answers its tool
    // call, or the run itself, so it still hangs in the run's DAG instead of floating free.
    const tc = a.tool_call_id !== null ? toolCalls.get(a.tool_call_id) : undefined;
    const manual = dn === undefined && ev === undefined ? (tc ?? runNode) : undefined;
    const targets = risks.length > 0 ? risks : dn ? [dn] : manual ? [manual] : [];
    const parents = targets.length > 0 ? targets.map((t) => t.hash) : ev ? [ev.hash] : [];
    const n = add('response_action', `response:${a.response_id}`, { response: a }, parents);
    for (const t of targets) link('response_to', n, t);
  }
  return { nodes: [...nodes.values()].sort(byKindThenKey), edges: [...edges.values()].sort(byNameThenEnds) };
}

/** Paths a file_reads summary lists (the count covers every open): a bound on one node's size. */
export const MAX_READ_PATHS = 1000;

function toolCallOf(corr: Correlation | undefined, toolCalls: ReadonlyMap<string, DagNode>): DagNode | null {
  return corr?.tool_call_id ? (toolCalls.get(corr.tool_call_id) ?? null) : null;
}

/** One item per id whatever the input order: of differing duplicates, the one with the smallest canonical JSON. */
function pickOne<T>(items: readonly T[], idOf: (t: T) => string): T[] {
  const best = new Map<string, { item: T; text: string | null }>();
  for (const item of items) {
    const id = idOf(item);
    const cur = best.get(id);
    if (cur === undefined) {
      best.set(id, { item, text: null });
      continue;
    }
    cur.text ??= canonicalJson(cur.item);
    const text = canonicalJson(item);
    if (text < cur.text) best.set(id, { item, text });
  }
  return [...best.keys()].sort().map((id) => best.get(id)!.item);
}

function byTimeThenId(a: RuntimeEvent, b: RuntimeEvent): number {
  return a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : cmp(a.event_id ?? '', b.event_id ?? '');
}

const KIND_RANK = new Map<string, number>(NODE_KINDS.map((k, i) => [k, i]));
const EDGE_RANK = new Map<string, number>(EDGE_NAMES.map((k, i) => [k, i]));

function byKindThenKey(a: DagNode, b: DagNode): number {
  return KIND_RANK.get(a.kind)! - KIND_RANK.get(b.kind)! || cmp(a.key, b.key) || cmp(a.hash, b.hash);
}

function byNameThenEnds(a: DagEdge, b: DagEdge): number {
  return EDGE_RANK.get(a.name)! - EDGE_RANK.get(b.name)! || cmp(a.from, b.from) || cmp(a.to, b.to);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
