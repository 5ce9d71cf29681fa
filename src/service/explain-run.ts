/**
 * @module service/explain-run: `graph explain` over a run's stored DAG. An event no rule judged is not a
 * node of its own (the graph shows it through its process), so when one is asked for by id its node is drawn
 * from the stored event and joined to the graph first: the chain reads as it would for a judged event.
 */
import { explain, withEventNode, type ExplainResult, type ExplainTarget, type GraphData } from '../graph/index.js';
import type { Correlation, RuntimeEvent } from '../model/index.js';
import type { EvidenceStore } from '../store/index.js';

export function explainRun(store: EvidenceStore, runId: string, target: ExplainTarget): ExplainResult {
  const graph: GraphData = { nodes: store.query.nodesOfRun(runId), edges: store.query.edgesOfRun(runId) };
  const res = explain(graph, target);
  if (res.found || target.kind !== 'event') return res;
  const found = eventOfRun(store, runId, target.value);
  if (typeof found === 'string') return { ...res, message: found };
  return explain(withEventNode(graph, runId, found.event, found.correlation), { kind: 'event', value: found.event.event_id! });
}

/** The run's event with this id or unique id prefix, or why there is none. */
function eventOfRun(store: EvidenceStore, runId: string, value: string): { event: RuntimeEvent; correlation: Correlation } | string {
  const correlations = new Map(store.query.correlationsOfRun(runId).map((c) => [c.event_id, c]));
  const exact = /^[0-9a-f]{64}$/.test(value) ? store.query.getEvent(value) : null;
  const hits = exact ? [exact] : value === '' ? [] : store.query.eventsOfRun(runId).filter((e) => e.event_id?.startsWith(value));
  const mine = hits.filter((e) => correlations.has(e.event_id!));
  if (mine.length === 1) return { event: mine[0]!, correlation: correlations.get(mine[0]!.event_id!)! };
  return mine.length === 0 ? `no event ${value} in run ${runId}` : `${mine.length} events of run ${runId} start with ${value}: give more of the id`;
}
