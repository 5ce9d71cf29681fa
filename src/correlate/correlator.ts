/**
 * @module correlate/correlator: binds a runtime event to the ToolCallScope the kernel evidence points at
 * (own cgroup > shared cgroup > container > pid ancestry > declared), with a confidence and a reason.
 */
import { CORRELATION_TIERS, type Correlation, type RuntimeEvent, type ToolCallScope } from '../model/index.js';
import { containerIdsMatch, normalizeContainerId } from './container-id.js';
import { ProcessTree, type ProcKey } from './process-tree.js';
import { isInWindow, ScopeIndex, type IndexedScope } from './scope-index.js';

type MatchTier = 'own_cgroup' | 'shared_cgroup' | 'container' | 'pid_ancestry' | 'declared';
const TIER_RANK: Record<MatchTier, number> = {
  own_cgroup: 0,
  shared_cgroup: 1,
  container: 2,
  pid_ancestry: 3,
  declared: 4,
};
const ASSERTED_CAP = CORRELATION_TIERS.asserted;
/** How many runner-up scopes a reason names before it just counts them. */
const MAX_NAMED_OTHERS = 5;

/** A scope the evidence points at; strings are built only for the winner and the reason. */
interface Candidate {
  entry: IndexedScope;
  tier: MatchTier;
  /** cgroup id, container id or declared tool call id; unused for pid hits. */
  value: string;
  hit: PidHit | null;
  confidence: number;
}

/**
 * A bound pid found on the process or an ancestor. Keys are written from the event's own fields and the
 * binding's, never from what the tree resolved, so they read the same however late the tree learned it.
 */
interface PidHit {
  entry: IndexedScope;
  depth: number;
  /** The binding's pid, and its start when the binding gave one. */
  bound: string;
}

export class Correlator {
  readonly tree = new ProcessTree();
  private readonly index = new ScopeIndex();
  private pidHits = new Map<ProcKey, PidHit[]>();
  private cacheStamp = '';

  /** Bind (or rebind, under the same binding_id) a scope; correlate again to see its effect on past events. */
  addScope(scope: ToolCallScope): void {
    this.index.add(scope);
  }

  /** Teach the process tree about the event's process and parent; any order, repeats are harmless. */
  observe(event: RuntimeEvent): void {
    this.tree.observe(event);
  }

  /** The best-supported scope for the event, or an unattributed correlation saying what was looked for. */
  correlate(event: RuntimeEvent): Correlation {
    this.tree.observe(event);
    return this.match(event);
  }

  /** correlate() for an event already observed: recorrelate uses it so a million events are not folded in twice. */
  match(event: RuntimeEvent): Correlation {
    const t = event.time_ns;
    const cands: Candidate[] = [];
    const misses: Candidate[] = [];
    const cg = event.cgroup_id ?? null;
    if (cg !== null) {
      for (const e of this.index.ownCgroup(cg)) {
        // The scope's own leaf: nothing else runs there, so an open scope needs no window.
        const ok = e.scope.ended_at_ns === null || e.scope.ended_at_ns === undefined || isInWindow(e.scope, t);
        (ok ? cands : misses).push(candidate(e, 'own_cgroup', cg, null));
      }
      for (const e of this.index.sharedCgroup(cg)) {
        (isInWindow(e.scope, t) ? cands : misses).push(candidate(e, 'shared_cgroup', cg, null));
      }
    }
    const cid = normalizeContainerId(event.container_id);
    if (cid !== null) {
      for (const c of this.index.container(cid)) {
        if (!containerIdsMatch(cid, c.container_id)) continue;
        (isInWindow(c.entry.scope, t) ? cands : misses).push(candidate(c.entry, 'container', cid, null));
      }
    }
    const key = this.tree.keyOf(event);
    if (key !== null && this.index.hasPids()) {
      for (const h of this.hitsFor(key)) {
        (isInWindow(h.entry.scope, t) ? cands : misses).push(candidate(h.entry, 'pid_ancestry', '', h));
      }
    }
    if (event.tool_call_id) {
      for (const e of this.index.toolCall(event.tool_call_id)) cands.push(candidate(e, 'declared', event.tool_call_id, null));
    }
    if (cands.length === 0) {
      if (this.index.size === 0) return unattributed(event, 'no tool call scope is bound');
      const ancestors = key === null ? 0 : this.tree.ancestors(key).length;
      const looked = `no scope owns cgroup ${cg ?? 'none'}, container ${cid ?? 'none'}, pid ${event.pid ?? 'none'} or its ${ancestors} ancestors`;
      const named = misses.slice(0, MAX_NAMED_OTHERS).map((m) => `${m.entry.scope.tool_call_id} (${whatOf(m, event)}, outside ${windowText(m.entry.scope)})`);
      return unattributed(event, named.length > 0 ? `${looked}; matched only outside the window: ${named.join(', ')}` : looked);
    }
    if (cands.length > 1) cands.sort(compareCandidates);
    return this.attributed(event, cands);
  }

