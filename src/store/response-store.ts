/**
 * @module store/response-store: agents, approvals (and their steps), gate records and containments in the
 * evidence database (migration 003). Shares the EvidenceStore's connection, so an approval opened by a
 * responder lands in the same transaction as the response that froze its target. Every write is also
 * recorded in the evidence ledger (`put:approvals`, ...) through the hook the EvidenceStore provides.
 */
import type Database from 'better-sqlite3';
import { contentHash } from '../graph/index.js';
import type { RiskSignal, RuntimeEvent } from '../model/index.js';
import { decodeRisk } from './codec.js';
import type { Db } from './open-database.js';
import { sealInsertedRow, sealRow, type LedgerAppend, type SealedRowTable } from './row-seal.js';
import { writeTransaction } from './store-lock.js';
import { eventsOfRows, ROW_COLS, selectRows } from './event-rows.js';

type Stmt = Database.Statement;

export const AUTONOMY_LEVELS = ['recommend-only', 'act-with-approval', 'autonomous'] as const;
export type Autonomy = (typeof AUTONOMY_LEVELS)[number];

export interface AgentRecord {
  agent_id: string;
  owner: string;
  autonomy: Autonomy;
  /** Tool names the agent may use; ['*'] means any. */
  allowed_tools: string[];
  description: string | null;
  created_at_ns: bigint;
  updated_at_ns: bigint;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalRecord {
  approval_id: string;
  status: ApprovalStatus;
  run_id: string | null;
  tool_call_id: string | null;
  agent_id: string | null;
  decision_id: string | null;
  event_id: string | null;
  gate_record_id: string | null;
  /** ResponseAction target_kind/target of what is held (frozen), 'none' for a gate request. */
  target_kind: string;
  target: string;
  /** The responder's serialized target, enough for another process to thaw or kill it. */
  target_spec: Record<string, unknown> | null;
  /** The response that froze the target. */
  response_id: string | null;
  rules: string[];
  summary: string;
  requested_at_ns: bigint;
  expires_at_ns: bigint;
  decided_at_ns: bigint | null;
  decided_by: string | null;
  decision_reason: string | null;
}

export interface ApprovalStep {
  approval_id: string;
  seq: number;
  step: string;
  time_ns: bigint;
  actor: string;
  detail: string;
}

export type GateDecision = 'allow' | 'deny' | 'require_approval';
export type GateStatus = 'allowed' | 'denied' | 'pending' | 'approved' | 'expired';

export interface GateRecord {
  record_id: string;
  agent_id: string;
  owner: string | null;
  run_id: string | null;
  tool_call_id: string | null;
  action_kind: string;
  decision: GateDecision;
  status: GateStatus;
  approval_id: string | null;
  created_at_ns: bigint;
  /** The request as submitted (validated). */
  request: Record<string, unknown>;
  reasons: string[];
  rules: string[];
  policy_hash: string;
}

export interface ContainmentRecord {
  target_kind: string;
  target: string;
  state: 'frozen' | 'quarantined';
  response_id: string | null;
  updated_at_ns: bigint;
  body: Record<string, unknown>;
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
const ns = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));

function reviveAgent(body: string): AgentRecord {
  const a = JSON.parse(body) as AgentRecord;
  return { ...a, created_at_ns: ns(a.created_at_ns)!, updated_at_ns: ns(a.updated_at_ns)! };
}

function reviveApproval(body: string, status: string, decidedAt: unknown, decidedBy: string | null): ApprovalRecord {
  const a = JSON.parse(body) as ApprovalRecord;
  // status and the decision live in columns: they change in place, atomically, while the body does not.
  return {
    ...a,
    status: status as ApprovalStatus,
    requested_at_ns: ns(a.requested_at_ns)!,
    expires_at_ns: ns(a.expires_at_ns)!,
    decided_at_ns: ns(decidedAt),
    decided_by: decidedBy,
  };
}

function reviveGate(body: string, status: string, approvalId: string | null): GateRecord {
  const g = JSON.parse(body) as GateRecord;
  return { ...g, status: status as GateStatus, approval_id: approvalId, created_at_ns: ns(g.created_at_ns)! };
}

/** Records a write in the ledger: `kind` such as 'put:approvals', the hash of what was written; returns its seq. */
export type LedgerHook = LedgerAppend;

export class ResponseStore {
  readonly db: Db;
  readonly #ledger: LedgerHook | null;
  #claim: Stmt;
  #step: Stmt;

