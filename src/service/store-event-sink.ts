/**
 * @module service/store-event-sink: the sensor's `--output store`: decoded kernel events go through the
 * engine (correlate -> policy -> verdicts) into the SQLite store; run DAGs are re-derived every few seconds
 * and on close, not per batch (a live run's DAG grows with every event).
 */
import { EvidenceEngine, finalizeEvent } from '../engine/index.js';
import type { SensorControl } from '../respond/index.js';
import { approvalSettingsFromEnv, createLiveResponse, type LiveResponse } from './respond-live.js';
import { gateEngineOptions } from './gate-intent.js';
import type { RuntimeEventInput, ToolCallScope } from '../model/index.js';
import { nsToIso } from '../model/index.js';
import { dataDirFingerprint, EvidenceStore } from '../store/index.js';
import { loadPolicyFiles } from './policy-files.js';

export interface StoreEventSinkOptions {
  dataDir: string;
  policyFiles?: string[];
  now: () => bigint;
  /** With a sensor to act through, enforcing decisions are carried out (kill, freeze, quarantine, deny). */
  enforceWith?: SensorControl;
  env?: NodeJS.ProcessEnv;
  /** How often to re-derive the DAG of runs that received events. */
  graphEveryMs?: number;
}

export class StoreEventSink {
  readonly store: EvidenceStore;
  readonly engine: EvidenceEngine;
  readonly live: LiveResponse | null;
  #lastGraph = 0;
  readonly #graphEveryMs: number;
  readonly #fingerprint: (secret: string) => string;
  stored = 0;

  constructor(opts: StoreEventSinkOptions) {
    const loaded = loadPolicyFiles(opts.policyFiles);
    this.store = new EvidenceStore(opts.dataDir);
    this.#fingerprint = dataDirFingerprint(opts.dataDir);
    this.store.putPolicy(
      { policy_hash: loaded.policy.hash, name: loaded.policy.name, files: loaded.files },
      nsToIso(opts.now()),
    );
    this.live = opts.enforceWith
      ? createLiveResponse({
          store: this.store,
          now: opts.now,
          sensor: opts.enforceWith,
          ...approvalSettingsFromEnv(opts.env ?? {}),
        })
      : null;
    this.engine = new EvidenceEngine({
      sink: this.store,
      policy: loaded.policy,
      clock: opts.now,
      ...gateEngineOptions(this.store),
      ...(this.live ? { responder: this.live.responder } : {}),
      noResponderReason: 'the sensor runs without --enforce: decisions are recorded, not carried out',
    });
    this.#graphEveryMs = opts.graphEveryMs ?? 2000;
  }

  /** Judges (and so acts) before storing: writing the batch costs far more than judging it. */
  processBatch(events: RuntimeEventInput[]): void {
    if (events.length === 0) return;
    const judged = this.engine.judgeBatch(events.map((e) => finalizeEvent(e, this.#fingerprint)));
    this.stored += this.engine.storeJudged(judged, null).stored;
    const now = Date.now();
    if (now - this.#lastGraph >= this.#graphEveryMs) {
      this.#lastGraph = now;
      this.engine.rebuildDirtyRuns();
    }
  }

  /** A scope declared by an app over the sensor's socket: stored, and stored events re-correlated. */
  bind(scope: ToolCallScope): ToolCallScope {
    const { scope: bound } = this.engine.bind(scope);
    this.engine.rebuildDirtyRuns();
    return bound;
  }

  async close(): Promise<void> {
    try {
      await this.live?.settled();
      this.live?.close();
      this.engine.rebuildDirtyRuns();
    } finally {
      this.store.close();
    }
  }
}
