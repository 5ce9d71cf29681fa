/**
 * @module service/store-event-sink: the sensor's `--output store`: decoded kernel events go through the
 * engine (correlate -> policy -> verdicts) into the SQLite store, judged as they arrive on this thread and
 * written a burst at a time by the storage thread (service/judged-storage, as record does); run DAGs are
 * re-derived every few seconds once storage has caught up, and on close, not per batch (a live run's DAG
 * grows with every event).
 */
import { finalizeEvent, type EvidenceEngine } from '../engine/index.js';
import { JudgedStorage } from './judged-storage.js';
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
  readonly #storage: JudgedStorage;
  /** A write that failed after processBatch returned: the next call (or close) rethrows it. */
  #failed: unknown = null;
  /** Events lost after judging (the storage queue was full, or a write failed); each gap is a telemetry_loss. */
  lost = 0;

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
    this.#storage = new JudgedStorage({
      store: this.store,
      engine: this.engine,
      batchId: null,
      fingerprint: this.#fingerprint,
      now: opts.now,
      onHandedOff: () => this.#maybeRebuild(),
      onLoss: (err, events) => {
        this.lost += events;
        if (err) this.#failed ??= err;
      },
    });
  }

  /** Events the storage thread has written. */
  get stored(): number {
    return this.#storage.thread.totals.stored;
  }

  /** Judges (and so acts) before storing: writing the batch costs far more than judging it. */
  processBatch(events: RuntimeEventInput[]): void {
    this.#rethrow();
    if (events.length === 0) return;
    this.#storage.push(this.engine.judgeBatch(events.map((e) => finalizeEvent(e, this.#fingerprint))));
  }

  /** Writes every judged event still queued (a bind, close and tests reading the store call it first). */
  flush(): void {
    try {
      this.#storage.flush();
    } catch (err) {
      this.#failed ??= err;
    }
    this.#rethrow();
  }

  /** The graph is drawn from the store: only when the storage thread has written what was judged. */
  #maybeRebuild(): void {
    const now = Date.now();
    if (now - this.#lastGraph < this.#graphEveryMs || this.#storage.thread.queued > 0) return;
    this.#lastGraph = now;
    try {
      this.engine.rebuildDirtyRuns();
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

  /** Stores what is queued and closes; `storeWithinMs` bounds the wait (the rest is lost, and says so). */
  async close(opts: { storeWithinMs?: number } = {}): Promise<void> {
    try {
      try {
        await this.#storage.close(opts.storeWithinMs !== undefined ? { withinMs: opts.storeWithinMs } : {});
      } catch (err) {
        this.#failed ??= err;
      }
      this.#rethrow();
      await this.live?.settled();
      this.live?.close();
      this.engine.rebuildDirtyRuns();
    } finally {
      this.store.close();
    }
  }
}
