/**
 * @module store/store-queries: the read side of an EvidenceStore, as named methods over its own connection,
 * so code outside src/store/ asks questions of the store and never holds the database handle.
 */
import type { Correlation, DagEdge, DagNode, PolicyDecision, ResponseAction, RiskSignal, RuntimeEvent, ToolCallScope } from '../model/index.js';
import type { LedgerEntry, SignedAnchor, SignedHead } from '../ledger/index.js';
import type { Db } from './open-database.js';
import * as q from './queries.js';
import * as rq from './record-queries.js';
import * as lr from './ledger-records.js';
import { telemetryGapsOfRun } from './telemetry-gaps.js';

export class StoreQueries {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  listScopes(runId?: string): ToolCallScope[] {
    return q.listScopes(this.#db, runId);
  }

  listRuns(): { run_id: string; tool_calls: number; events: number }[] {
    return q.listRuns(this.#db);
  }

  runExists(runId: string): boolean {
    return q.runExists(this.#db, runId);
  }

  eventsOfRun(runId: string, opts: { raw?: boolean } = {}): RuntimeEvent[] {
    return q.eventsOfRun(this.#db, runId, opts);
  }

  getEvent(eventId: string, opts: { raw?: boolean } = {}): RuntimeEvent | null {
    return q.getEvent(this.#db, eventId, opts);
  }

  telemetryGapsOfRun(runId: string): RuntimeEvent[] {
    return telemetryGapsOfRun(this.#db, runId);
  }

  decisionsOfRun(runId: string): PolicyDecision[] {
    return q.decisionsOfRun(this.#db, runId);
  }

  ledgerSeqsOfRun(runId: string): number[] {
    return q.ledgerSeqsOfRun(this.#db, runId);
  }

  correlationsOfRun(runId: string): Correlation[] {
    return q.correlationsOfRun(this.#db, runId);
  }

  risksOfRun(runId: string): RiskSignal[] {
    return q.risksOfRun(this.#db, runId);
  }

  responsesOfRun(runId: string): ResponseAction[] {
    return q.responsesOfRun(this.#db, runId);
  }

  nodesOfRun(runId: string, opts: { raw?: boolean } = {}): DagNode[] {
    return q.nodesOfRun(this.#db, runId, opts);
  }

  edgesOfRun(runId: string): DagEdge[] {
    return q.edgesOfRun(this.#db, runId);
  }

  recordCapturesOfRun(runId: string): rq.RecordCapture[] {
    return rq.recordCapturesOfRun(this.#db, runId);
  }

  fileChangesOfRun(runId: string, file?: string): (rq.FileChangeRecord & { change_id: string })[] {
    return rq.fileChangesOfRun(this.#db, runId, file);
  }

  /** A binding's events in time order; `types` keeps only those types. */
  eventsOfBinding(bindingId: string, opts: { types?: readonly string[] } = {}): { event: RuntimeEvent; tool_call_id: string | null }[] {
    return rq.eventsOfBinding(this.#db, bindingId, opts);
  }

  processCountOfBinding(bindingId: string): number {
    return rq.processCountOfBinding(this.#db, bindingId);
  }

  countEventsOfBinding(bindingId: string): number {
    return rq.countEventsOfBinding(this.#db, bindingId);
  }

  tierCountsOfBinding(bindingId: string): { tier: string; n: number }[] {
    return rq.tierCountsOfBinding(this.#db, bindingId);
  }

  eventLedgerRecord(eventId: string): q.EventLedgerRecord | null {
    return q.eventLedgerRecord(this.#db, eventId);
  }

  ledgerEntryAt(seq: number): LedgerEntry | null {
    return lr.ledgerEntryAt(this.#db, seq);
  }

  iterateEntryHashes(fromSeq: number, toSeq: number): IterableIterator<{ seq: number; entry_hash: string }> {
    return lr.iterateEntryHashes(this.#db, fromSeq, toSeq);
  }

  ledgerCount(): number {
    return lr.ledgerCount(this.#db);
  }

  ledgerHead(): { seq: number; entry_hash: string } | null {
    return lr.ledgerHead(this.#db);
  }

  latestSignedHead(): SignedHead | null {
    return lr.latestSignedHead(this.#db);
  }

  listAnchors(): (SignedAnchor & { target: string; ledger_seq: number })[] {
    return lr.listAnchors(this.#db);
  }

  listRedactions(): lr.Redaction[] {
    return lr.listRedactions(this.#db);
  }

  iterateLedger(fromSeq?: number, toSeq?: number): Generator<LedgerEntry> {
    return lr.iterateLedger(this.#db, fromSeq, toSeq);
  }
}