  private attributed(event: RuntimeEvent, cands: Candidate[]): Correlation {
    const best = cands[0]!;
    const s = best.entry.scope;
    const asserted = s.asserted || best.tier === 'declared';
    const tierConf = best.tier === 'declared' ? ASSERTED_CAP : CORRELATION_TIERS[best.tier];
    // No event-specific value (its time, its id) goes into the reason: every event one binding attributes
    // the same way shares one reason, which the store keeps once (store/correlation-log).
    const parts = [
      `${whatOf(best, event)} matches tool call ${s.tool_call_id} (run ${s.run_id}, binding ${best.entry.id}) in its window from ${s.started_at_ns}`,
    ];
    if (s.asserted) parts.push(`the binding is asserted, which caps confidence at ${ASSERTED_CAP}`);
    if (s.confidence < Math.min(tierConf, asserted ? ASSERTED_CAP : 1)) {
      parts.push(`the binding's own confidence ${s.confidence} is below the tier's ${tierConf}`);
    }
    const seen = new Set([best.entry.id]);
    const others = cands.filter((c) => !seen.has(c.entry.id) && seen.add(c.entry.id));
    if (others.length > 0) {
      const named = others.slice(0, MAX_NAMED_OTHERS).map((c) => `${c.entry.scope.tool_call_id} (${c.tier}, ${c.confidence})`);
      const more = others.length > MAX_NAMED_OTHERS ? ` and ${others.length - MAX_NAMED_OTHERS} more` : '';
      parts.push(`also matched ${named.join(', ')}${more}; kept the strongest, then the most recent`);
    }
    return {
      event_id: event.event_id ?? '',
      binding_id: s.binding_id ?? best.entry.id,
      run_id: s.run_id,
      tool_call_id: s.tool_call_id,
      tier: asserted ? 'asserted' : (best.tier as Exclude<MatchTier, 'declared'>),
      keys_matched: keysOf(best, event),
      confidence: best.confidence,
      reason: `${parts.join('; ')}.`,
    };
  }

  /** Scopes bound to the process or one of its ancestors, ignoring windows; cached per process. */
  private hitsFor(key: ProcKey): PidHit[] {
    const stamp = `${this.tree.version}/${this.index.version}`;
    if (stamp !== this.cacheStamp) {
      this.pidHits = new Map();
      this.cacheStamp = stamp;
    }
    const cached = this.pidHits.get(key);
    if (cached !== undefined) return cached;
    const hits: PidHit[] = [];
    [key, ...this.tree.ancestors(key)].forEach((k, depth) => {
      const p = this.tree.get(k);
      const pid = p?.pid ?? Number(k.slice(0, k.indexOf('@')));
      const start = p !== undefined ? p.start_ns : k.includes('@?') ? null : BigInt(k.slice(k.indexOf('@') + 1));
      for (const b of this.index.pid(pid)) {
        const s = b.entry.scope;
        const same =
          b.start_ns !== null
            ? start !== null
              ? start === b.start_ns
              : this.tree.resolve(pid, b.start_ns) === k
            : this.tree.resolveFrom(pid, s.started_at_ns, s.ended_at_ns ?? null) === k;
        if (same) hits.push({ entry: b.entry, depth, bound: pidText(pid, b.start_ns) });
      }
    });
    this.pidHits.set(key, hits);
    return hits;
  }
}

