/**
 * @module service/respond-record: writes responses made outside the engine's batch (follow-ups, manual
 * actions, approval steps) and what a containment must later undo, then re-derives the run's DAG so the
 * response appears in it.
 */
import { deriveRunGraph } from '../graph/index.js';
import type { ResponseAction } from '../model/index.js';
import { encodeTarget, targetKindOf, targetString, type ContainmentState, type ResponseTarget, type ResponseVerb } from '../respond/index.js';
import type { EvidenceStore, ResponseStore } from '../store/index.js';

/** Re-derives and stores one run's DAG from what the store holds now. */
export function rebuildRunGraph(store: EvidenceStore, runId: string): { nodes: number; edges: number } {
  const graph = deriveRunGraph({ run_id: runId, ...store.loadRunEvidence(runId) });
  store.transaction(() => store.replaceRunGraph(runId, graph.nodes, graph.edges));
  return { nodes: graph.nodes.length, edges: graph.edges.length };
}

/** Stores a response (replacing an earlier version of the same response_id) and refreshes its run's DAG. */
export function recordResponse(store: EvidenceStore, action: ResponseAction, opts: { rebuild?: boolean } = {}): void {
  store.transaction(() => store.putResponse(action));
  if (action.run_id !== null && opts.rebuild !== false) rebuildRunGraph(store, action.run_id);
}

/**
 * Keeps the containments table in step with a completed step: a freeze or quarantine is remembered (with
 * what release must undo), a kill, thaw or release forgets the target.
 */
export function trackContainment(
  responses: ResponseStore,
  verb: ResponseVerb,
  target: ResponseTarget,
  result: ResponseAction['result'],
  responseId: string,
  nowNs: bigint,
  state?: ContainmentState,
): void {
  if (result !== 'done') return;
  const kind = targetKindOf(target);
  const key = targetString(target);
  if (verb === 'freeze' || verb === 'quarantine') {
    const prior = responses.getContainment(kind, key);
    // Freezing what is already quarantined must not forget the networks the quarantine took away.
    const body = { ...(prior?.body ?? {}), target: encodeTarget(target), ...(state ?? {}) };
    const level = verb === 'quarantine' || prior?.state === 'quarantined' ? 'quarantined' : 'frozen';
    responses.putContainment({ target_kind: kind, target: key, state: level, response_id: responseId, updated_at_ns: nowNs, body });
  } else {
    responses.deleteContainment(kind, key);
  }
}

/** A response store on the evidence store's own connection, its writes recorded in the store's ledger. */
export function responseStoreOf(store: EvidenceStore): ResponseStore {
  return store.responses();
}
