/**
 * @module respond/clock: time for responders: waiting for an effect to land, and durations as text. What
 * they stamp comes from the evidence clock (src/clock).
 */
import { performance } from 'node:perf_hooks';

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
