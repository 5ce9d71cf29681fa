/**
 * @module engine/memory-sink: an EvidenceSink in memory. Shipped (not a test mock): `policy test` uses it to
 * judge events without storing them, and the store's case suite runs against it too.
 */
import type { Correlation, DagEdge, DagNode, RuntimeEvent, ToolCallScope } from '../model/index.js';
import type { EventVerdict, EvidenceSink, RunEvidence, RunFrame } from './ports.js';

export class MemoryEvidenceSink implements EvidenceSink {
  readonly events = new Map<string, RuntimeEvent>();
  readonly verdicts = new Map<string, EventVerdict>();
  readonly scopes = new Map<string, ToolCallScope>();
  readonly graphs = new Map<string, { nodes: DagNode[]; edges: DagEdge[] }>();

  transaction<T>(fn: () => T): T {
    return fn();
  }

  insertEvents(events: RuntimeEvent[]): RuntimeEvent[] {
    const fresh: RuntimeEvent[] = [];
    for (const e of events) {
      if (this.events.has(e.event_id!)) continue;
      this.events.set(e.event_id!, e);
      fresh.push(e);
    }
    return fresh;
  }

  putVerdicts(verdicts: EventVerdict[]): void {
    for (const v of verdicts) this.verdicts.set(v.event_id, v);
  }

  putScope(scope: ToolCallScope & { binding_id: string }): void {
    this.scopes.set(scope.binding_id, scope);
  }

  replaceRunGraph(runId: string, nodes: DagNode[], edges: DagEdge[]): void {
    this.graphs.set(runId, { nodes, edges });
  }

  loadScopes(): ToolCallScope[] {
    return [...this.scopes.values()];
  }

  loadEventsInWindow(fromNs: bigint, toNs: bigint | null): RuntimeEvent[] {
    return [...this.events.values()]
      .filter((e) => e.time_ns >= fromNs && (toNs === null || e.time_ns <= toNs))
      .sort((a, b) => (a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : a.event_id! < b.event_id! ? -1 : 1));
  }

  loadRunEvidence(runId: string): RunEvidence {
    const ofRun = [...this.verdicts.values()].filter((v) => v.correlation.run_id === runId);
    const byTime = (a: { time_ns: bigint }, b: { time_ns: bigint }) => (a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : 0);
    return {
      scopes: [...this.scopes.values()].filter((s) => s.run_id === runId),
      events: ofRun.map((v) => this.events.get(v.event_id)!).sort(byTime),
      correlations: ofRun.map((v) => v.correlation) as Correlation[],
      decisions: ofRun.flatMap((v) => (v.decision ? [v.decision] : [])).sort(byTime),
      risks: ofRun.flatMap((v) => v.risks).sort(byTime),
      responses: ofRun.flatMap((v) => v.responses).sort(byTime),
    };
  }

  loadRunFrame(runId: string): RunFrame {
    const { events: _e, correlations: _c, ...frame } = this.loadRunEvidence(runId);
    return frame;
  }

  countRunEvents(runId: string): number {
    let n = 0;
    for (const v of this.verdicts.values()) if (v.correlation.run_id === runId) n++;
    return n;
  }
}
