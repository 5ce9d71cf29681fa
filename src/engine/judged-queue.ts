/**
 * @module engine/judged-queue: judged events waiting for the store, written one burst at a time.
 *
 * A live source (the sensor's ring, a record capture) delivers many small batches in one turn of the event
 * loop. Each is judged at once (containment must not wait for storage); the queue writes them all in one
 * transaction once the turn's pending batches are in (setImmediate runs after them), so a burst costs one
 * commit and one signed head instead of one per ring batch. Past `maxEvents` the write is forced, which
 * bounds the queue's memory in a burst the loop never pauses in. Whatever reads the store (a bind, the end
 * of a tool call, close) calls flush() first.
 */
import type { JudgedBatch } from './evidence-engine.js';

/** Judged events held before a write is forced. */
export const MAX_QUEUED_EVENTS = 50_000;

export interface JudgedQueueOptions {
  /** Writes one merged burst; a failure is the writer's to count (it cannot reach a caller from setImmediate). */
  write: (burst: JudgedBatch) => void;
  maxEvents?: number;
}

export class JudgedQueue {
  readonly #write: (burst: JudgedBatch) => void;
  readonly #max: number;
  readonly #queued: JudgedBatch[] = [];
  #count = 0;
  #soon: NodeJS.Immediate | null = null;

  constructor(opts: JudgedQueueOptions) {
    this.#write = opts.write;
    this.#max = opts.maxEvents ?? MAX_QUEUED_EVENTS;
  }

  /** Events queued and not yet written. */
  get size(): number {
    return this.#count;
  }

  push(judged: JudgedBatch): void {
    if (judged.events.length === 0) return;
    this.#queued.push(judged);
    this.#count += judged.events.length;
    if (this.#count >= this.#max) this.flush();
    else this.#soon ??= setImmediate(() => this.flush());
  }

  /** Writes everything queued, as one burst. */
  flush(): void {
    if (this.#soon) clearImmediate(this.#soon);
    this.#soon = null;
    if (this.#queued.length === 0) return;
    const queued = this.#queued.splice(0);
    this.#count = 0;
    this.#write(queued.length === 1 ? queued[0]! : { events: queued.flatMap((j) => j.events), verdicts: queued.flatMap((j) => j.verdicts) });
  }
}