/** Correlate events against scopes from scratch, e.g. after `telemetry bind` names a scope late. Results follow the input order. */
export function recorrelate(events: readonly RuntimeEvent[], scopes: readonly ToolCallScope[]): Correlation[] {
  const c = new Correlator();
  // The tree is a function of the set of events observed, so observing them in any order gives the same one.
  for (const e of events) c.observe(e);
  for (const s of scopes) c.addScope(s);
  return events.map((e) => c.match(e));
}

function candidate(entry: IndexedScope, tier: MatchTier, value: string, hit: PidHit | null): Candidate {
  const s = entry.scope;
  const tierConf = tier === 'declared' ? ASSERTED_CAP : CORRELATION_TIERS[tier];
  return { entry, tier, value, hit, confidence: Math.min(tierConf, s.asserted ? ASSERTED_CAP : 1, s.confidence) };
}

function pidText(pid: number | null | undefined, start: bigint | null | undefined): string {
  return start === null || start === undefined ? `${pid ?? 'none'}` : `${pid}@start=${start}`;
}

function keysOf(c: Candidate, e: RuntimeEvent): string[] {
  if (c.hit !== null) {
    const own = `pid=${pidText(e.pid, e.process_start_ns)}`;
    return c.hit.depth === 0 ? [own] : [own, `ancestor_pid=${c.hit.bound}`];
  }
  if (c.tier === 'container') return [`container_id=${c.value}`];
  if (c.tier === 'declared') return [`tool_call_id=${c.value}`];
  return [`cgroup_id=${c.value}`];
}

function whatOf(c: Candidate, e: RuntimeEvent): string {
  if (c.hit !== null) {
    const own = pidText(e.pid, e.process_start_ns);
    return c.hit.depth === 0 ? `pid ${own}` : `ancestor pid ${c.hit.bound} (${c.hit.depth} up from pid ${own})`;
  }
  if (c.tier === 'own_cgroup') return `own cgroup ${c.value}`;
  if (c.tier === 'shared_cgroup') return `shared cgroup ${c.value}`;
  if (c.tier === 'container') return `container ${c.value}`;
  return "the event's declared tool_call_id";
}

function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.confidence !== b.confidence) return b.confidence - a.confidence;
  if (a.tier !== b.tier) return TIER_RANK[a.tier] - TIER_RANK[b.tier];
  const da = a.hit?.depth ?? 0;
  const db = b.hit?.depth ?? 0;
  if (da !== db) return da - db;
  const sa = a.entry.scope.started_at_ns;
  const sb = b.entry.scope.started_at_ns;
  if (sa !== sb) return sa > sb ? -1 : 1;
  return a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0;
}

/**
 * For misses only. A match's reason names the window's start, never its end: a scope that ends must not
 * rewrite the reason (and so the stored correlation) of every event it already covers.
 */
function windowText(s: ToolCallScope): string {
  return `[${s.started_at_ns}, ${s.ended_at_ns ?? 'open'}]`;
}

function unattributed(event: RuntimeEvent, reason: string): Correlation {
  return {
    event_id: event.event_id ?? '',
    binding_id: null,
    run_id: null,
    tool_call_id: null,
    tier: 'unattributed',
    keys_matched: [],
    confidence: 0,
    reason: `${reason}.`,
  };
}
