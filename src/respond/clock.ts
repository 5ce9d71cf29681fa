/**
 * @module respond/clock: time for responders: the evidence clock (src/clock) for latency from a kernel
 * event (whose time the sensor converts to wall clock) to the action, waiting for an effect to land, and
 * durations as text.
 */
import { performance } from 'node:perf_hooks';
import { wallClockNs } from '../clock.js';

/** The evidence clock (src/clock): µs resolution, on the wall clock. */
export const preciseWallClockNs: () => bigint = wallClockNs;

/**
 * Resolves once `check` holds or `timeoutMs` passes. The first `spinMs` are a synchronous spin: a freeze or
 * a kill usually lands within tens of µs, and confirming it before the engine's own work resumes (its
 * transaction, other events) keeps the recorded time exact. Then setImmediate for a few ms, then 1 ms timers.
 */
export async function waitFor(check: () => boolean, timeoutMs: number, spinMs = 0): Promise<boolean> {
  const start = performance.now();
  while (performance.now() - start < Math.min(spinMs, timeoutMs)) if (check()) return true;
  for (;;) {
    if (check()) return true;
    const elapsed = performance.now() - start;
    if (elapsed >= timeoutMs) return false;
    await new Promise<void>((resolve) => (elapsed < 5 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
}

/** "1.234 ms" for a nanosecond duration. */
export function formatMs(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(3)} ms`;
}
