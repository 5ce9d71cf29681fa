/** @module host/poll-until: bounded waiting on kernel state that has no blocking interface we can use from Node. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `done`, or `ms` at most; the timer is cleared when `done` comes first, so a process whose work
 * is over does not stay alive for the rest of it (nothing here calls process.exit).
 */
export async function waitAtMost(done: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
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
