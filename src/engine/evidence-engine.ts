/** @module engine/evidence-engine: the pipeline correlate -> policy -> decisions -> graph objects, over ports. */
import { Correlator } from '../correlate/index.js';
import { canonicalJson, contentHash, digestRunEvents, drawRunGraph, RunEventDigest } from '../graph/index.js';
import type { Correlation, RuntimeEvent, ToolCallScope } from '../model/index.js';
import {
  combineMatches,
  evaluateWithSequences,
  SequenceTracker,
  type CompiledPolicy,
  type EvalAncestor,
  type EvalContext,
  type EvalScope,
} from '../policy/index.js';
import type { AgentDirectory, EventVerdict, EvidenceSink, IntentCheck, Responder, RunFrame } from './ports.js';
import { buildDecision, buildRisks, ENFORCING_ACTIONS, unperformedResponse } from './verdict.js';
import { countVerdicts, emptyStats, type BatchStats } from './batch-stats.js';

export interface EngineOptions {
  sink: EvidenceSink;
  policy: CompiledPolicy;
  clock: () => bigint;
  /** Carries out enforcing decisions; without one they are recorded as `skipped` with the reason. */
  responder?: Responder;
  /** Why decisions are not carried out when there is no responder (e.g. "ingested after the fact"). */
  noResponderReason?: string;
  workspace?: string;
  /** Declared intent (gate records): undeclared behaviour becomes a rule match of its own. */
  intent?: IntentCheck;
  /** Registered agents: their owner and autonomy level for policy matching. */
  agents?: AgentDirectory;
}

export interface JudgedBatch {
  events: RuntimeEvent[];
  verdicts: EventVerdict[];
}

/** Ancestry depth handed to policy rules: enough for "shell under curl under a tool call". */
const POLICY_ANCESTRY = 8;
/** A run digest holding more events of their own than this is not kept (the next rebuild reads the store). */
const MAX_DIGEST_KEPT = 200_000;

export class EvidenceEngine {
  readonly correlator = new Correlator();
  readonly #opts: EngineOptions;
  readonly #scopes = new Map<string, ToolCallScope>();
  readonly #dirtyRuns = new Set<string>();
  /** Bindings bound through this engine (see bind). */
  readonly #boundHere = new Set<string>();
  readonly #sequences: SequenceTracker;
  /**
   * Per run, its events folded as this engine stores them (graph/run-digest), so a rebuild draws the graph
   * without reading the run's events back. A re-correlation drops them; a digest that counts other than the
   * store (another process wrote to the run) is re-read.
   */
  readonly #digests = new Map<string, RunEventDigest>();
  #treeHasHistory = false;
  #rejudged = 0;

  constructor(opts: EngineOptions) {
    this.#opts = opts;
    this.#sequences = new SequenceTracker(opts.policy);
    for (const s of opts.sink.loadScopes()) this.#addScope(s);
  }

  get dirtyRuns(): ReadonlySet<string> {
    return this.#dirtyRuns;
  }

  /**
   * How many stored events reconcile has re-judged so far (monotonic): a caller that keeps what it saw
   * live (record's file writers) knows that view is still the store's when this has not moved.
   */
  get rejudged(): number {
    return this.#rejudged;
  }

