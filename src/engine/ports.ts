/** @module engine/ports: what the engine needs from the outside, as interfaces (implemented at the edges). */
import type {
  Correlation,
  DagEdge,
  DagNode,
  PolicyDecision,
  ResponseAction,
  RiskSignal,
  RuleMatch,
  RuntimeEvent,
  ToolCallScope,
} from '../model/index.js';
import type { CompiledPolicy, EvalScope } from '../policy/index.js';

/** Everything derived from one event: written (or replaced) as a unit. */
export interface EventVerdict {
  event_id: string;
  correlation: Correlation;
  decision: PolicyDecision | null;
  risks: RiskSignal[];
  responses: ResponseAction[];
}

/** Where evidence goes. The SQLite store implements it; so does MemoryEvidenceSink (tests, `policy test`). */
export interface EvidenceSink {
  transaction<T>(fn: () => T): T;
  /** Stores the events not stored yet and returns those (ids are content addresses). */
  insertEvents(events: RuntimeEvent[], batchId: string | null): RuntimeEvent[];
  putVerdicts(verdicts: EventVerdict[]): void;
  putScope(scope: ToolCallScope & { binding_id: string }): void;
  replaceRunGraph(runId: string, nodes: DagNode[], edges: DagEdge[]): void;
  /** Read-backs the engine needs to re-derive state in a fresh process. */
  loadScopes(): ToolCallScope[];
  loadEventsInWindow(fromNs: bigint, toNs: bigint | null): Iterable<RuntimeEvent>;
  loadRunEvidence(runId: string): RunEvidence;
  /** A run's evidence but its events (the engine folds those as it stores them: graph/run-digest). */
  loadRunFrame(runId: string): RunFrame;
  /** How many stored events the run holds now (a digest that counts fewer missed some: re-derive). */
  countRunEvents(runId: string): number;
}

export type RunFrame = Omit<RunEvidence, 'events' | 'correlations'>;

export interface RunEvidence {
  scopes: ToolCallScope[];
  events: RuntimeEvent[];
  correlations: Correlation[];
  decisions: PolicyDecision[];
  risks: RiskSignal[];
  responses: ResponseAction[];
}

/**
 * Carries out an enforcing decision. Returns the ResponseAction to record; a responder that cannot act (the
 * event was ingested after the fact, or no live target) records that honestly instead of pretending.
 */
export interface Responder {
  respond(req: ResponseRequest): ResponseAction | null;
  /**
   * A scope was bound: the responder may prepare what it can do before anything happens (the deny entries
   * and containment the kernel can carry out for the scope's own cgroups). Never throws.
   */
  scopeBound?(scope: ToolCallScope, policy: CompiledPolicy, facts: EvalScope): void;
}

export interface ResponseRequest {
  decision: PolicyDecision;
  event: RuntimeEvent;
  correlation: Correlation;
  scope: ToolCallScope | null;
  now: bigint;
}

/**
 * What tool calls declared before running (pre-execution gate records). Behaviour the declaration does not
 * cover comes back as rule matches, judged together with the policy's: a process doing what its tool call
 * did not declare is a risk signal of its own.
 */
export interface IntentCheck {
  check(event: RuntimeEvent, scope: ToolCallScope): RuleMatch[];
}

/** Registered agents, so policies can match on an agent's owner and autonomy level. */
export interface AgentDirectory {
  lookup(agentId: string): { owner: string; autonomy: string } | null;
}
