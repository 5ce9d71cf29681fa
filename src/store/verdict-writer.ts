/**
 * @module store/verdict-writer: writes what the engine derived from one event (decision, risks, planned
 * responses) as versioned rows, retiring the rows a re-evaluation no longer gives.
 */
import type Database from 'better-sqlite3';
import type { EventVerdict } from '../engine/index.js';
import type { PolicyDecision, ResponseAction, RiskSignal } from '../model/index.js';
import { decodeDecision, decodeResponse, decodeRisk, encodeBody } from './codec.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';
import { bodyHash } from './row-objects.js';
import type { StoreMode } from './store-mode.js';
import { VerdictBatch } from './verdict-batch.js';
import { currentRowSql, currentVersionColumns, objectHashOf, VersionedRows, type CurrentVersion } from './versioned-rows.js';

// A wired verdict row's table (store/storage-protocol): decisions 0, risks 1, responses 2.
const DECISION = 0;
const RISK = 1;
const RESPONSE = 2;

/** A decision's row values in DECISION_COLUMNS order, its stored body last. */
export function decisionRow(d: PolicyDecision, runId: string | null): unknown[] {
  return [d.decision_id, d.event_id, runId, d.tool_call_id, d.action, d.would_action, d.policy_hash, d.time_ns, encodeBody(d)];
}

export function riskRow(r: RiskSignal): unknown[] {
  return [r.risk_id, r.decision_id, r.event_id, r.run_id, r.tool_call_id, r.rule_id, r.severity, r.score, r.time_ns, encodeBody(r)];
}

export function responseRow(r: ResponseAction): unknown[] {
  return [r.response_id, r.decision_id, r.event_id, r.run_id, r.tool_call_id, r.action, r.result, r.time_ns, encodeBody(r)];
}

/**
 * A verdict's rows flat, each as its table's index (DECISION, RISK, RESPONSE) followed by its values (body last):
 * what crosses to the storage thread, so the bodies are encoded on the judging side and the worker gets
 * strings, not object trees to rebuild. Null when there is no decision (then there are no rows).
 */
export function verdictRows(v: Pick<EventVerdict, 'decision' | 'risks' | 'responses' | 'correlation'>): unknown[] | null {
  if (!v.decision) return null;
  const out: unknown[] = [DECISION, ...decisionRow(v.decision, v.correlation.run_id)];
  for (const r of v.risks) out.push(RISK, ...riskRow(r));
  for (const r of v.responses) out.push(RESPONSE, ...responseRow(r));
  return out;
}

const DECISION_COLUMNS = ['decision_id', 'event_id', 'run_id', 'tool_call_id', 'action', 'would_action', 'policy_hash', 'time_ns', 'body'];
const RISK_COLUMNS = ['risk_id', 'decision_id', 'event_id', 'run_id', 'tool_call_id', 'rule_id', 'severity', 'score', 'time_ns', 'body'];
const RESPONSE_COLUMNS = ['response_id', 'decision_id', 'event_id', 'run_id', 'tool_call_id', 'action', 'result', 'time_ns', 'body'];
/** Values per row of each table, by its index (DECISION, RISK, RESPONSE). */
const ROW_WIDTH = [DECISION_COLUMNS.length, RISK_COLUMNS.length, RESPONSE_COLUMNS.length];

/** Walks verdictRows' output: each row's table index and where its values start; a malformed list throws. */
function eachRowAt(rows: readonly unknown[], fn: (table: number, start: number, width: number) => void): void {
  for (let o = 0; o < rows.length; ) {
    const t = rows[o] as number;
    const w = ROW_WIDTH[t];
    if (w === undefined || o + 1 + w > rows.length) throw new Error(`verdict rows: bad row at ${o} (table ${String(t)})`);
    fn(t, o + 1, w);
    o += 1 + w;
  }
}

/** Splits verdictRows' output back into (table index, values) pairs. */
function eachRow(rows: readonly unknown[], fn: (table: number, values: unknown[]) => void): void {
  eachRowAt(rows, (t, start, w) => fn(t, rows.slice(start, start + w)));
}

/** Adds the rows of verdictRows' output to the counts of decisions, risks and responses. */
export function countRows(rows: readonly unknown[], counts: { decisions: number; risks: number; responses: number }): void {
  eachRowAt(rows, (t) => {
    if (t === DECISION) counts.decisions++;
    else if (t === RISK) counts.risks++;
    else counts.responses++;
  });
}

