/**
 * @module graph/event-node: the node an event that no rule judged would have, drawn on demand. Such events
 * are not stored as nodes (the graph shows them through their process: graph/run-digest), but a user who
 * follows one from `timeline` or `graph blame` still gets its chain: the node is built as drawRunGraph
 * builds a judged event's, under the stored process (or tool call) node, and joined to the stored graph.
 */
import type { Correlation, DagEdge, DagNode, RuntimeEvent } from '../model/index.js';
import { buildEdge, buildNode } from './dag-builders.js';
import { endpointOf, touchedFiles } from './event-objects.js';
import type { GraphData } from './explain.js';
import { fallbackProcessKey } from './run-processes.js';

export function withEventNode(graph: GraphData, runId: string, event: RuntimeEvent, correlation: Correlation | null): GraphData {
  const byKey = new Map(graph.nodes.map((n) => [n.key, n]));
  const pkey = fallbackProcessKey(event);
  const proc = pkey !== null ? (byKey.get(`process:${pkey.replace('@', ':')}`) ?? null) : null;
  const tc = correlation?.tool_call_id ? (byKey.get(`tool_call:${correlation.tool_call_id}`) ?? null) : null;
  const parents = proc ? [proc.hash] : tc ? [tc.hash] : [];
  const n = buildNode('runtime_event', `event:${event.event_id ?? ''}`, { run_id: runId, event, correlation }, parents, runId);
  const nodes: DagNode[] = [n];
  const edges: DagEdge[] = [];
  if (proc) edges.push(buildEdge('process_emitted', proc.hash, n.hash, runId));
  if (tc) edges.push(buildEdge('tool_call_emitted', tc.hash, n.hash, runId));
  const leaf = (kind: 'file' | 'endpoint', key: string, body: Record<string, unknown>): DagNode => {
    const known = byKey.get(key);
    if (known) return known;
    const made = buildNode(kind, key, { run_id: runId, ...body }, [], runId);
    nodes.push(made);
    return made;
  };
  for (const path of touchedFiles(event)) edges.push(buildEdge('event_touched_file', n.hash, leaf('file', `file:${path}`, { path }).hash, runId));
  const endpoint = endpointOf(event);
  if (endpoint !== null) edges.push(buildEdge('event_connected', n.hash, leaf('endpoint', `endpoint:${endpoint}`, { endpoint }).hash, runId));
  return { nodes: [...graph.nodes, ...nodes], edges: [...graph.edges, ...edges] };
}
