/**
 * @module service/approval-service: require_approval end to end. The responder freezes the offending scope
 * and opens an approval here; a person approves (thaw) or denies (kill) with `agentprov approvals`, from any
 * process; no answer before the deadline is a deny. Every step is an approval_steps row, every action a
 * ResponseAction linked to the decision that asked for approval.
 */
import { AgentprovError, NotFoundError } from '../errors.js';
import { contentHash } from '../graph/index.js';
import type { ResponseAction } from '../model/index.js';
import {
  decodeTarget,
  encodeTarget,
  formatMs,
  targetKindOf,
  targetString,
  type Actuator,
  type ApprovalOpenRequest,
  type ApprovalPort,
  type ContainmentState,
} from '../respond/index.js';
import type { ApprovalRecord, EvidenceStore, GateRecord, ResponseStore } from '../store/index.js';
import { approvalPayload, postWebhook } from './approval-webhook.js';
import { recordResponse, responseStoreOf, trackContainment } from './respond-record.js';
import { describeEvent } from './timeline.js';

export const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60_000;

export interface ApprovalServiceOptions {
  store: EvidenceStore;
  actuator: Actuator;
  /** Wall-clock ns. */
  now: () => bigint;
  /** How long a person has to answer; silence is a deny. Default 5 minutes. */
  timeoutMs?: number;
  /** Where a pending approval is announced (JSON POST). */
  webhookUrl?: string | null;
  /** Arm a timer per approval (a long-running process); a short CLI leaves expiry to the next sweep. Default true. */
  timers?: boolean;
  onError?: (err: unknown) => void;
}

export type ApprovalOutcome = 'approved' | 'denied' | 'expired';

export interface ApprovalResolution {
  approval: ApprovalRecord;
  /** False when someone else (another process, the timeout) decided first. */
  changed: boolean;
  /** The thaw or kill this decision caused, once confirmed. */
  action: ResponseAction | null;
}

