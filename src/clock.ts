/**
 * @module clock: the one clock evidence is stamped with (events the pipeline makes, decisions,
 * responses, scopes, ledger heads), so times from different parts of one process compare.
 *
 * Wall-clock nanoseconds at microsecond resolution: latencies from a kernel event to an action are around a
 * millisecond, the resolution of Date.now(). The fraction comes from the monotonic clock, anchored to the
 * wall clock and re-anchored whenever the two part by more than a millisecond (an NTP step, or the slow
 * drift of a daemon that runs for weeks), so stamps track the wall clock the kernel's event times are
 * converted to. Between re-anchorings the stamps never go backwards.
 */
import { performance } from 'node:perf_hooks';

// The first anchor is the process's time origin, which Node takes at microsecond resolution: anchored to
// Date.now() instead, stamps ran up to 1 ms behind the kernel's (exactly converted) event times, so an
// event could look as if it came after the engine judged it.
let anchorWallMs = performance.timeOrigin;
let anchorMonoMs = 0;
let lastNs = 0n;

export function wallClockNs(): bigint {
  const mono = performance.now();
  const wall = Date.now();
  let ms = anchorWallMs + (mono - anchorMonoMs);
  // Date.now() truncates: the true time is within [wall, wall + 1)
  if (ms < wall - 1 || ms > wall + 2) {
    anchorWallMs = wall;
    anchorMonoMs = mono;
    ms = wall;
    lastNs = 0n;
  }
  const whole = Math.floor(ms);
  const ns = BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
  lastNs = ns > lastNs ? ns : lastNs;
  return lastNs;
}
