/**
 * @module store/storage-thread: storage off the judging thread (issue 12, point 5).
 *
 * Judging (correlation, policy, containment) stays on the main thread, where the responder acts; a worker
 * thread (store/storage-worker) with its own connection builds the blocks, hashes, compresses and writes.
 * Bursts cross as columns in transferred buffers (store/storage-protocol). The queue between them is bounded in events: `tryWrite` refuses a
 * burst that would overfill it, and the caller counts that loss (a telemetry_loss event), never silent.
 *
 * `flush()` is synchronous on purpose: whatever reads the store next (a bind re-correlating, the end of a
 * tool call, a query) needs every handed-over event written, and callers are synchronous. It blocks on the
 * shared counter with Atomics.wait (allowed on Node's main thread) and reads the worker's results with
 * receiveMessageOnPort, so no event-loop turn is needed.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { assetPath } from '../assets.js';
import { AgentprovError } from '../errors.js';
import type { EventVerdict } from '../engine/index.js';
import { addStats, emptyStats, type BatchStats } from '../engine/batch-stats.js';
import type { RuntimeEvent } from '../model/index.js';
import { ABANDON_SEQ, DONE_EVENTS, DONE_SEQ, FAILED, SHARED_SLOTS, emptyRequest, transferablesOf, wireEvents, wireVerdicts, type StorageRequest, type StorageResult, type StorageWorkerData } from './storage-protocol.js';

/** Events handed over and not yet written before bursts are refused (about 2 KB each in the worker's heap). */
export const MAX_STORAGE_QUEUE = 131_072;

/** Spare body buffers kept, and the least size of a new one (small bursts then share one reused size). */
const MAX_SPARES = 4;
const MIN_SPARE_BYTES = 4 << 20;

export interface StorageThreadOptions {
  keyFile?: string;
  maxQueued?: number;
  /**
   * A burst the worker could not write (its events are lost): the owner counts and reports it. Results are
   * read only when the owner hands over or flushes, so an owner may start the thread early (its boot takes
   * ~0.3 s) and set this later with setFailureHandler.
   */
  onFailure?: (err: Error, events: number) => void;
}

/**
 * The compiled worker: next to this module in dist/; else (this module runs from src/ in the tests, or is
 * inlined into a bundled CLI in dist/src/bin, see scripts/bundle) dist's copy under the package root.
 */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = join(dirname(here), 'storage-worker.js');
  if (here.endsWith('.js') && existsSync(beside)) return beside;
  const built = assetPath('dist', 'src', 'store', 'storage-worker.js');
  if (!existsSync(built)) throw new AgentprovError('AP_STORE', `storage worker not built: ${built} is missing (run \`make build\`)`);
  return built;
}

export class StorageThread {
  readonly maxQueued: number;
  readonly #worker: Worker;
  readonly #requests: MessageChannel['port1'];
  readonly #results: MessageChannel['port2'];
  readonly #done: BigInt64Array;
  #onFailure: (err: Error, events: number) => void;
  #posted = 0;
  #postedEvents = 0;
  #closed = false;
  #firstError: Error | null = null;
  /** Body buffers the worker handed back, reused for the next bursts (see wireEvents). */
  #spares: ArrayBuffer[] = [];
  /** What the worker stored so far (counted when its results are read: after flush, exact). */
  readonly totals: BatchStats = emptyStats();
  /** Events given up on by abandonQueued and skipped by the worker (read with the results, like totals). */
  abandoned = 0;

  constructor(dataDir: string, opts: StorageThreadOptions = {}) {
    this.maxQueued = opts.maxQueued ?? MAX_STORAGE_QUEUE;
    this.#onFailure = opts.onFailure ?? (() => undefined);
    const shared = new SharedArrayBuffer(SHARED_SLOTS * 8);
    this.#done = new BigInt64Array(shared);
    const req = new MessageChannel();
    const res = new MessageChannel();
    this.#requests = req.port1;
    this.#results = res.port2;
    const data: StorageWorkerData = { dataDir, shared, requests: req.port2, results: res.port1, ...(opts.keyFile ? { keyFile: opts.keyFile } : {}) };
    this.#worker = new Worker(workerFile(), { workerData: data, transferList: [req.port2, res.port1] });
    // the owner's event loop must be free to end while the thread idles; close() waits for it explicitly
    this.#worker.unref();
    this.#results.unref();
  }

  /** Who counts and reports a burst the worker could not write (replaces the one given at construction). */
  setFailureHandler(fn: (err: Error, events: number) => void): void {
    this.#onFailure = fn;
  }

  /** Events handed over and not yet written. */
  get queued(): number {
    return this.#postedEvents - Number(Atomics.load(this.#done, DONE_EVENTS));
  }