/** The verdict whose rows these are (bodies decoded): for a re-evaluation, which looks up what it replaces. */
export function verdictOfRows(eventId: string, correlation: EventVerdict['correlation'], rows: readonly unknown[]): EventVerdict {
  const out: EventVerdict = { event_id: eventId, correlation, decision: null, risks: [], responses: [] };
  eachRow(rows, (t, values) => {
    const body = values[values.length - 1] as string;
    if (t === DECISION) out.decision = decodeDecision(body);
    else if (t === RISK) out.risks.push(decodeRisk(body));
    else out.responses.push(decodeResponse(body));
  });
  return out;
}

export class VerdictWriter {
  readonly #ledger: LedgerWriter;
  readonly #decisions: VersionedRows;
  readonly #risks: VersionedRows;
  readonly #responses: VersionedRows;
  readonly #currentOfEvent: [VersionedRows, Database.Statement][];
  readonly #batch: VerdictBatch;

  constructor(db: Db, ledger: LedgerWriter) {
    this.#ledger = ledger;
    this.#batch = new VerdictBatch(db, ledger);
    this.#decisions = new VersionedRows(db, ledger, 'decisions', DECISION_COLUMNS, this.#batch);
    this.#risks = new VersionedRows(db, ledger, 'risks', RISK_COLUMNS, this.#batch);
    this.#responses = new VersionedRows(db, ledger, 'responses', RESPONSE_COLUMNS, this.#batch);
    const ofEvent = (table: 'decisions' | 'risks' | 'responses', id: string, extra = '') =>
      db.prepare(
        `SELECT ${currentVersionColumns(id, 't', true)}
         FROM ${table} t LEFT JOIN ledger l ON l.seq = t.ledger_seq
         WHERE t.event_id = ? AND ${currentRowSql(table, 't')}${extra}`,
      );
    this.#currentOfEvent = [
      [this.#risks, ofEvent('risks', 'risk_id')],
      // Only what the engine planned or skipped is re-derived; a response a responder carried out stays.
      [this.#responses, ofEvent('responses', 'response_id', ` AND t.result IN ('planned','skipped')`)],
      [this.#decisions, ofEvent('decisions', 'decision_id')],
    ];
  }

  /**
   * The decision, risks and planned responses of `v` (its correlation goes to the correlation log).
   * `fresh`: the event was inserted in this transaction, so it has no verdict rows to look up or retire.
   */
  put(v: EventVerdict, mode: StoreMode, fresh: boolean): void {
    if (!fresh) this.#retireStale(v, mode);
    if (v.decision) this.putDecision(v.decision, v.correlation.run_id, mode, fresh);
    for (const r of v.risks) this.putRisk(r, mode, fresh);
    for (const r of v.responses) this.putResponse(r, mode, fresh);
  }

  /** Removes (mutable) or tombstones (revisioned, sealed) the verdict rows a re-evaluation no longer gives. */
  #retireStale(v: EventVerdict, mode: StoreMode): void {
    const keep = new Set<string>([
      ...(v.decision ? [v.decision.decision_id] : []),
      ...v.risks.map((r) => r.risk_id),
      ...v.responses.map((r) => r.response_id),
    ]);
    this.#batch.seal();
    this.#ledger.flush();
    for (const [rows, stmt] of this.#currentOfEvent) {
      for (const row of stmt.all(v.event_id) as CurrentVersion[]) {
        const cur = objectHashOf(row);
        if (!keep.has(cur.id)) rows.remove(cur, mode);
      }
    }
  }

  /** Writes the buffered new rows under their batch's entry (the store calls it at the end of each batch of verdicts). */
  seal(): void {
    this.#batch.seal();
  }

  /** Forgets buffered rows of a transaction that failed. */
  reset(): void {
    this.#batch.reset();
  }

  putDecision(d: PolicyDecision, runId: string | null, mode: StoreMode, fresh = false): void {
    this.#putRow(this.#decisions, decisionRow(d, runId), mode, fresh);
  }

  putRisk(r: RiskSignal, mode: StoreMode, fresh = false): void {
    this.#putRow(this.#risks, riskRow(r), mode, fresh);
  }

  putResponse(r: ResponseAction, mode: StoreMode, fresh = false): void {
    this.#putRow(this.#responses, responseRow(r), mode, fresh);
  }

  /** The rows of a fresh event's verdict, as verdictRows encoded them (bodies included). */
  putFreshRows(rows: readonly unknown[], mode: StoreMode): void {
    const tables = [this.#decisions, this.#risks, this.#responses];
    eachRow(rows, (t, values) => this.#putRow(tables[t]!, values, mode, true));
  }

  #putRow(rows: VersionedRows, values: unknown[], mode: StoreMode, fresh: boolean): void {
    rows.put(values, bodyHash(values[values.length - 1] as string), mode, fresh);
  }
}
