/**
 * @module record/observed-sink: an EvidenceSink that passes everything to the store and tells the recorder
 * about each verdict as it is written, so risks and responses can be shown while the command still runs.
 */
import type { EventVerdict, EvidenceSink, RunEvidence, RunFrame } from '../engine/index.js';
import type { DagEdge, DagNode, RuntimeEvent, ToolCallScope } from '../model/index.js';

export class ObservedSink implements EvidenceSink {
  readonly #inner: EvidenceSink;
  readonly #onVerdicts: (verdicts: EventVerdict[]) => void;

  constructor(inner: EvidenceSink, onVerdicts: (verdicts: EventVerdict[]) => void) {
    this.#inner = inner;
    this.#onVerdicts = onVerdicts;
  }

  transaction<T>(fn: () => T): T {
    return this.#inner.transaction(fn);
  }

  insertEvents(events: RuntimeEvent[], batchId: string | null): RuntimeEvent[] {
    return this.#inner.insertEvents(events, batchId);
  }

  putVerdicts(verdicts: EventVerdict[]): void {
    this.#inner.putVerdicts(verdicts);
    this.#onVerdicts(verdicts);
  }

  putScope(scope: ToolCallScope & { binding_id: string }): void {
    this.#inner.putScope(scope);
  }

  replaceRunGraph(runId: string, nodes: DagNode[], edges: DagEdge[]): void {
    this.#inner.replaceRunGraph(runId, nodes, edges);
  }

  loadScopes(): ToolCallScope[] {
    return this.#inner.loadScopes();
  }

  loadEventsInWindow(fromNs: bigint, toNs: bigint | null): Iterable<RuntimeEvent> {
    return this.#inner.loadEventsInWindow(fromNs, toNs);
  }

  loadRunEvidence(runId: string): RunEvidence {
    return this.#inner.loadRunEvidence(runId);
  }

  loadRunFrame(runId: string): RunFrame {
    return this.#inner.loadRunFrame(runId);
  }

  countRunEvents(runId: string): number {
    return this.#inner.countRunEvents(runId);
  }
}
