/**
 * @module service/gate-evaluate: the pre-execution gate. An agent submits what it is about to do; the policy
 * (over the events the action would produce) and the agent's registration (owner, allowed tools, autonomy)
 * answer allow, deny or require_approval; the record is stored before the answer is given, so the action
 * can later be compared with what its tool call actually did (service/gate-intent).
 *
 *   policy action   audit, alert -> allow   require_approval -> require_approval   deny, kill, quarantine -> deny
 *   agent           unregistered -> at least require_approval   recommend-only -> deny
 *                   act-with-approval -> at least require_approval   tool not allowed, owner mismatch -> deny
 */
import { contentHash } from '../graph/index.js';
import { ACTION_SEVERITY, redactDeep, type RuleMatch } from '../model/index.js';
import { combineMatches, evaluate, type CompiledPolicy } from '../policy/index.js';
import { dataDirFingerprint, type EvidenceStore, type GateDecision, type GateRecord } from '../store/index.js';
import type { ApprovalService } from './approval-service.js';
import { toolAllowed } from './agents-registry.js';
import { declaredEvents, describeAction, parseGateRequest, type GateRequest } from './gate-request.js';
import { responseStoreOf } from './respond-record.js';

export const GATE_SCHEMA = 'agentprov.gate-decision/v1';

const RANK: Record<GateDecision, number> = { allow: 0, require_approval: 1, deny: 2 };

export interface GateResult {
  record: GateRecord;
  decision: GateDecision;
  reasons: string[];
  approval_id: string | null;
  expires_at_ns: bigint | null;
}

function fromPolicy(action: keyof typeof ACTION_SEVERITY): GateDecision {
  if (ACTION_SEVERITY[action] >= ACTION_SEVERITY.deny) return 'deny';
  return action === 'require_approval' ? 'require_approval' : 'allow';
}

export function evaluateGate(opts: {
  store: EvidenceStore;
  policy: CompiledPolicy;
  input: unknown;
  source?: string;
  now: () => bigint;
  approvals: ApprovalService;
}): GateResult {
  const req: GateRequest = parseGateRequest(opts.input, opts.source);
  const responses = responseStoreOf(opts.store);
  const now = opts.now();
  const agent = responses.getAgent(req.agent_id);
  const owner = req.owner ?? agent?.owner ?? null;
  const ctx = {
    scope: {
      tool_call_id: req.tool_call_id ?? `gate:${req.agent_id}`,
      tool_name: req.tool_name ?? null,
      agent_id: req.agent_id,
      run_id: req.run_id ?? null,
      owner,
      autonomy: agent?.autonomy ?? null,
    },
  };
  const matches: RuleMatch[] = declaredEvents(req, now).flatMap((e) => evaluate(opts.policy, e, ctx).matches);
  const evaluation = combineMatches(opts.policy, matches);
  let decision = fromPolicy(evaluation.action);
  const reasons: string[] = [];
  for (const m of matches) if (m.mode === 'enforce') reasons.push(`policy ${m.rule_id} (${m.action}): ${m.reason}`);
  const atLeast = (d: GateDecision, why: string): void => {
    reasons.push(why);
    if (RANK[d] > RANK[decision]) decision = d;
  };
  if (agent === null) {
    atLeast('require_approval', `agent ${req.agent_id} is not registered (agentprov agents add): a person must approve`);
  } else {
    if (req.owner !== undefined && req.owner !== agent.owner) atLeast('deny', `owner ${req.owner} is not the registered owner of ${agent.agent_id} (${agent.owner})`);
    if (req.tool_name !== undefined && !toolAllowed(agent, req.tool_name)) {
      atLeast('deny', `tool ${req.tool_name} is not among ${agent.agent_id}'s allowed tools (${agent.allowed_tools.join(', ')})`);
    }
    if (agent.autonomy === 'recommend-only') atLeast('deny', `agent ${agent.agent_id} is recommend-only: it may propose actions, not carry them out`);
    if (agent.autonomy === 'act-with-approval') atLeast('require_approval', `agent ${agent.agent_id} acts with approval`);
  }
  if (reasons.length === 0) reasons.push('no rule matched the declared action');
  // Judged on the request as sent, stored (and shown to approvers) with its secrets redacted.
  const shown = redactDeep(req, dataDirFingerprint(opts.store.dataDir));
  const record: GateRecord = {
    record_id: contentHash({ v: 'agentprov.gate/v1', request: shown, at: now }).slice(0, 24),
    agent_id: req.agent_id,
    owner,
    run_id: req.run_id ?? null,
    tool_call_id: req.tool_call_id ?? null,
    action_kind: req.action.kind,
    decision,
    status: decision === 'allow' ? 'allowed' : decision === 'deny' ? 'denied' : 'pending',
    approval_id: null,
    created_at_ns: now,
    request: shown as unknown as Record<string, unknown>,
    reasons,
    rules: [...new Set(matches.map((m) => m.rule_id))],
    policy_hash: opts.policy.hash,
  };
  // Stored before the answer leaves: a refused action is on record even if the caller never asks again.
  responses.putGateRecord(record);
  let approvalId: string | null = null;
  let expires: bigint | null = null;
  if (decision === 'require_approval') {
    const a = opts.approvals.openForGate(record, `${shown.agent_id} wants to ${describeAction(shown.action)}: ${shown.intent}`);
    approvalId = a.approval_id;
    expires = a.expires_at_ns;
    record.approval_id = approvalId;
    responses.putGateRecord(record);
  }
  return { record, decision, reasons, approval_id: approvalId, expires_at_ns: expires };
}

/** A gate record with what it led to: its approval, and the runtime events and risks of its tool call. */
export function gateRecordReport(store: EvidenceStore, recordId: string) {
  const responses = responseStoreOf(store);
  const record = responses.getGateRecord(recordId);
  if (record === null) return null;
  const approval = record.approval_id ? responses.getApproval(record.approval_id) : null;
  const linked = record.tool_call_id ? responses.toolCallEvidence(record.tool_call_id) : { events: [], risks: [] };
  return {
    record,
    approval,
    steps: approval ? responses.stepsOf(approval.approval_id) : [],
    linked_events: linked.events,
    undeclared: linked.risks.filter((r) => r.rule_id === 'undeclared-behaviour' || r.rule_id === 'gate-not-cleared'),
  };
}
