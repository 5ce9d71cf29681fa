/**
 * @module host/link-reaper: a small process that takes over the last reference to BPF link fds, so the
 * kernel's slow part of detaching happens in it, not in the process that waits for it.
 *
 * Closing a tracepoint or uprobe link waits for RCU grace periods, which the kernel runs one detach at a time
 * (~50 ms each on this VM: 36 syscall tracepoints cost ~1.8 s at every sensor stop). The programs are already
 * quiesced by then (they do nothing), so nothing depends on when the links go: the reaper holds duplicates of
 * the fds, our own closes are then instant, and when we end the reaper's stdin (or die) it exits and the
 * kernel releases the links in its exit path. No fd is left behind: the reaper lives until we let it go.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface LinkReaper {
  /** Lets the reaper exit (it releases the links as it does); safe to call twice. */
  release(): void;
}

const SHELL = '/bin/sh';

/** Starts a reaper holding `fds`; null when it could not start (the caller detaches the slow way). */
export function startLinkReaper(fds: readonly number[]): LinkReaper | null {
  let child: ChildProcess;
  try {
    // `read` returns at EOF: when release() ends stdin, or when this process exits without calling it
    child = spawn(SHELL, ['-c', 'read _ || :'], { detached: true, stdio: ['pipe', 'ignore', 'ignore', ...fds] });
  } catch {
    return null;
  }
  child.on('error', () => {}); // a reaper that failed to start is only a slower stop
  if (child.pid === undefined) return null;
  child.unref();
  const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void; destroy?: () => void }) | null;
  stdin?.unref?.();
  let released = false;
  return {
    release(): void {
      if (released) return;
      released = true;
      stdin?.destroy?.();
    },
  };
}