  /** Hands a burst over; false (nothing handed over) when it would overfill the queue. `force` skips the bound. */
  tryWrite(events: readonly RuntimeEvent[], verdicts: readonly EventVerdict[], batchId: string | null, force = false): boolean {
    if (this.#closed) throw new AgentprovError('AP_STORE', 'storage thread is closed');
    this.#collect();
    if (!force && this.queued > 0 && this.queued + events.length > this.maxQueued) return false;
    const msg: StorageRequest = { seq: ++this.#posted, count: events.length, ...wireEvents(events, (b) => this.#alloc(b)), ...wireVerdicts(events, verdicts), batchId };
    this.#requests.postMessage(msg, transferablesOf(msg));
    this.#postedEvents += events.length;
    return true;
  }

  /** Blocks until a burst of `events` fits the queue (or the queue is empty): backpressure for a file input. */
  waitForRoom(events: number): void {
    // the seq is read before the condition: a commit in between changes it, so the wait returns at once
    for (let seq = Atomics.load(this.#done, DONE_SEQ); this.queued > 0 && this.queued + events > this.maxQueued; seq = Atomics.load(this.#done, DONE_SEQ)) {
      if (Atomics.load(this.#done, FAILED) !== 0n) return;
      Atomics.wait(this.#done, DONE_SEQ, seq, 1000);
    }
  }

  /**
   * Waits up to `ms` for everything handed over to be written; false if some is still queued then. Failures
   * are read (onFailure) but not thrown: flush() throws them.
   */
  drainWithin(ms: number): boolean {
    const written = this.#waitWritten(performance.now() + ms);
    this.#collect();
    return written;
  }

  /**
   * Gives up on every burst handed over and not yet written (a stop with a time budget): the worker finishes
   * the burst it is writing and skips the rest; after the next flush, `abandoned` counts their events.
   * Bursts handed over later are written as usual (the loss marker that says so).
   */
  abandonQueued(): void {
    Atomics.store(this.#done, ABANDON_SEQ, BigInt(this.#posted));
  }

  /** Blocks until everything handed over is written; failures went to onFailure, the first is thrown. */
  flush(): void {
    this.#waitWritten(Number.POSITIVE_INFINITY);
    this.#collect();
    if (Atomics.load(this.#done, FAILED) !== 0n && Atomics.load(this.#done, DONE_SEQ) < BigInt(this.#posted)) {
      this.#firstError ??= new AgentprovError('AP_STORE', 'storage thread failed');
    }
    const err = this.#firstError;
    this.#firstError = null;
    if (err) throw err;
  }

  /** Flushes, then closes the worker's connection and waits for it to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#closed = true;
      const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
      if (Atomics.load(this.#done, FAILED) === 0n) {
        this.#requests.postMessage({ ...emptyRequest(++this.#posted), close: true } satisfies StorageRequest);
        this.#worker.ref();
        await exited;
      } else {
        await this.#worker.terminate();
      }
      this.#requests.close();
      this.#results.close();
    }
  }

  /**
   * A spare buffer of at least `bytes`, else a new one. New ones come in powers of two from MIN_SPARE_BYTES,
   * so a returned buffer fits the next burst of about the same size.
   */
  #alloc(bytes: number): Buffer {
    const i = this.#spares.findIndex((b) => b.byteLength >= bytes);
    if (i >= 0) return Buffer.from(this.#spares.splice(i, 1)[0]!);
    let size = MIN_SPARE_BYTES;
    while (size < bytes) size *= 2;
    return Buffer.allocUnsafeSlow(size);
  }

  /**
   * Blocks until everything handed over is written, the worker failed, or performance.now() passes
   * `deadline`; true if everything is written.
   */
  #waitWritten(deadline: number): boolean {
    for (let seq = Atomics.load(this.#done, DONE_SEQ); seq < BigInt(this.#posted); seq = Atomics.load(this.#done, DONE_SEQ)) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.load(this.#done, FAILED) !== 0n) return false;
      Atomics.wait(this.#done, DONE_SEQ, seq, Math.min(left, 1000));
    }
    return true;
  }

  /** Reads the results the worker posted so far (counts, failures) without waiting. */
  #collect(): void {
    for (let m = receiveMessageOnPort(this.#results); m; m = receiveMessageOnPort(this.#results)) {
      const r = m.message as StorageResult;
      if (r.spare) {
        this.#spares.push(r.spare);
        // a few bursts in flight need a few buffers; more would only hold memory
        if (this.#spares.length > MAX_SPARES) this.#spares.sort((a, b) => b.byteLength - a.byteLength).pop();
      }
      if (r.error === undefined) {
        addStats(this.totals, r);
        this.abandoned += r.abandoned ?? 0;
        continue;
      }
      const err = new AgentprovError('AP_STORE', `storage thread: ${r.error}`);
      this.#firstError ??= err;
      this.#onFailure(err, r.received);
    }
  }
}
