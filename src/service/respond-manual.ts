/**
 * @module service/respond-manual: `agentprov respond kill|quarantine|release|freeze|thaw`: a person acts on a
 * run, a tool call, a cgroup, a container or a process. Each target gets a ResponseAction (no decision:
 * it answers the tool call or run in the DAG), written once the kernel or dockerd has confirmed.
 */
import { contentHash } from '../graph/index.js';
import type { ResponseAction } from '../model/index.js';
import {
  decodeTarget,
  targetKindOf,
  targetString,
  type Actuator,
  type ContainmentState,
  type DockerPort,
  type ResponseVerb,
} from '../respond/index.js';
import type { EvidenceStore } from '../store/index.js';
import { rebuildRunGraph, responseStoreOf, trackContainment } from './respond-record.js';
import { selectTargets, type TargetSelector } from './respond-targets.js';

/** The verbs `agentprov respond` accepts: kill, quarantine and release (and the freeze/thaw halves of them). */
export const MANUAL_VERBS = ['kill', 'quarantine', 'release', 'freeze', 'thaw'] as const satisfies readonly ResponseVerb[];
export type ManualVerb = (typeof MANUAL_VERBS)[number];

export interface ManualResponseOptions {
  store: EvidenceStore;
  actuator: Actuator;
  docker?: DockerPort | null;
  verb: ManualVerb;
  selector: TargetSelector;
  /** Who asked (recorded), e.g. the login name. */
  actor: string;
  reason?: string;
  now: () => bigint;
}

export async function respondManually(opts: ManualResponseOptions): Promise<ResponseAction[]> {
  const { store, actuator, verb } = opts;
  const responses = responseStoreOf(store);
  const selected = await selectTargets(store, opts.selector, { docker: opts.docker ?? null });
  const who = `manual (${opts.actor}${opts.reason ? `: ${opts.reason}` : ''})`;
  const out: ResponseAction[] = [];
  for (const sel of selected) {
    const now = opts.now();
    const base = {
      decision_id: null,
      event_id: null,
      run_id: sel.run_id,
      tool_call_id: sel.tool_call_id,
      action: verb,
      latency_ns: null,
    };
    if (sel.target === null) {
      out.push({
        ...base,
        response_id: contentHash({ v: 'agentprov.response.manual/v1', verb, missing: sel.missing ?? '', at: now }),
        target_kind: 'none',
        target: '',
        result: 'skipped',
        detail: `${who}: ${sel.missing ?? 'nothing to act on'}`,
        time_ns: now,
      });
      continue;
    }
    const target = sel.target;
    const kind = targetKindOf(target);
    // A release undoes what the quarantine recorded (networks, the sensor flag); its stored target is fuller.
    const held = responses.getContainment(kind, targetString(target));
    const prior = (held?.body ?? null) as ContainmentState | null;
    const heldTarget = decodeTarget((held?.body.target ?? null) as Record<string, unknown> | null);
    const effect = actuator.apply(verb, heldTarget?.kind === target.kind ? { ...target, ...heldTarget } : target, prior);
    const outcome = await effect.confirmed;
    const result = effect.result === 'planned' || effect.result === 'done' ? outcome.result : effect.result;
    const confirmed = effect.result === 'done' || effect.result === 'planned' ? `; confirmed: ${outcome.detail}` : '';
    const action: ResponseAction = {
      ...base,
      response_id: contentHash({ v: 'agentprov.response.manual/v1', verb, target: targetString(target), at: now, actor: opts.actor }),
      target_kind: kind,
      target: targetString(target),
      result,
      detail: `${who}: ${effect.detail}${confirmed}`,
      time_ns: effect.acted_ns ?? now,
    };
    store.transaction(() => {
      store.putResponse(action);
      if (!actuator.dryRun) trackContainment(responses, verb, effect.target, result, action.response_id, now, outcome.state ?? effect.state);
    });
    out.push(action);
  }
  for (const run of new Set(out.map((a) => a.run_id).filter((r): r is string => r !== null))) rebuildRunGraph(store, run);
  return out;
}
