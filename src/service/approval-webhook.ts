/**
 * @module service/approval-webhook: tells a person an approval is waiting: one JSON POST to a configured URL
 * (a chat bridge, a pager). Delivery is best effort and recorded either way; it never decides the outcome.
 */
import { AgentprovError } from '../errors.js';
import { nsToIso } from '../model/index.js';
import type { ApprovalRecord } from '../store/index.js';

export const APPROVAL_WEBHOOK_SCHEMA = 'agentprov.approval-request/v1';

export interface WebhookResult {
  ok: boolean;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  detail: string;
}

/** Only http(s): a file: or data: URL in the configuration is a mistake worth stopping on. */
export function checkWebhookUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentprovError('AP_BAD_ARGS', `approval webhook is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AgentprovError('AP_BAD_ARGS', `approval webhook must be http:// or https://, not ${parsed.protocol}`);
  }
  return parsed.toString();
}

export function approvalPayload(a: ApprovalRecord, extra: { owner?: string | null } = {}): Record<string, unknown> {
  return {
    schema_version: APPROVAL_WEBHOOK_SCHEMA,
    approval_id: a.approval_id,
    status: a.status,
    run_id: a.run_id,
    tool_call_id: a.tool_call_id,
    agent_id: a.agent_id,
    owner: extra.owner ?? null,
    gate_record_id: a.gate_record_id,
    decision_id: a.decision_id,
    rules: a.rules,
    summary: a.summary,
    target_kind: a.target_kind,
    target: a.target,
    requested_at: nsToIso(a.requested_at_ns),
    expires_at: nsToIso(a.expires_at_ns),
    on_timeout: 'deny',
    approve: `agentprov approvals approve ${a.approval_id}`,
    deny: `agentprov approvals deny ${a.approval_id}`,
  };
}

export async function postWebhook(url: string, payload: unknown, timeoutMs = 5000): Promise<WebhookResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'agentprov' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.ok, status: res.status, detail: `POST ${url}: HTTP ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, status: null, detail: `POST ${url} failed: ${cause ?? (err as Error).message}` };
  }
}