  constructor(db: Db, ledger: LedgerHook | null = null) {
    this.db = db;
    this.#ledger = ledger;
    this.#claim = db.prepare(
      `UPDATE approvals SET status = ?, decided_at_ns = ?, decided_by = ?,
         body = json_set(body, '$.decision_reason', ?) WHERE approval_id = ? AND status = 'pending'`,
    );
    this.#step = db.prepare(
      `INSERT INTO approval_steps (approval_id, seq, step, time_ns, actor, detail)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM approval_steps WHERE approval_id = ?), ?, ?, ?, ?)`,
    );
  }

  /** One BEGIN IMMEDIATE transaction on this connection (nested calls become savepoints of it). */
  transaction<T>(fn: () => T): T {
    return writeTransaction(this.db, fn);
  }

  // --- agents -------------------------------------------------------------------------------------

  putAgent(a: AgentRecord): void {
    this.#write('agents', [a.agent_id], () => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO agents (agent_id, owner, autonomy, allowed_tools, created_at_ns, updated_at_ns, body)
           VALUES (?,?,?,?,?,?,?)`,
        )
        .run(a.agent_id, a.owner, a.autonomy, JSON.stringify(a.allowed_tools), a.created_at_ns, a.updated_at_ns, json(a));
    });
  }

  getAgent(agentId: string): AgentRecord | null {
    const row = this.db.prepare('SELECT body FROM agents WHERE agent_id = ?').get(agentId) as { body: string } | undefined;
    return row ? reviveAgent(row.body) : null;
  }

  listAgents(): AgentRecord[] {
    const rows = this.db.prepare('SELECT body FROM agents ORDER BY agent_id').all() as { body: string }[];
    return rows.map((r) => reviveAgent(r.body));
  }

  // --- approvals ----------------------------------------------------------------------------------

  insertApproval(a: ApprovalRecord): void {
    this.#write('approvals', [a.approval_id], () => {
      return this.db
        .prepare(
          `INSERT OR IGNORE INTO approvals (approval_id, status, run_id, tool_call_id, agent_id, decision_id, event_id,
             gate_record_id, target_kind, target, requested_at_ns, expires_at_ns, decided_at_ns, decided_by, body)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        )
        .run(
          a.approval_id,
          a.status,
          a.run_id,
          a.tool_call_id,
          a.agent_id,
          a.decision_id,
          a.event_id,
          a.gate_record_id,
          a.target_kind,
          a.target,
          a.requested_at_ns,
          a.expires_at_ns,
          a.decided_at_ns,
          a.decided_by,
          json(a),
        );
    });
  }

  getApproval(id: string): ApprovalRecord | null {
    const row = this.db
      .prepare('SELECT body, status, decided_at_ns, decided_by FROM approvals WHERE approval_id = ?')
      .safeIntegers(true)
      .get(id) as { body: string; status: string; decided_at_ns: unknown; decided_by: string | null } | undefined;
    return row ? reviveApproval(row.body, row.status, row.decided_at_ns, row.decided_by) : null;
  }

  listApprovals(status?: ApprovalStatus): ApprovalRecord[] {
    const sql = `SELECT body, status, decided_at_ns, decided_by FROM approvals ${status ? 'WHERE status = ?' : ''}
      ORDER BY requested_at_ns, approval_id`;
    // ns columns pass 2^53: read them as bigint.
    const stmt = this.db.prepare(sql).safeIntegers(true);
    const rows = (status ? stmt.all(status) : stmt.all()) as {
      body: string;
      status: string;
      decided_at_ns: unknown;
      decided_by: string | null;
    }[];
    return rows.map((r) => reviveApproval(r.body, r.status, r.decided_at_ns, r.decided_by));
  }

  /** Pending approvals whose deadline has passed at `nowNs`. */
  dueApprovals(nowNs: bigint): ApprovalRecord[] {
    return this.listApprovals('pending').filter((a) => a.expires_at_ns <= nowNs);
  }

  /**
   * Moves a pending approval to its outcome. Only one caller wins (a CLI `approve` racing the timeout, or
   * two processes): the UPDATE matches only while the row is still pending. Returns whether this call won.
   */
  claimApproval(id: string, status: Exclude<ApprovalStatus, 'pending'>, atNs: bigint, by: string, reason: string | null): boolean {
    return writeTransaction(this.db, () => {
      const won = this.#claim.run(status, atNs, by, reason, id).changes === 1;
      if (won && this.#ledger) sealRow(this.db, this.#ledger, 'approvals', [id]);
      return won;
    });
  }

  addStep(approvalId: string, step: string, timeNs: bigint, actor: string, detail: string): void {
    writeTransaction(this.db, () => {
      const info = this.#step.run(approvalId, approvalId, step, timeNs, actor, detail);
      if (this.#ledger) sealInsertedRow(this.db, this.#ledger, 'approval_steps', info.lastInsertRowid);
    });
  }

  /**
   * A row write and the entry sealing the row as stored, in one transaction. A write that changed nothing
   * (INSERT OR IGNORE of an existing row) adds no entry: the row keeps the seal it has.
   */
  #write(table: SealedRowTable, key: readonly unknown[], fn: () => Database.RunResult | void): void {
    writeTransaction(this.db, () => {
      const result = fn();
      if (this.#ledger && (!result || result.changes > 0)) sealRow(this.db, this.#ledger, table, key);
    });
  }

  stepsOf(approvalId: string): ApprovalStep[] {
    const rows = this.db
      .prepare('SELECT approval_id, seq, step, time_ns, actor, detail FROM approval_steps WHERE approval_id = ? ORDER BY seq')
      .safeIntegers(true)
      .all(approvalId) as (Omit<ApprovalStep, 'seq'> & { seq: bigint })[];
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  // --- gate records -------------------------------------------------------------------------------

  putGateRecord(g: GateRecord): void {
    this.#write('gate_records', [g.record_id], () => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO gate_records (record_id, agent_id, owner, run_id, tool_call_id, action_kind, decision,
             status, approval_id, created_at_ns, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        )
        .run(
          g.record_id,
          g.agent_id,
          g.owner,
          g.run_id,
          g.tool_call_id,
          g.action_kind,
          g.decision,
          g.status,
          g.approval_id,
          g.created_at_ns,
          json(g),
        );
    });
  }

  setGateStatus(recordId: string, status: GateStatus): void {
    this.#write('gate_records', [recordId], () => {
      return this.db.prepare('UPDATE gate_records SET status = ? WHERE record_id = ?').run(status, recordId);
    });
  }

  getGateRecord(recordId: string): GateRecord | null {
    const row = this.db.prepare('SELECT body, status, approval_id FROM gate_records WHERE record_id = ?').get(recordId) as
      | { body: string; status: string; approval_id: string | null }
      | undefined;
    return row ? reviveGate(row.body, row.status, row.approval_id) : null;
  }

  /** Gate records of tool calls, optionally only one tool call's. */
  listGateRecords(filter: { toolCallId?: string; agentId?: string } = {}): GateRecord[] {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.toolCallId !== undefined) (where.push('tool_call_id = ?'), args.push(filter.toolCallId));
    if (filter.agentId !== undefined) (where.push('agent_id = ?'), args.push(filter.agentId));
    const rows = this.db
      .prepare(
        `SELECT body, status, approval_id FROM gate_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at_ns, record_id`,
      )
      .all(...args) as { body: string; status: string; approval_id: string | null }[];
    return rows.map((r) => reviveGate(r.body, r.status, r.approval_id));
  }

  /** The runtime events attributed to a tool call (any run), and the risks raised on them, in time order. */
  toolCallEvidence(toolCallId: string): { events: RuntimeEvent[]; risks: RiskSignal[] } {
    const rows = selectRows(
      this.db,
      `SELECT ${ROW_COLS} FROM event_rows e WHERE e.kind IN (SELECT id FROM correlation_kinds WHERE tool_call_id = ?) ORDER BY e.time_ns, e.key`,
      toolCallId,
    );
    const risks = this.db.prepare('SELECT body FROM risks WHERE tool_call_id = ? ORDER BY time_ns, risk_id').all(toolCallId) as { body: string }[];
    return { events: [...eventsOfRows(this.db, rows)], risks: risks.map((r) => decodeRisk(r.body)) };
  }

  // --- containments -------------------------------------------------------------------------------

  putContainment(c: ContainmentRecord): void {
    this.#write('containments', [c.target_kind, c.target], () => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO containments (target_kind, target, state, response_id, updated_at_ns, body)
           VALUES (?,?,?,?,?,?)`,
        )
        .run(c.target_kind, c.target, c.state, c.response_id, c.updated_at_ns, json(c.body));
    });
  }

  getContainment(targetKind: string, target: string): ContainmentRecord | null {
    const row = this.db
      .prepare('SELECT target_kind, target, state, response_id, updated_at_ns, body FROM containments WHERE target_kind = ? AND target = ?')
      .safeIntegers(true)
      .get(targetKind, target) as
      | { target_kind: string; target: string; state: string; response_id: string | null; updated_at_ns: bigint; body: string }
      | undefined;
    if (!row) return null;
    return {
      ...row,
      state: row.state as ContainmentRecord['state'],
      updated_at_ns: row.updated_at_ns,
      body: JSON.parse(row.body) as Record<string, unknown>,
    };
  }

  deleteContainment(targetKind: string, target: string): void {
    // A release: the row goes, and the entry records which one (its key) went.
    writeTransaction(this.db, () => {
      this.db.prepare('DELETE FROM containments WHERE target_kind = ? AND target = ?').run(targetKind, target);
      this.#ledger?.('delete:containments', contentHash({ target_kind: targetKind, target }));
    });
  }
}
