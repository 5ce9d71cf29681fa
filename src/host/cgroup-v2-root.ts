/** @module host/cgroup-v2-root: finds a mounted cgroup v2 hierarchy, or mounts one (root only) exactly once. */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentprovError, NotFoundError, PermissionError } from '../errors.js';
import { findCgroup2Mounts, readMountInfo } from './mountinfo.js';
import { sleep } from './poll-until.js';

export const DEFAULT_CGROUP2_MOUNT = '/run/agentprov/cgroup2';

export interface EnsureCgroup2Options {
  /** Where to mount cgroup2 if none is mounted. Default /run/agentprov/cgroup2. */
  mountPoint?: string;
  /** false: accept only a cgroup2 mount at exactly `mountPoint` (tests use this). Default true. */
  useExisting?: boolean;
  /** How long to wait for another process that holds the mount lock. Default 5000 ms. */
  lockTimeoutMs?: number;
}

/** The mount point of a cgroup2 hierarchy already mounted (whole hierarchy first), or null. */
export function findCgroup2Root(opts: { mountPoint?: string; useExisting?: boolean } = {}): string | null {
  const mounts = findCgroup2Mounts(readMountInfo());
  if (opts.useExisting === false) {
    const want = resolve(opts.mountPoint ?? DEFAULT_CGROUP2_MOUNT);
    return mounts.some((m) => m.mountPoint === want) ? want : null;
  }
  return mounts[0]?.mountPoint ?? null;
}

/** Like findCgroup2Root, but an absent hierarchy is an error that says what to do. */
export function requireCgroup2Root(): string {
  const root = findCgroup2Root();
  if (root === null) {
    throw new NotFoundError('cgroup v2 is not mounted: call ensureCgroup2Root() first (as root it mounts one)');
  }
  return root;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes an O_EXCL lock file holding our pid; a lock whose owner died is removed. False if someone holds it. */
function tryLock(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let owner = NaN;
  try {
    owner = Number(readFileSync(lockPath, 'utf8').trim());
  } catch {
    return false; // released between our open and read: retry on the next round
  }
  // An empty file is a holder between open and write: only a dead pid makes the lock stale.
  if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
    try {
      unlinkSync(lockPath);
    } catch {
      /* another waiter removed it first */
    }
  }
  return false;
}

function mountCgroup2(mountPoint: string): void {
  try {
    execFileSync('mount', ['-t', 'cgroup2', 'none', mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    // Lost a race with a process that did not use our lock: the re-read of mountinfo decides.
    if (/busy|already mounted/i.test(stderr)) return;
    if (/permission denied|operation not permitted|must be superuser/i.test(stderr)) {
      throw new PermissionError(
        `cannot mount cgroup2 at ${mountPoint}: ${stderr}. Run as root with CAP_SYS_ADMIN, or mount it once: ` +
          `sudo mount -t cgroup2 none ${mountPoint}`,
        { cause: err },
      );
    }
    throw new AgentprovError('AP_IO', `cannot mount cgroup2 at ${mountPoint}: ${stderr || String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Returns the mount point of a cgroup v2 hierarchy, mounting one at `mountPoint` if there is none. Safe to
 * call twice and from two processes at once: a lock file next to the mount point lets one of them mount
 * while the others wait and then read /proc/self/mountinfo again (mounting twice would stack two mounts).
 */
export async function ensureCgroup2Root(opts: EnsureCgroup2Options = {}): Promise<string> {
  const mountPoint = resolve(opts.mountPoint ?? DEFAULT_CGROUP2_MOUNT);
  const find = (): string | null => findCgroup2Root({ mountPoint, useExisting: opts.useExisting });
  const found = find();
  if (found !== null) return found;
  if (process.getuid?.() !== 0) {
    throw new PermissionError(
      `cgroup v2 is not mounted and mounting it needs root: run agentprov with sudo, or mount it once with ` +
        `sudo mkdir -p ${mountPoint} && sudo mount -t cgroup2 none ${mountPoint}`,
      { code: 'AP_NOT_ROOT' },
    );
  }
  mkdirSync(mountPoint, { recursive: true, mode: 0o755 });
  const lockPath = `${mountPoint}.lock`;
  const deadline = Date.now() + (opts.lockTimeoutMs ?? 5000);
  for (;;) {
    if (tryLock(lockPath)) {
      try {
        const again = find();
        if (again !== null) return again;
        mountCgroup2(mountPoint);
      } finally {
        try {
          unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      }
      const mounted = find();
      if (mounted !== null) return mounted;
      throw new AgentprovError('AP_IO', `mounted cgroup2 at ${mountPoint} but /proc/self/mountinfo does not show it`);
    }
    await sleep(20);
    const other = find();
    if (other !== null) return other;
    if (Date.now() > deadline) {
      throw new AgentprovError(
        'AP_IO',
        `timed out waiting for ${lockPath}, held by another process mounting cgroup2: remove it if no agentprov runs`,
      );
    }
  }
}
