/** @module policy/compiled-policy: normalized rules -> the immutable, indexed CompiledPolicy that evaluation reads. */
import type { InputIssue } from '../errors.js';
import { contentHash } from '../graph/index.js';
import { ACTION_SEVERITY, EVENT_TYPES } from '../model/index.js';
import type { EventType, PolicyAction, RuleMatch } from '../model/index.js';
import { compileMatch } from './compile-match.js';
import type { CompiledMatch } from './compile-match.js';
import type { Evaluation } from './context.js';
import type { NormalizedRule, PolicyRule } from './normalize.js';

export interface CompiledRule {
  readonly rule: PolicyRule;
  readonly match: CompiledMatch;
  /** Frozen and shared by every evaluation this rule matches. */
  readonly result: RuleMatch;
  readonly rank: number;
  readonly enforce: boolean;
}

export interface CompiledSequence {
  readonly index: number;
  readonly rule: PolicyRule;
  readonly first: CompiledMatch;
  readonly then: CompiledMatch;
  readonly windowNs: bigint;
  readonly result: RuleMatch;
  readonly rank: number;
  readonly enforce: boolean;
}

type ByType<T> = Readonly<Record<EventType, readonly T[]>>;

export interface CompiledPolicy {
  readonly name: string;
  readonly files: readonly string[];
  readonly default_action: PolicyAction;
  /** sha256 of the canonical JSON of { default_action, rules } (rules normalized, without file/line). */
  readonly hash: string;
  readonly rules: readonly PolicyRule[];
  /** Things that load but may not do what the author meant (inert AgentProvenance rules, approximations). */
  readonly warnings: readonly InputIssue[];
  /** Single-event rules that can apply to each event type, in policy order. */
  readonly byType: ByType<CompiledRule>;
  readonly sequences: readonly CompiledSequence[];
  readonly sequenceFirstByType: ByType<CompiledSequence>;
  readonly sequenceThenByType: ByType<CompiledSequence>;
  /** The shared, frozen result for an event no enforce- or detect-mode rule matched. */
  readonly noMatch: Evaluation;
}

/** Action by rank (the inverse of ACTION_SEVERITY). */
export const ACTION_BY_RANK: readonly PolicyAction[] = (Object.keys(ACTION_SEVERITY) as PolicyAction[]).sort(
  (a, b) => ACTION_SEVERITY[a] - ACTION_SEVERITY[b],
);

function emptyByType<T>(): Record<EventType, T[]> {
  return Object.fromEntries(EVENT_TYPES.map((t) => [t, [] as T[]])) as unknown as Record<EventType, T[]>;
}

function indexInto<T>(table: Record<EventType, T[]>, types: readonly EventType[] | null, item: T): void {
  for (const t of types ?? EVENT_TYPES) table[t].push(item);
}

function resultOf(r: NormalizedRule): RuleMatch {
  return Object.freeze({
    rule_id: r.id,
    action: r.action,
    mode: r.mode,
    severity: r.severity,
    score: r.score,
    tags: Object.freeze([...r.tags]) as string[],
    reason: r.description ?? r.id,
  });
}

/** The hashed form of a rule: everything that changes behaviour, nothing about where it was written. */
export function hashableRule(r: PolicyRule): NormalizedRule {
  const { file: _file, line: _line, ...rest } = r;
  return rest;
}

export function buildPolicy(opts: {
  name: string;
  files: string[];
  default_action: PolicyAction;
  rules: PolicyRule[];
  warnings: InputIssue[];
}): CompiledPolicy {
  const byType = emptyByType<CompiledRule>();
  const firstByType = emptyByType<CompiledSequence>();
  const thenByType = emptyByType<CompiledSequence>();
  const sequences: CompiledSequence[] = [];
  for (const rule of opts.rules) {
    if (rule.inert !== undefined) continue;
    const rank = ACTION_SEVERITY[rule.action];
    const enforce = rule.mode === 'enforce';
    if (rule.match) {
      const match = compileMatch(rule.match);
      indexInto(byType, match.types, { rule, match, result: resultOf(rule), rank, enforce });
    } else if (rule.sequence) {
      const seq: CompiledSequence = {
        index: sequences.length,
        rule,
        first: compileMatch(rule.sequence.first),
        then: compileMatch(rule.sequence.then),
        windowNs: BigInt(rule.sequence.within_ms) * 1_000_000n,
        result: resultOf(rule),
        rank,
        enforce,
      };
      sequences.push(seq);
      indexInto(firstByType, seq.first.types, seq);
      indexInto(thenByType, seq.then.types, seq);
    }
  }
  const hash = contentHash({ default_action: opts.default_action, rules: opts.rules.map(hashableRule) });
  return Object.freeze({
    name: opts.name,
    files: Object.freeze([...opts.files]),
    default_action: opts.default_action,
    hash,
    rules: Object.freeze(opts.rules.map((r) => Object.freeze(r))),
    warnings: Object.freeze(opts.warnings),
    byType,
    sequences,
    sequenceFirstByType: firstByType,
    sequenceThenByType: thenByType,
    noMatch: Object.freeze({
      matches: Object.freeze([]) as unknown as RuleMatch[],
      action: opts.default_action,
      would_action: opts.default_action,
    }),
  });
}
