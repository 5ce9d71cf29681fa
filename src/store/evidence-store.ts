/** @module store/evidence-store: the SQLite evidence store: batched writes, one transaction per batch. */
import type Database from 'better-sqlite3';
import type {
  Correlation,
  DagEdge,
  DagNode,
  IngestManifest,
  PolicyDecision,
  ResponseAction,
  RiskSignal,
  RuntimeEvent,
  ToolCallScope,
} from '../model/index.js';
import type { EventVerdict, EvidenceSink, RunEvidence } from '../engine/index.js';
import { openDatabase, type Db } from './open-database.js';
import { decodeEvent, encodeBody } from './codec.js';
import * as q from './queries.js';

type Stmt = Database.Statement;

export class EvidenceStore implements EvidenceSink {
  readonly db: Db;
  readonly dataDir: string;
  #insertEvent: Stmt;
  #upsertCorrelation: Stmt;
  #deleteDecisionsOf: Stmt;
  #deleteRisksOf: Stmt;
  #deleteResponsesOf: Stmt;
  #insertDecision: Stmt;
  #insertRisk: Stmt;
  #insertResponse: Stmt;

  constructor(dataDir: string, opts: { mustExist?: boolean } = {}) {
    this.dataDir = dataDir;
    this.db = openDatabase(dataDir, opts);
    const db = this.db;
    this.#insertEvent = db.prepare(
      `INSERT OR IGNORE INTO events (event_id, time_ns, type, source, pid, ppid, process_start_ns, cgroup_id,
         container_id, batch_id, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
    );
    this.#upsertCorrelation = db.prepare(
      `INSERT INTO correlations (event_id, binding_id, run_id, tool_call_id, tier, confidence, keys_matched, reason)
       VALUES (?,?,?,?,?,?,?,?)
       ON CONFLICT(event_id) DO UPDATE SET binding_id=excluded.binding_id, run_id=excluded.run_id,
         tool_call_id=excluded.tool_call_id, tier=excluded.tier, confidence=excluded.confidence,
         keys_matched=excluded.keys_matched, reason=excluded.reason`,
    );
    this.#deleteRisksOf = db.prepare('DELETE FROM risks WHERE event_id = ?');
    this.#deleteResponsesOf = db.prepare(`DELETE FROM responses WHERE event_id = ? AND result IN ('planned','skipped')`);
    this.#deleteDecisionsOf = db.prepare('DELETE FROM decisions WHERE event_id = ?');
    this.#insertDecision = db.prepare(
      `INSERT OR REPLACE INTO decisions (decision_id, event_id, run_id, tool_call_id, action, would_action, policy_hash,
         time_ns, body) VALUES (?,?,?,?,?,?,?,?,?)`,
    );
    this.#insertRisk = db.prepare(
      `INSERT OR REPLACE INTO risks (risk_id, decision_id, event_id, run_id, tool_call_id, rule_id, severity, score,
         time_ns, body) VALUES (?,?,?,?,?,?,?,?,?,?)`,
    );
    this.#insertResponse = db.prepare(
      `INSERT OR REPLACE INTO responses (response_id, decision_id, event_id, run_id, tool_call_id, action, result,
         time_ns, body) VALUES (?,?,?,?,?,?,?,?,?)`,
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Inserts events that are not stored yet (ids are content addresses); returns the ones that were new. */
  insertEvents(events: RuntimeEvent[], batchId: string | null): RuntimeEvent[] {
    const fresh: RuntimeEvent[] = [];
    for (const e of events) {
      const info = this.#insertEvent.run(
        e.event_id,
        e.time_ns,
        e.type,
        e.source,
        e.pid ?? null,
        e.ppid ?? null,
        e.process_start_ns ?? null,
        e.cgroup_id ?? null,
        e.container_id ?? null,
        batchId,
        encodeBody(e),
      );
      if (info.changes > 0) fresh.push(e);
    }
    return fresh;
  }

  /** Writes (or replaces) the correlation, decision, risks and planned responses of each event. */
  putVerdicts(verdicts: EventVerdict[]): void {
    for (const v of verdicts) {
      const c = v.correlation;
      this.#upsertCorrelation.run(
        c.event_id,
        c.binding_id,
        c.run_id,
        c.tool_call_id,
        c.tier,
        c.confidence,
        JSON.stringify(c.keys_matched),
        c.reason,
      );
      this.#deleteRisksOf.run(v.event_id);
      this.#deleteResponsesOf.run(v.event_id);
      this.#deleteDecisionsOf.run(v.event_id);
      if (v.decision) this.putDecision(v.decision, c.run_id);
      for (const r of v.risks) this.putRisk(r);
      for (const r of v.responses) this.putResponse(r);
    }
  }

  putDecision(d: PolicyDecision, runId: string | null): void {
    this.#insertDecision.run(
      d.decision_id,
      d.event_id,
      runId,
      d.tool_call_id,
      d.action,
      d.would_action,
      d.policy_hash,
      d.time_ns,
      encodeBody(d),
    );
  }

  putRisk(r: RiskSignal): void {
    this.#insertRisk.run(
      r.risk_id,
      r.decision_id,
      r.event_id,
      r.run_id,
      r.tool_call_id,
      r.rule_id,
      r.severity,
      r.score,
      r.time_ns,
      encodeBody(r),
    );
  }

  putResponse(r: ResponseAction): void {
    this.#insertResponse.run(
      r.response_id,
      r.decision_id,
      r.event_id,
      r.run_id,
      r.tool_call_id,
      r.action,
      r.result,
      r.time_ns,
      encodeBody(r),
    );
  }

  putScope(s: ToolCallScope & { binding_id: string }): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO scopes (binding_id, run_id, session_id, attempt_id, tool_call_id, tool_name,
           started_at_ns, ended_at_ns, body) VALUES (?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        s.binding_id,
        s.run_id,
        s.session_id,
        s.attempt_id,
        s.tool_call_id,
        s.tool_name ?? null,
        s.started_at_ns,
        s.ended_at_ns ?? null,
        encodeBody(s),
      );
  }

  putManifest(m: IngestManifest): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO ingest_batches (batch_id, source_file, format, input_sha256, lines, accepted,
           duplicates, rejected, rejected_lines, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        m.batch_id,
        m.source_file,
        m.format,
        m.input_sha256,
        m.lines,
        m.accepted,
        m.duplicates,
        m.rejected,
        JSON.stringify(m.rejected_lines),
        m.started_at,
        m.finished_at,
      );
  }

  putPolicy(p: { policy_hash: string; name: string; files: { file: string; sha256: string }[] }, now: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO policies (policy_hash, name, files, loaded_at) VALUES (?,?,?,?)')
      .run(p.policy_hash, p.name, JSON.stringify(p.files), now);
  }

  /** Replaces the stored derivation of a run's DAG with a new one (the DAG is re-derived as evidence grows). */
  replaceRunGraph(runId: string, nodes: DagNode[], edges: DagEdge[]): void {
    this.db.prepare('DELETE FROM dag_edges WHERE run_id = ?').run(runId);
    this.db.prepare('DELETE FROM dag_nodes WHERE run_id = ?').run(runId);
    const n = this.db.prepare(
      'INSERT OR IGNORE INTO dag_nodes (hash, kind, key, run_id, body, parents) VALUES (?,?,?,?,?,?)',
    );
    for (const node of nodes) {
      n.run(node.hash, node.kind, node.key, runId, encodeBody(node.body), JSON.stringify(node.parents));
    }
    const e = this.db.prepare('INSERT OR IGNORE INTO dag_edges (hash, name, from_hash, to_hash, run_id) VALUES (?,?,?,?,?)');
    for (const edge of edges) e.run(edge.hash, edge.name, edge.from, edge.to, runId);
  }

  loadScopes(): ToolCallScope[] {
    return q.listScopes(this.db);
  }

  *loadEventsInWindow(fromNs: bigint, toNs: bigint | null): Generator<RuntimeEvent> {
    const stmt =
      toNs === null
        ? this.db.prepare('SELECT body FROM events WHERE time_ns >= ? ORDER BY time_ns, event_id')
        : this.db.prepare('SELECT body FROM events WHERE time_ns >= ? AND time_ns <= ? ORDER BY time_ns, event_id');
    const rows = (toNs === null ? stmt.all(fromNs) : stmt.all(fromNs, toNs)) as { body: string }[];
    for (const r of rows) yield decodeEvent(r.body);
  }

  loadRunEvidence(runId: string): RunEvidence {
    return {
      scopes: q.listScopes(this.db, runId),
      events: q.eventsOfRun(this.db, runId),
      correlations: q.correlationsOfRun(this.db, runId),
      decisions: q.decisionsOfRun(this.db, runId),
      risks: q.risksOfRun(this.db, runId),
      responses: q.responsesOfRun(this.db, runId),
    };
  }
}
