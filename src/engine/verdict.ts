/** @module engine/verdict: pure construction of decision, risk and response records from an evaluation. */
import { contentHash } from '../graph/index.js';
import type {
  Correlation,
  PolicyDecision,
  ResponseAction,
  RiskSignal,
  RuntimeEvent,
} from '../model/index.js';
import type { Evaluation } from '../policy/index.js';

/** Actions that are more than a note: each produces a response record. */
export const ENFORCING_ACTIONS = new Set(['deny', 'kill', 'quarantine', 'require_approval']);

export function buildDecision(
  event: RuntimeEvent,
  correlation: Correlation,
  evaluation: Evaluation,
  policyHash: string,
): PolicyDecision | null {
  if (evaluation.matches.length === 0) return null;
  const decision_id = contentHash({
    v: 'agentprov.decision/v1',
    event_id: event.event_id,
    policy_hash: policyHash,
    tool_call_id: correlation.tool_call_id,
  });
  return {
    decision_id,
    event_id: event.event_id!,
    tool_call_id: correlation.tool_call_id,
    policy_hash: policyHash,
    matches: evaluation.matches,
    action: evaluation.action,
    would_action: evaluation.would_action,
    time_ns: event.time_ns,
  };
}

/** One risk signal per matching rule that carries a score: the score is what ranks it. */
export function buildRisks(decision: PolicyDecision, correlation: Correlation): RiskSignal[] {
  return decision.matches
    .filter((m) => m.score > 0)
    .map((m) => ({
      risk_id: contentHash({ v: 'agentprov.risk/v1', decision_id: decision.decision_id, rule_id: m.rule_id }),
      decision_id: decision.decision_id,
      event_id: decision.event_id,
      run_id: correlation.run_id,
      tool_call_id: correlation.tool_call_id,
      rule_id: m.rule_id,
      severity: m.severity,
      score: m.score,
      tags: m.tags,
      reason: m.reason,
      time_ns: decision.time_ns,
    }));
}

/**
 * The id of the response to an event's decision: one scheme for every responder (and for a response none
 * carried out), so the same action on the same event and target has the same id whoever records it, and a
 * re-judged event's response is a new version of the same row rather than a second one.
 */
export function responseIdOf(eventId: string | null | undefined, action: string, target: string): string {
  return contentHash({ v: 'agentprov.response/v2', event_id: eventId ?? null, action, target });
}

/** A response the engine decided on but that no responder carried out (recorded, never silently dropped). */
export function unperformedResponse(
  decision: PolicyDecision,
  correlation: Correlation,
  result: 'planned' | 'skipped',
  detail: string,
  now: bigint,
): ResponseAction {
  const target = correlation.tool_call_id ?? '';
  return {
    response_id: responseIdOf(decision.event_id, decision.action, target),
    decision_id: decision.decision_id,
    event_id: decision.event_id,
    run_id: correlation.run_id,
    tool_call_id: correlation.tool_call_id,
    action: decision.action,
    target_kind: correlation.tool_call_id ? 'scope' : 'none',
    target,
    result,
    detail,
    latency_ns: null,
    time_ns: now,
  };
}