export class ApprovalService implements ApprovalPort {
  readonly responses: ResponseStore;
  readonly #opts: ApprovalServiceOptions;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(opts: ApprovalServiceOptions) {
    this.#opts = opts;
    this.responses = responseStoreOf(opts.store);
  }

  get timeoutNs(): bigint {
    return BigInt(this.#opts.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS) * 1_000_000n;
  }

  /** Called by the responder, synchronously, inside the engine's transaction (same database connection). */
  open(req: ApprovalOpenRequest): { approval_id: string; expires_at_ns: bigint; reused: boolean } {
    const kind = targetKindOf(req.target);
    const key = targetString(req.target);
    const existing = this.responses.listApprovals('pending').find((a) => a.target_kind === kind && a.target === key);
    if (existing) {
      this.responses.addStep(existing.approval_id, 'requested_again', req.now, 'engine', `decision ${req.decision.decision_id} on ${describeEvent(req.event)}`);
      return { approval_id: existing.approval_id, expires_at_ns: existing.expires_at_ns, reused: true };
    }
    const agentId = req.scope?.agent_id ?? null;
    const record: ApprovalRecord = {
      approval_id: contentHash({ v: 'agentprov.approval/v1', response_id: req.response_id }).slice(0, 16),
      status: 'pending',
      run_id: req.correlation.run_id,
      tool_call_id: req.correlation.tool_call_id,
      agent_id: agentId,
      decision_id: req.decision.decision_id,
      event_id: req.event.event_id ?? null,
      gate_record_id: null,
      target_kind: kind,
      target: key,
      target_spec: encodeTarget(req.target),
      response_id: req.response_id,
      rules: req.decision.matches.map((m) => m.rule_id),
      summary: describeEvent(req.event),
      requested_at_ns: req.now,
      expires_at_ns: req.now + this.timeoutNs,
      decided_at_ns: null,
      decided_by: null,
      decision_reason: null,
    };
    this.#start(record, `held: ${req.target.kind} ${key} frozen by response ${req.response_id.slice(0, 16)}`, req.scope?.owner ?? null);
    return { approval_id: record.approval_id, expires_at_ns: record.expires_at_ns, reused: false };
  }

  /** A gate request that needs a person before anything runs (nothing is frozen: nothing runs yet). */
  openForGate(gate: GateRecord, summary: string): ApprovalRecord {
    const now = this.#opts.now();
    const record: ApprovalRecord = {
      approval_id: contentHash({ v: 'agentprov.approval/v1', gate_record_id: gate.record_id }).slice(0, 16),
      status: 'pending',
      run_id: gate.run_id,
      tool_call_id: gate.tool_call_id,
      agent_id: gate.agent_id,
      decision_id: null,
      event_id: null,
      gate_record_id: gate.record_id,
      target_kind: 'none',
      target: '',
      target_spec: null,
      response_id: null,
      rules: gate.rules,
      summary,
      requested_at_ns: now,
      expires_at_ns: now + this.timeoutNs,
      decided_at_ns: null,
      decided_by: null,
      decision_reason: null,
    };
    this.#start(record, `gate record ${gate.record_id}: the action waits, nothing has run`, gate.owner);
    return record;
  }

  #start(record: ApprovalRecord, heldDetail: string, owner: string | null): void {
    const r = this.responses;
    r.transaction(() => {
      r.insertApproval(record);
      r.addStep(record.approval_id, 'requested', record.requested_at_ns, 'agentprov', `${record.rules.join(', ') || 'policy'}: ${record.summary}`);
      r.addStep(record.approval_id, 'held', record.requested_at_ns, 'agentprov', heldDetail);
    });
    const url = this.#opts.webhookUrl;
    if (url) {
      const agentOwner = owner ?? (record.agent_id ? (r.getAgent(record.agent_id)?.owner ?? null) : null);
      this.#track(
        postWebhook(url, approvalPayload(record, { owner: agentOwner })).then((res) =>
          r.addStep(record.approval_id, res.ok ? 'notified' : 'notify_failed', this.#opts.now(), 'webhook', res.detail),
        ),
      );
    } else {
      r.addStep(record.approval_id, 'not_notified', record.requested_at_ns, 'agentprov', 'no approval webhook is configured (AGENTPROV_APPROVAL_WEBHOOK)');
    }
    if (this.#opts.timers !== false) {
      const ms = Number((record.expires_at_ns - this.#opts.now()) / 1_000_000n);
      const timer = setTimeout(() => {
        this.#timers.delete(record.approval_id);
        this.#track(this.resolve(record.approval_id, 'expired', 'timeout'));
      }, Math.max(0, ms));
      timer.unref();
      this.#timers.set(record.approval_id, timer);
    }
  }

  approve(id: string, by: string, reason?: string): Promise<ApprovalResolution> {
    return this.resolve(id, 'approved', by, reason);
  }

  deny(id: string, by: string, reason?: string): Promise<ApprovalResolution> {
    return this.resolve(id, 'denied', by, reason);
  }

  /** Denies every pending approval whose deadline has passed (the timeout, for processes without a timer). */
  async expireDue(): Promise<ApprovalResolution[]> {
    const out: ApprovalResolution[] = [];
    for (const a of this.responses.dueApprovals(this.#opts.now())) out.push(await this.resolve(a.approval_id, 'expired', 'timeout'));
    return out;
  }

  async resolve(id: string, wanted: ApprovalOutcome, by: string, reason?: string): Promise<ApprovalResolution> {
    const r = this.responses;
    const found = r.getApproval(id);
    if (found === null) throw new NotFoundError(`no approval ${id} (agentprov approvals list shows them)`);
    const now = this.#opts.now();
    // An answer after the deadline is too late: the approval has expired, which is a deny.
    const late = found.status === 'pending' && wanted !== 'expired' && found.expires_at_ns <= now;
    const outcome: ApprovalOutcome = late ? 'expired' : wanted;
    const decidedBy = late ? 'timeout' : by;
    const why = late ? `no answer by ${new Date(Number(found.expires_at_ns / 1_000_000n)).toISOString()} (${by} answered late)` : (reason ?? (wanted === 'expired' ? `no answer within ${formatMs(found.expires_at_ns - found.requested_at_ns)}` : ''));
    if (!r.claimApproval(id, outcome, now, decidedBy, why || null)) return { approval: r.getApproval(id)!, changed: false, action: null };
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    r.addStep(id, outcome, now, decidedBy, why);
    const approval = r.getApproval(id)!;
    if (approval.gate_record_id !== null) {
      r.setGateStatus(approval.gate_record_id, outcome === 'approved' ? 'approved' : outcome === 'expired' ? 'expired' : 'denied');
      return { approval, changed: true, action: null };
    }
    const target = decodeTarget(approval.target_spec);
    if (target === null) {
      r.addStep(id, 'no_target', now, 'agentprov', 'the approval names nothing to thaw or kill');
      return { approval, changed: true, action: null };
    }
    const verb = outcome === 'approved' ? 'thaw' : 'kill';
    const held = r.getContainment(targetKindOf(target), targetString(target));
    const effect = this.#opts.actuator.apply(verb, target, (held?.body ?? null) as ContainmentState | null);
    const confirmed = await effect.confirmed;
    const result = effect.result === 'done' || effect.result === 'planned' ? confirmed.result : effect.result;
    const action: ResponseAction = {
      response_id: contentHash({ v: 'agentprov.response.approval/v1', approval_id: id, outcome }),
      decision_id: approval.decision_id,
      event_id: approval.event_id,
      run_id: approval.run_id,
      tool_call_id: approval.tool_call_id,
      action: verb,
      target_kind: targetKindOf(target),
      target: targetString(target),
      result,
      detail: `approval ${id} ${outcome} by ${decidedBy}: ${effect.detail}${effect.result === 'done' || effect.result === 'planned' ? `; confirmed: ${confirmed.detail}` : ''}`,
      latency_ns: null,
      time_ns: effect.acted_ns ?? now,
    };
    recordResponse(this.#opts.store, action);
    if (!this.#opts.actuator.dryRun) trackContainment(r, verb, target, result, action.response_id, now);
    r.addStep(id, verb === 'thaw' ? 'thawed' : 'killed', this.#opts.now(), 'agentprov', `${result}: ${action.detail}`);
    return { approval: r.getApproval(id)!, changed: true, action };
  }

  /** Resolves once webhooks and timer-driven denials started so far have finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Stops the timers (pending approvals stay pending: the next sweep or process enforces their deadline). */
  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.#opts.onError?.(err instanceof AgentprovError ? err : new AgentprovError('AP_INTERNAL', String(err), { cause: err })));
    const done = q.finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }
}
