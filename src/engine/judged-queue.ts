/**
 * @module engine/judged-queue: judged events waiting for the store, written one burst at a time.
 *
 * A live source (the sensor's ring, a record capture) delivers many small batches in one turn of the event
 * loop. Each is judged at once (containment must not wait for storage); the queue hands them on as one
 * burst once the turn's pending batches are in (setImmediate runs after them), or sooner past `maxEvents`,
 * so a burst costs one hand-over and one commit instead of one per ring batch (service/judged-storage
 * hands bursts to the storage thread). Past `maxEvents` the write is forced, which
 * bounds the queue's memory in a burst the loop never pauses in. A scheduled write takes at most
 * `writeEvents` and leaves the rest for the next turn, so batches that arrive meanwhile are judged (and
 * contained) within one such write, not after the whole burst is stored. Whatever reads the store (a
 * bind, the end of a tool call, close) calls flush(), which writes everything.
 */
import type { JudgedBatch } from './evidence-engine.js';

/** Judged events held before a write is forced. */
export const MAX_QUEUED_EVENTS = 50_000;
/** Events one scheduled write takes (about 80 ms of storage here): the bound on what judging waits for. */
export const WRITE_EVENTS = 2_048;

export interface JudgedQueueOptions {
  /** Writes one merged burst; a failure is the writer's to count (it cannot reach a caller from setImmediate). */
  write: (burst: JudgedBatch) => void;
  maxEvents?: number;
  writeEvents?: number;
}

export class JudgedQueue {
  readonly #write: (burst: JudgedBatch) => void;
  readonly #max: number;
  readonly #chunk: number;
  readonly #queued: JudgedBatch[] = [];
  #count = 0;
  #soon: NodeJS.Immediate | null = null;

  constructor(opts: JudgedQueueOptions) {
    this.#write = opts.write;
    this.#max = opts.maxEvents ?? MAX_QUEUED_EVENTS;
    this.#chunk = opts.writeEvents ?? WRITE_EVENTS;
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
    else this.#soon ??= setImmediate(() => this.#writeSome());
  }

  /** Writes everything queued, as one burst. */
  flush(): void {
    if (this.#soon) clearImmediate(this.#soon);
    this.#soon = null;
    this.#take(this.#queued.length);
  }

  /** A scheduled write: whole batches up to the chunk (at least one), the rest on the next turn. */
  #writeSome(): void {
    this.#soon = null;
    let n = 0;
    let events = 0;
    while (n < this.#queued.length && (n === 0 || events + this.#queued[n]!.events.length <= this.#chunk)) events += this.#queued[n++]!.events.length;
    this.#take(n);
    if (this.#queued.length > 0) this.#soon = setImmediate(() => this.#writeSome());
  }

  #take(batches: number): void {
    if (batches === 0) return;
    const queued = this.#queued.splice(0, batches);
    for (const j of queued) this.#count -= j.events.length;
    this.#write(queued.length === 1 ? queued[0]! : { events: queued.flatMap((j) => j.events), verdicts: queued.flatMap((j) => j.verdicts) });
  }
}
