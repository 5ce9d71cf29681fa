/**
 * @module record/record-phases: where a recording's wall time went, phase by phase (issue 13, point 4).
 *
 * Each mark closes the phase that ran since the previous one. The first phase, `load`, is the time from
 * the process's start to the timer's creation (node's boot and our module loading): a slow start is then
 * told apart from a slow sensor load or a slow drain without a profiler.
 */
import { performance } from 'node:perf_hooks';

export class PhaseTimer {
  #last: number;
  readonly #phases: [string, number][] = [];

  constructor() {
    // performance.now() counts from the process's time origin, so the first phase is everything before us
    this.#last = performance.now();
    this.#phases.push(['load', this.#last]);
  }

  /** Ends the phase `name` now (a name marked twice adds up). */
  mark(name: string): void {
    const now = performance.now();
    const hit = this.#phases.find(([n]) => n === name);
    if (hit) hit[1] += now - this.#last;
    else this.#phases.push([name, now - this.#last]);
    this.#last = now;
  }

  /** Each phase's milliseconds, in the order they first ended, rounded to 0.1 ms. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#phases.map(([n, ms]) => [n, Math.round(ms * 10) / 10]));
  }

  /** `load 150 ms, sensor 310 ms, ...` and the total. */
  format(): string {
    const parts = this.#phases.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`);
    const total = this.#phases.reduce((s, [, ms]) => s + ms, 0);
    return `${parts.join(', ')} (total ${total.toFixed(0)} ms)`;
  }
}
