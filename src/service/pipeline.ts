/**
 * @module service/pipeline: the one way an evidence engine is put together, for every entry point: the
 * sensor's store output, `record`, after-the-fact ingest and bind, and `policy test`.
 *
 * Each gets the same judging inputs: the policy, the gate's declared intent and the registered agents of
 * the data dir (so owner, autonomy and intent rules fire alike everywhere), the workspace a scope declares,
 * and a clock. What differs is only where events come from and whether a responder can act: without one,
 * enforcing decisions are stored as `skipped` responses that say why (NO_RESPONDER).
 */
import { EvidenceEngine, MemoryEvidenceSink, type EvidenceSink, type Responder } from '../engine/index.js';
import { nsToIso } from '../model/index.js';
import type { EvidenceStore } from '../store/index.js';
import { gateEngineOptions } from './gate-intent.js';
import type { LoadedPolicy } from './policy-files.js';

export type PipelineSource = 'sensor' | 'record' | 'ingest' | 'policy-test';

/** Why enforcing decisions of each source are not carried out when there is no responder. */
const NO_RESPONDER: Record<PipelineSource, string> = {
  sensor: 'the sensor runs without --enforce: decisions are recorded, not carried out',
  record: 'recorded with --audit-only: decisions are recorded, not enforced',
  ingest: 'telemetry was ingested after the fact: there is no live process to act on',
  'policy-test': 'policy test: nothing is enforced',
};

export interface PipelineOptions {
  source: PipelineSource;
  /** The data dir's store: evidence is written to it, and intent and agents are read from it. */
  store: EvidenceStore | null;
  /** Where evidence goes when not straight to `store` (record observes it on the way; policy test keeps it in memory). */
  sink?: EvidenceSink;
  /** Where declared intent and registered agents are read (default `store`; policy test reads a data dir it never writes). */
  judgeWith?: EvidenceStore | null;
  loaded: LoadedPolicy;
  clock: () => bigint;
  responder?: Responder;
  /** The workspace of scopes that declare none (record's workdir). */
  workspace?: string;
}

export function createPipeline(o: PipelineOptions): EvidenceEngine {
  const sink = o.sink ?? o.store ?? new MemoryEvidenceSink();
  const judgeWith = o.judgeWith === undefined ? o.store : o.judgeWith;
  // The policy every stored decision names is on record before the first decision.
  if (o.store) {
    o.store.putPolicy({ policy_hash: o.loaded.policy.hash, name: o.loaded.policy.name, files: o.loaded.files }, nsToIso(o.clock()));
  }
  return new EvidenceEngine({
    sink,
    policy: o.loaded.policy,
    clock: o.clock,
    ...(judgeWith ? gateEngineOptions(judgeWith) : {}),
    ...(o.responder ? { responder: o.responder } : { noResponderReason: NO_RESPONDER[o.source] }),
    ...(o.workspace ? { workspace: o.workspace } : {}),
  });
}