  #addScope(scope: ToolCallScope): void {
    this.#scopes.set(scope.binding_id!, scope);
    this.correlator.addScope(scope);
  }

  /** Stores a batch of events and everything derived from them, in one transaction. */
  processBatch(events: RuntimeEvent[], batchId: string | null): BatchStats {
    const stats = emptyStats();
    stats.received = events.length;
    this.#opts.sink.transaction(() => {
      const fresh = this.#opts.sink.insertEvents(events, batchId);
      stats.stored = fresh.length;
      stats.duplicates = events.length - fresh.length;
      for (const e of fresh) this.correlator.observe(e);
      const verdicts = fresh.map((e) => this.#judge(e, this.correlator.correlate(e)));
      this.#opts.sink.putVerdicts(verdicts);
      countVerdicts(verdicts, stats);
      this.#fold(fresh, verdicts);
    });
    return stats;
  }

  /**
   * The live path: judges every event first (an enforcing decision reaches the responder before anything
   * is written: storage costs far more than judging and must not delay containment), then stores. Live
   * events are never duplicates; should one be, its verdict is dropped with it.
   */
  judgeBatch(events: RuntimeEvent[]): JudgedBatch {
    for (const e of events) this.correlator.observe(e);
    return { events, verdicts: events.map((e) => this.#judge(e, this.correlator.correlate(e))) };
  }

  /** Stores what judgeBatch produced, in one transaction. */
  storeJudged(judged: JudgedBatch, batchId: string | null): BatchStats {
    const stats = emptyStats();
    stats.received = judged.events.length;
    this.#opts.sink.transaction(() => {
      const fresh = new Set(this.#opts.sink.insertEvents(judged.events, batchId).map((e) => e.event_id));
      const verdicts = judged.verdicts.filter((v) => fresh.has(v.event_id));
      stats.stored = fresh.size;
      stats.duplicates = judged.events.length - fresh.size;
      this.#opts.sink.putVerdicts(verdicts);
      countVerdicts(verdicts, stats);
      this.#fold(judged.events, verdicts);
    });
    return stats;
  }

  /**
   * What judgeBatch produced, written by someone else (the storage thread): folded into the run digests as
   * if stored here. A live event that turns out a duplicate leaves its digest one ahead of the store, which
   * the count check at the next rebuild catches (the run is read back).
   */
  foldJudged(judged: JudgedBatch): void {
    this.#fold(judged.events, judged.verdicts);
  }

  /** Stored verdicts into the digests of their runs (runs without one are read whole when rebuilt). */
  #fold(events: readonly RuntimeEvent[], verdicts: readonly EventVerdict[]): void {
    if (this.#digests.size === 0) return;
    // judgeBatch's verdicts are its events' in order: the map of a batch by id is built only when they are not
    let byId: Map<string, RuntimeEvent> | null = null;
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i]!;
      const digest = v.correlation.run_id ? this.#digests.get(v.correlation.run_id) : undefined;
      if (!digest) continue;
      let e = events[i];
      if (e?.event_id !== v.event_id) e = (byId ??= new Map(events.map((x) => [x.event_id!, x]))).get(v.event_id);
      if (e) digest.add(e, v.correlation, v.decision !== null);
    }
  }

  /**
   * Binds a scope and re-correlates every stored event in its window (late binding: events that arrived
   * before their binding get the same result as if it had come first). Returns what changed.
   */
  bind(scopeInput: ToolCallScope): { scope: ToolCallScope; stats: BatchStats } {
    const scope = { ...scopeInput, binding_id: scopeInput.binding_id ?? scopeBindingId(scopeInput) };
    // Only a scope this engine bound itself was judged under this policy: a stored one is re-derived whole.
    const before = this.#boundHere.has(scope.binding_id) ? this.#scopes.get(scope.binding_id) : undefined;
    // A stored version bound by another process: its events may sit outside the new window (a narrowed end).
    const stored = before ? undefined : this.#scopes.get(scope.binding_id);
    this.#opts.sink.transaction(() => this.#opts.sink.putScope(scope));
    this.#addScope(scope);
    this.#boundHere.add(scope.binding_id);
    this.#opts.responder?.scopeBound?.(scope, this.#opts.policy, this.#evalScope(scope));
    // Pid evidence may rest on ancestors seen long before the window; cgroup and container evidence cannot.
    const history = scope.pids.length > 0 ? 'all' : 'window';
    const changed = before ? changedWindow(before, scope) : stored ? unionWindow(stored, scope) : { from: scope.started_at_ns, to: scope.ended_at_ns ?? null };
    const stats = changed === 'none' ? emptyStats() : this.reconcile(changed.from, changed.to, history);
    this.#dirtyRuns.add(scope.run_id);
    // A run that starts here starts its digest empty: its graph then never reads its events back.
    if (!this.#digests.has(scope.run_id) && this.#opts.sink.countRunEvents(scope.run_id) === 0) this.#digests.set(scope.run_id, new RunEventDigest());
    return { scope, stats };
  }

  /**
   * Re-derives correlations and verdicts for stored events in a window. With `history: 'all'` the process
   * tree first learns every stored event (pid ancestry may rest on events outside the window), once per
   * engine: later events reach the tree through processBatch.
   */
  reconcile(fromNs: bigint, toNs: bigint | null, history: 'all' | 'window' = 'all'): BatchStats {
    const stats = emptyStats();
    const sink = this.#opts.sink;
    if (history === 'all' && !this.#treeHasHistory) {
      for (const e of sink.loadEventsInWindow(0n, null)) this.correlator.observe(e);
      this.#treeHasHistory = true;
    }
    const batch: EventVerdict[] = [];
    const flush = () => {
      sink.transaction(() => sink.putVerdicts(batch));
      countVerdicts(batch, stats);
      batch.length = 0;
    };
    // A re-correlated event may leave the run it belonged to: every run whose window overlaps is re-derived.
    for (const s of this.#scopes.values()) {
      const endsAfter = s.ended_at_ns == null || s.ended_at_ns >= fromNs;
      if (endsAfter && (toNs === null || s.started_at_ns <= toNs)) this.#dirtyRuns.add(s.run_id);
    }
    for (const e of sink.loadEventsInWindow(fromNs, toNs)) {
      stats.received++;
      batch.push(this.#judge(e, this.correlator.correlate(e)));
      if (batch.length >= 5000) flush();
    }
    flush();
    this.#rejudged += stats.received;
    // re-judged events may have changed runs, decisions or processes: digests are re-read on next rebuild
    if (stats.received > 0) this.#digests.clear();
    return stats;
  }

  /** Re-derives and stores the DAG of every run touched since the last call. */
  rebuildDirtyRuns(): string[] {
    const runs = [...this.#dirtyRuns];
    for (const runId of runs) this.rebuildRun(runId);
    this.#dirtyRuns.clear();
    return runs;
  }

  /** Re-derives one run's DAG now; it is no longer dirty. */
  rebuildRun(runId: string): { nodes: number; edges: number } {
    this.#dirtyRuns.delete(runId);
    const sink = this.#opts.sink;
    let digest = this.#digests.get(runId);
    let frame: RunFrame;
    if (digest !== undefined && digest.events === sink.countRunEvents(runId)) {
      frame = sink.loadRunFrame(runId);
    } else {
      const evidence = sink.loadRunEvidence(runId);
      digest = digestRunEvents(evidence);
      frame = evidence;
      if (digest.kept.length <= MAX_DIGEST_KEPT) this.#digests.set(runId, digest);
      else this.#digests.delete(runId);
    }
    const graph = drawRunGraph({ run_id: runId, ...frame }, digest);
    sink.transaction(() => sink.replaceRunGraph(runId, graph.nodes, graph.edges));
    return { nodes: graph.nodes.length, edges: graph.edges.length };
  }

  #judge(event: RuntimeEvent, correlation: Correlation): EventVerdict {
    const scope = correlation.binding_id ? (this.#scopes.get(correlation.binding_id) ?? null) : null;
    if (correlation.run_id) this.#dirtyRuns.add(correlation.run_id);
    let evaluation = evaluateWithSequences(this.#opts.policy, event, this.#context(event, scope), this.#sequences);
    const undeclared = scope && this.#opts.intent ? this.#opts.intent.check(event, scope) : null;
    if (undeclared !== null && undeclared.length > 0) evaluation = combineMatches(this.#opts.policy, [...evaluation.matches, ...undeclared]);
    const decision = buildDecision(event, correlation, evaluation, this.#opts.policy.hash);
    if (!decision) return { event_id: event.event_id!, correlation, decision: null, risks: [], responses: [] };
    const risks = buildRisks(decision, correlation);
    const responses = [];
    if (ENFORCING_ACTIONS.has(decision.action)) {
      const now = this.#opts.clock();
      const done = this.#opts.responder?.respond({ decision, event, correlation, scope, now });
      responses.push(
        done ??
          unperformedResponse(
            decision,
            correlation,
            'skipped',
            this.#opts.noResponderReason ?? 'no responder is attached to this pipeline',
            now,
          ),
      );
    }
    return { event_id: event.event_id!, correlation, decision, risks, responses };
  }

  #context(event: RuntimeEvent, scope: ToolCallScope | null): EvalContext {
    const tree = this.correlator.tree;
    const ancestry: EvalAncestor[] = [];
    const key = tree.keyOf(event);
    if (key) {
      for (const k of tree.ancestors(key).slice(0, POLICY_ANCESTRY)) {
        const p = tree.get(k);
        if (p) ancestry.push({ pid: p.pid, exe: p.exe, comm: p.comm, ...(p.argv ? { argv: p.argv } : {}) });
      }
    }
    // the workspace the scope declares, else the engine's (record's workdir)
    const workspace = scope?.workspace ?? this.#opts.workspace;
    return { scope: scope ? this.#evalScope(scope) : null, ancestry, ...(workspace ? { workspace } : {}) };
  }

  #evalScope(scope: ToolCallScope): EvalScope {
    const agent = scope.agent_id ? (this.#opts.agents?.lookup(scope.agent_id) ?? null) : null;
    return {
      run_id: scope.run_id,
      tool_call_id: scope.tool_call_id,
      tool_name: scope.tool_name ?? null,
      agent_id: scope.agent_id ?? null,
      owner: scope.owner ?? agent?.owner ?? null,
      autonomy: agent?.autonomy ?? null,
    };
  }
}

/** Both windows of a scope that changed: events of the old one may no longer belong, of the new one may now. */
function unionWindow(a: ToolCallScope, b: ToolCallScope): { from: bigint; to: bigint | null } {
  const from = a.started_at_ns < b.started_at_ns ? a.started_at_ns : b.started_at_ns;
  const ea = a.ended_at_ns ?? null;
  const eb = b.ended_at_ns ?? null;
  return { from, to: ea === null || eb === null ? null : ea > eb ? ea : eb };
}

/**
 * What a re-bind of a scope this engine bound changes: one that only ended (or moved its end) changes the
 * attribution of events after the earlier end alone, so ending a tool call of 10^6 events re-judges none
 * of them. Any other change re-correlates both windows.
 */
function changedWindow(before: ToolCallScope, after: ToolCallScope): { from: bigint; to: bigint | null } | 'none' {
  const whole = unionWindow(before, after);
  if (canonicalJson({ ...before, ended_at_ns: null }) !== canonicalJson({ ...after, ended_at_ns: null })) return whole;
  const a = before.ended_at_ns ?? null;
  const b = after.ended_at_ns ?? null;
  if (a === b) return 'none';
  const earlier = a === null ? b! : b === null ? a : a < b ? a : b;
  return { from: earlier + 1n, to: null };
}

/** A binding's id: stable for the same declared scope, so binding twice is idempotent. */
export function scopeBindingId(scope: ToolCallScope): string {
  return contentHash({
    v: 'agentprov.binding/v1',
    run_id: scope.run_id,
    session_id: scope.session_id,
    attempt_id: scope.attempt_id,
    tool_call_id: scope.tool_call_id,
    started_at_ns: scope.started_at_ns,
  }).slice(0, 32);
}
