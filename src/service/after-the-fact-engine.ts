/** @module service/after-the-fact-engine: the engine for telemetry judged after it happened (ingest, bind). */
import { EvidenceEngine } from '../engine/index.js';
import { nsToIso } from '../model/index.js';
import type { EvidenceStore } from '../store/index.js';
import { gateEngineOptions } from './gate-intent.js';
import type { LoadedPolicy } from './policy-files.js';

/**
 * Records the policy it judges with, and has no responder: the processes behind ingested telemetry are
 * gone or out of reach, so enforcing decisions are stored as `skipped` responses that say why.
 */
export function afterTheFactEngine(store: EvidenceStore, loaded: LoadedPolicy, now: () => bigint): EvidenceEngine {
  store.putPolicy({ policy_hash: loaded.policy.hash, name: loaded.policy.name, files: loaded.files }, nsToIso(now()));
  return new EvidenceEngine({
    sink: store,
    policy: loaded.policy,
    clock: now,
    noResponderReason: 'telemetry was ingested after the fact: there is no live process to act on',
    ...gateEngineOptions(store),
  });
}
