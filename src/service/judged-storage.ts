/**
 * @module service/judged-storage: the live paths' (sensor store output, record) way from judged events to
 * the store. Judged batches gather in a JudgedQueue (one burst per event-loop turn) and are handed to the
 * storage thread (store/storage-thread), so the main thread goes back to judging while the burst is
 * written. A burst the full storage queue refuses is lost and counted: the next burst carries a
 * telemetry_loss event saying how many, and why, so the gap is in the evidence itself.
 */
import { hostname } from 'node:os';
import { finalizeEvent, JudgedQueue, WRITE_EVENTS, type EvidenceEngine, type JudgedBatch } from '../engine/index.js';
import type { Fingerprint } from '../model/index.js';
import { StorageThread, type EvidenceStore } from '../store/index.js';

export const STORAGE_FULL_REASON = 'storage queue full';
export const STOPPED_UNSTORED_REASON = 'stopped before they were stored';

export interface JudgedStorageOptions {
  /** This thread's connection: its writes wait for the storage thread (EvidenceStore.setWriteBarrier). */
  store: EvidenceStore;
  engine: EvidenceEngine;
  /** The batch id events are stored under (record's), or null. */
  batchId: string | null;
  fingerprint: Fingerprint;
  now: () => bigint;
  maxQueued?: number;
  /**
   * A storage thread started earlier for `store`'s data dir (record boots it while the sensor loads), with
   * its own bound; else one is started here, bounded by `maxQueued`.
   */
  thread?: StorageThread;
  /**
   * What a full queue does: `refuse` the burst and count it (a live source, which cannot be slowed down
   * without the kernel dropping instead), or `wait` for room (a file, which loses nothing by waiting).
   */
  whenFull?: 'refuse' | 'wait';
  /** A burst was handed to storage (record shows its risks as they come). */
  onHandedOff?: (burst: JudgedBatch) => void;
  /** Events lost: refused by the full queue, or in a write that failed. */
  onLoss: (err: Error | null, events: number) => void;
}

export class JudgedStorage {
  readonly thread: StorageThread;
  readonly #o: JudgedStorageOptions;
  readonly #queue: JudgedQueue;
  /** Refused since the last loss marker was handed over. */
  #unmarked = 0;
  /** Every event refused by the full queue. */
  refused = 0;
  handedOff = 0;

  constructor(o: JudgedStorageOptions) {
    this.#o = o;
    this.thread = o.thread ?? new StorageThread(o.store.dataDir, o.maxQueued !== undefined ? { maxQueued: o.maxQueued } : {});
    this.thread.setFailureHandler((err, events) => o.onLoss(err, events));
    // Handing over costs little (a clone), so a burst goes as soon as it is a chunk: a ring that delivers
    // batch after batch never yields to setImmediate, and the worker would idle until the loop pauses.
    this.#queue = new JudgedQueue({ write: (burst) => this.#handOff(burst), maxEvents: WRITE_EVENTS });
    o.store.setWriteBarrier(() => this.flush());
  }

  push(judged: JudgedBatch): void {
    this.#queue.push(judged);
  }

  /** Everything queued is handed over and written (throws the first write failure). */
  flush(): void {
    this.#queue.flush();
    this.#markLoss();
    this.thread.flush();
  }

  /** Handed over and not yet written: 0 once storage caught up. */
  get pending(): number {
    return this.#queue.size + this.thread.queued;
  }

  /**
   * Writes what is queued and ends the storage thread. With `withinMs` (a stop with a time budget), what is
   * not written by then is given up: counted through onLoss and stored as one telemetry_loss saying so.
   */
  async close(opts: { withinMs?: number } = {}): Promise<void> {
    this.#o.store.setWriteBarrier(null);
    try {
      this.#queue.flush();
      this.#markLoss();
      if (opts.withinMs !== undefined && !this.thread.drainWithin(opts.withinMs)) {
        this.thread.abandonQueued();
        const before = this.thread.abandoned;
        this.thread.flush();
        const given = this.thread.abandoned - before;
        if (given > 0) {
          this.#o.onLoss(null, given);
          this.#unmarked += given;
          this.#markLoss(STOPPED_UNSTORED_REASON);
          this.thread.flush();
        }
      }
    } finally {
      await this.thread.close();
    }
  }

  #handOff(burst: JudgedBatch): void {
    this.#markLoss();
    if (this.#o.whenFull === 'wait') this.thread.waitForRoom(burst.events.length);
    if (!this.thread.tryWrite(burst.events, burst.verdicts, this.#o.batchId)) {
      this.#unmarked += burst.events.length;
      this.refused += burst.events.length;
      this.#o.onLoss(null, burst.events.length);
      return;
    }
    this.handedOff += burst.events.length;
    this.#o.engine.foldJudged(burst);
    this.#o.onHandedOff?.(burst);
  }

  /** The loss marker goes past the bound (one event), so a full queue cannot hide its own loss. */
  #markLoss(reason = STORAGE_FULL_REASON): void {
    if (this.#unmarked === 0) return;
    const marker = finalizeEvent(
      {
        type: 'telemetry_loss',
        source: 'agentprov_ebpf',
        host: hostname(),
        time_ns: this.#o.now(),
        lost_events: this.#unmarked,
        labels: { reason, max_queued: String(this.thread.maxQueued) },
      },
      this.#o.fingerprint,
    );
    const judged = this.#o.engine.judgeBatch([marker]);
    this.thread.tryWrite(judged.events, judged.verdicts, this.#o.batchId, true);
    this.#o.engine.foldJudged(judged);
    this.#unmarked = 0;
  }
}
