/** @module policy/sequence: bounded in-memory state for "A then B within N ms in the same tool call" rules. */
import { AgentprovError } from '../errors.js';
import type { RuleMatch, RuntimeEvent } from '../model/index.js';
import { beginEvent, testMatch } from './compile-match.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { EMPTY_CONTEXT } from './context.js';
import type { EvalContext, Evaluation } from './context.js';
import { combineMatches, evaluate } from './evaluate.js';

const NONE: RuleMatch[] = Object.freeze([]) as unknown as RuleMatch[];

export interface SequenceTrackerOptions {
  /** Most (rule, tool call) pairs remembered at once; the least recently refreshed goes first. Default 10000. */
  maxEntries?: number;
}

/**
 * Remembers, per sequence rule and tool call, the time of the latest event that matched `first`; an event
 * matching `then` in the same tool call at most `within_ms` later fires the rule. Time is the events' own
 * time_ns (no clock is read). Entries leave when older than the rule's window (checked as events arrive)
 * or when maxEntries is reached (counted in `evicted`). Events without a tool call are not tracked.
 */
export class SequenceTracker {
  readonly policy: CompiledPolicy;
  private readonly maxEntries: number;
  /** key `${sequence index}\u0000${tool_call_id}` -> time_ns of the latest `first`; Map order = refresh order. */
  private readonly firstSeen = new Map<string, bigint>();
  private readonly maxWindowNs: bigint;
  /** Entries dropped to stay under maxEntries while still inside their window. */
  evicted = 0;

  constructor(policy: CompiledPolicy, opts: SequenceTrackerOptions = {}) {
    this.policy = policy;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxWindowNs = policy.sequences.reduce((m, s) => (s.windowNs > m ? s.windowNs : m), 0n);
  }

  get size(): number {
    return this.firstSeen.size;
  }

  /** Feeds one event (in time order per tool call) and returns the sequence rules it completes. */
  observe(event: RuntimeEvent, toolCallId: string | null | undefined, ctx: EvalContext = EMPTY_CONTEXT): RuleMatch[] {
    if (toolCallId === null || toolCallId === undefined || this.policy.sequences.length === 0) return NONE;
    const thens = this.policy.sequenceThenByType[event.type];
    const firsts = this.policy.sequenceFirstByType[event.type];
    if (thens.length === 0 && firsts.length === 0) return NONE;
    const t = event.time_ns;
    this.expire(t);
    beginEvent();
    let out: RuleMatch[] | null = null;
    // `then` before `first`, so one event never completes a sequence it starts.
    for (const seq of thens) {
      const key = `${seq.index}\u0000${toolCallId}`;
      const at = this.firstSeen.get(key);
      if (at === undefined || t < at || t - at > seq.windowNs) continue;
      if (testMatch(seq.then, event, ctx)) (out ??= []).push(seq.result);
    }
    for (const seq of firsts) {
      if (!testMatch(seq.first, event, ctx)) continue;
      const key = `${seq.index}\u0000${toolCallId}`;
      this.firstSeen.delete(key);
      this.firstSeen.set(key, t);
      if (this.firstSeen.size > this.maxEntries) {
        const oldest = this.firstSeen.keys().next().value as string;
        this.firstSeen.delete(oldest);
        this.evicted++;
      }
    }
    return out ?? NONE;
  }

  /** Drops entries older than the longest window, oldest first; stops at the first one still fresh. */
  private expire(now: bigint): void {
    for (const [key, at] of this.firstSeen) {
      if (now - at <= this.maxWindowNs) break;
      this.firstSeen.delete(key);
    }
  }
}

/**
 * evaluate() plus the sequence rules: the single-event matches first, then any sequence this event
 * completes, with action and would_action recomputed over both. The tool call defaults to the scope's,
 * else the one the event itself declares (native JSONL).
 */
export function evaluateWithSequences(
  policy: CompiledPolicy,
  event: RuntimeEvent,
  ctx: EvalContext,
  tracker: SequenceTracker,
  toolCallId: string | null = ctx.scope?.tool_call_id ?? event.tool_call_id ?? null,
): Evaluation {
  if (tracker.policy !== policy) {
    throw new AgentprovError('AP_INTERNAL', 'SequenceTracker was built for another policy: make a new tracker when the policy changes');
  }
  const base = evaluate(policy, event, ctx);
  const seq = tracker.observe(event, toolCallId, ctx);
  if (seq.length === 0) return base;
  return combineMatches(policy, [...base.matches, ...seq]);
}

/**
 * A policy with its own sequence state, shaped like the engine's PolicyPort: one per pipeline, fed events in
 * time order. Replace it (not the policy inside it) when the policy is reloaded.
 */
export class PolicyEvaluator {
  readonly policy: CompiledPolicy;
  readonly tracker: SequenceTracker;

  constructor(policy: CompiledPolicy, opts: SequenceTrackerOptions = {}) {
    this.policy = policy;
    this.tracker = new SequenceTracker(policy, opts);
  }

  get hash(): string {
    return this.policy.hash;
  }

  get name(): string {
    return this.policy.name;
  }

  evaluate(event: RuntimeEvent, ctx: EvalContext = EMPTY_CONTEXT, toolCallId?: string | null): Evaluation {
    return evaluateWithSequences(
      this.policy,
      event,
      ctx,
      this.tracker,
      toolCallId ?? ctx.scope?.tool_call_id ?? event.tool_call_id ?? null,
    );
  }
}
