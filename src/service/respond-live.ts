/**
 * @module service/respond-live: composes live response for a process that runs the engine on live events
 * (the sensor's store sink, the daemon): the actuator, the LiveResponder the engine calls, and the approval
 * service it opens approvals in, all writing to one evidence store.
 *
 *   const live = createLiveResponse({ store, now, sensor, docker: new DockerControl() });
 *   const engine = new EvidenceEngine({ sink: store, policy, clock: now, responder: live.responder });
 */
import type { ResponseAction } from '../model/index.js';
import { Actuator, CgroupLocator, LiveResponder, type DockerPort, type FollowUp, type SensorControl } from '../respond/index.js';
import type { EvidenceStore } from '../store/index.js';
import { ApprovalService } from './approval-service.js';
import { checkWebhookUrl } from './approval-webhook.js';
import { recordResponse, responseStoreOf, trackContainment } from './respond-record.js';

export interface LiveResponseOptions {
  store: EvidenceStore;
  now: () => bigint;
  sensor?: SensorControl | null;
  docker?: DockerPort | null;
  dryRun?: boolean;
  webhookUrl?: string | null;
  approvalTimeoutMs?: number;
  /** Events older than this are recorded, not acted on. Default 60 s. */
  maxEventAgeMs?: number;
  confirmTimeoutMs?: number;
  onError?: (err: unknown) => void;
}

export interface LiveResponse {
  responder: LiveResponder;
  actuator: Actuator;
  approvals: ApprovalService;
  locator: CgroupLocator;
  /** Follow-ups and approval steps still in flight have been recorded. */
  settled(): Promise<void>;
  close(): void;
}

/** Environment knobs: AGENTPROV_APPROVAL_WEBHOOK (URL), AGENTPROV_APPROVAL_TIMEOUT_MS. */
export function approvalSettingsFromEnv(env: NodeJS.ProcessEnv): { webhookUrl: string | null; approvalTimeoutMs: number | undefined } {
  const url = env.AGENTPROV_APPROVAL_WEBHOOK;
  const ms = env.AGENTPROV_APPROVAL_TIMEOUT_MS;
  return {
    webhookUrl: url ? checkWebhookUrl(url) : null,
    approvalTimeoutMs: ms !== undefined && /^\d+$/.test(ms) ? Number(ms) : undefined,
  };
}

export function createLiveResponse(opts: LiveResponseOptions): LiveResponse {
  const actuator = new Actuator({
    dryRun: opts.dryRun === true,
    sensor: opts.sensor ?? null,
    docker: opts.docker ?? null,
    ...(opts.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: opts.confirmTimeoutMs } : {}),
  });
  const approvals = new ApprovalService({
    store: opts.store,
    actuator,
    now: opts.now,
    webhookUrl: opts.webhookUrl ?? null,
    ...(opts.approvalTimeoutMs !== undefined ? { timeoutMs: opts.approvalTimeoutMs } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  const responses = responseStoreOf(opts.store);
  const locator = new CgroupLocator();
  const record = (action: ResponseAction, f: FollowUp): void => {
    try {
      recordResponse(opts.store, action);
      if (!actuator.dryRun) trackContainment(responses, f.verb, f.target, action.result, action.response_id, opts.now(), f.state);
    } catch (err) {
      opts.onError?.(err);
    }
  };
  const responder = new LiveResponder({
    actuator,
    locator,
    approvals,
    record,
    ...(opts.maxEventAgeMs !== undefined ? { maxEventAgeMs: opts.maxEventAgeMs } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  return {
    responder,
    actuator,
    approvals,
    locator,
    async settled() {
      await responder.settled();
      await approvals.settled();
    },
    close() {
      approvals.close();
    },
  };
}
