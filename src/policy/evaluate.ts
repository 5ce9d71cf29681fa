/** @module policy/evaluate: the pure, allocation-free-on-no-match evaluation of one event against a CompiledPolicy. */
import type { RuleMatch, RuntimeEvent } from '../model/index.js';
import { beginEvent, testMatch } from './compile-match.js';
import { ACTION_BY_RANK } from './compiled-policy.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { EMPTY_CONTEXT } from './context.js';
import type { EvalContext, Evaluation } from './context.js';

/**
 * Evaluates one event against the single-event rules (sequence rules need state: see SequenceTracker and
 * evaluateWithSequences). Reads the event and context, never writes them. When nothing matches, returns
 * `policy.noMatch`, a frozen object shared by all such calls; otherwise a fresh Evaluation whose
 * RuleMatch entries are frozen and shared.
 */
export function evaluate(policy: CompiledPolicy, event: RuntimeEvent, ctx: EvalContext = EMPTY_CONTEXT): Evaluation {
  const rules = policy.byType[event.type];
  if (rules === undefined || rules.length === 0) return policy.noMatch;
  beginEvent();
  let matches: RuleMatch[] | null = null;
  let act = -1;
  let would = -1;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (!testMatch(r.match, event, ctx)) continue;
    if (matches === null) matches = [];
    matches.push(r.result);
    if (r.enforce && r.rank > act) act = r.rank;
    if (r.rank > would) would = r.rank;
  }
  if (matches === null) return policy.noMatch;
  return {
    matches,
    action: act < 0 ? policy.default_action : ACTION_BY_RANK[act]!,
    would_action: ACTION_BY_RANK[would]!,
  };
}

/** Recomputes action and would_action over a list of matches (e.g. single-event plus sequence matches). */
export function combineMatches(policy: CompiledPolicy, matches: RuleMatch[]): Evaluation {
  if (matches.length === 0) return policy.noMatch;
  let act = -1;
  let would = -1;
  for (const m of matches) {
    const rank = ACTION_BY_RANK.indexOf(m.action);
    if (m.mode === 'enforce' && rank > act) act = rank;
    if (rank > would) would = rank;
  }
  return {
    matches,
    action: act < 0 ? policy.default_action : ACTION_BY_RANK[act]!,
    would_action: ACTION_BY_RANK[would]!,
  };
}
