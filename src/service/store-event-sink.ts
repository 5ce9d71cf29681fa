/**
 * @module service/store-event-sink: the sensor's `--output store`: decoded kernel events go through the
 * engine (correlate -> policy -> verdicts) into the SQLite store, judged as they arrive and written a burst
 * at a time (engine/judged-queue, as record does); run DAGs are re-derived every few seconds and on close,
 * not per batch (a live run's DAG grows with every event).
 */
import { finalizeEvent, JudgedQueue, type EvidenceEngine, type JudgedBatch } from '../engine/index.js';
import { createPipeline } from './pipeline.js';
import type { SensorControl } from '../respond/index.js';
import { approvalSettingsFromEnv, createLiveResponse, type LiveResponse } from './respond-live.js';
import type { RuntimeEventInput, ToolCallScope } from '../model/index.js';
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
  readonly #queue = new JudgedQueue({ write: (burst) => this.#store(burst) });
  /** A write that failed after processBatch returned: the next call (or close) rethrows it. */
  #failed: unknown = null;
  stored = 0;

  constructor(opts: StoreEventSinkOptions) {
    const loaded = loadPolicyFiles(opts.policyFiles);
    this.store = new EvidenceStore(opts.dataDir);
    this.#fingerprint = dataDirFingerprint(opts.dataDir);
    this.live = opts.enforceWith
      ? createLiveResponse({
          store: this.store,
          now: opts.now,
          sensor: opts.enforceWith,
          ...approvalSettingsFromEnv(opts.env ?? {}),
        })
      : null;
    this.engine = createPipeline({
      source: 'sensor',
      store: this.store,
      loaded,
      clock: opts.now,
      ...(this.live ? { responder: this.live.responder } : {}),
    });
    this.#graphEveryMs = opts.graphEveryMs ?? 2000;
  }

  /** Judges (and so acts) before storing: writing the batch costs far more than judging it. */
  processBatch(events: RuntimeEventInput[]): void {
    this.#rethrow();
    if (events.length === 0) return;
    this.#queue.push(this.engine.judgeBatch(events.map((e) => finalizeEvent(e, this.#fingerprint))));
  }

  /** Writes every judged event still queued (a bind, close and tests reading the store call it first). */
  flush(): void {
    this.#queue.flush();
    this.#rethrow();
  }

  #store(burst: JudgedBatch): void {
    try {
      this.stored += this.engine.storeJudged(burst, null).stored;
      const now = Date.now();
      if (now - this.#lastGraph >= this.#graphEveryMs) {
        this.#lastGraph = now;
        this.engine.rebuildDirtyRuns();
      }
    } catch (err) {
      this.#failed ??= err;
    }
  }

  #rethrow(): void {
    const err = this.#failed;
    this.#failed = null;
    if (err !== null) throw err;
  }

  /** A scope declared by an app over the sensor's socket: stored, and stored events re-correlated. */
  bind(scope: ToolCallScope): ToolCallScope {
    this.flush(); // the bind re-correlates stored events: those already judged must be among them
    const { scope: bound } = this.engine.bind(scope);
    this.engine.rebuildDirtyRuns();
    return bound;
  }

  async close(): Promise<void> {
    try {
      this.flush();
      await this.live?.settled();
      this.live?.close();
      this.engine.rebuildDirtyRuns();
    } finally {
      this.store.close();
    }
  }
}
