/** @module host/poll-until: bounded waiting on kernel state that has no blocking interface we can use from Node. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `check` until it returns true or `timeoutMs` passes; resolves with the last answer. Always checks
 * once more at the deadline, so a timeout of 0 is a plain check.
 */
export async function pollUntil(
  check: () => boolean,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const interval = opts.intervalMs ?? 10;
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}
