/** @module host/cgroup-v1: responder fallbacks for processes in cgroup v1 hierarchies (kill, freezer). */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { NotFoundError } from '../errors.js';
import { findCgroupV1Mount, readMountInfo } from './mountinfo.js';
import { pollUntil } from './poll-until.js';

/**
 * The directory of `cgroupPath` in the v1 hierarchy carrying `controller`. An absolute directory already
 * under a v1 mount point (any controller) is returned as is; otherwise it is read as a /proc/PID/cgroup path.
 */
export function resolveV1Dir(cgroupPath: string, controller: string): string {
  const entries = readMountInfo();
  const under = entries.find(
    (e) => e.fsType === 'cgroup' && (cgroupPath === e.mountPoint || cgroupPath.startsWith(`${e.mountPoint}/`)),
  );
  if (under) return cgroupPath;
  const mount = findCgroupV1Mount(controller, entries);
  if (!mount) throw new NotFoundError(`no cgroup v1 hierarchy with the ${controller} controller is mounted`);
  return join(mount.mountPoint, posix.relative(mount.root, posix.join('/', cgroupPath)));
}

function subtree(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...subtree(join(dir, e.name)));
  return out;
}

function readIds(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every task (thread id) in the v1 cgroup and below it. */
export function listTasksV1(cgroupPath: string, opts: { controller?: string } = {}): number[] {
  const dir = resolveV1Dir(cgroupPath, opts.controller ?? 'pids');
  const ids = new Set<number>();
  for (const d of subtree(dir)) for (const id of readIds(join(d, 'tasks'))) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

/**
 * SIGKILLs every task in the v1 cgroup (and below), in rounds, since v1 has no cgroup.kill and a process
 * may fork between listing and signalling (freeze first with freezeV1 to close that race). Returns the ids
 * signalled. `controller` picks the hierarchy a relative path is read in (default 'pids').
 */
export async function killPidsV1(
  cgroupPath: string,
  opts: { controller?: string; rounds?: number } = {},
): Promise<number[]> {
  const killed = new Set<number>();
  for (let round = 0; round < (opts.rounds ?? 5); round++) {
    const tasks = listTasksV1(cgroupPath, opts);
    if (tasks.length === 0) break;
    for (const tid of tasks) {
      try {
        process.kill(tid, 'SIGKILL');
        killed.add(tid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    await pollUntil(() => listTasksV1(cgroupPath, opts).length === 0, { timeoutMs: 100, intervalMs: 5 });
  }
  return [...killed].sort((a, b) => a - b);
}

export function readFreezerStateV1(cgroupPath: string): string {
  return readFileSync(join(resolveV1Dir(cgroupPath, 'freezer'), 'freezer.state'), 'utf8').trim();
}

async function setFreezerV1(cgroupPath: string, state: 'FROZEN' | 'THAWED', timeoutMs: number): Promise<boolean> {
  const file = join(resolveV1Dir(cgroupPath, 'freezer'), 'freezer.state');
  // FREEZING is the in-between state; writing FROZEN again is how the v1 docs say to retry it.
  return pollUntil(
    () => {
      if (readFileSync(file, 'utf8').trim() === state) return true;
      writeFileSync(file, state);
      return readFileSync(file, 'utf8').trim() === state;
    },
    { timeoutMs, intervalMs: 10 },
  );
}

/** Freezes a v1 freezer cgroup; true once freezer.state reads FROZEN within the wait. */
export function freezeV1(cgroupPath: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  return setFreezerV1(cgroupPath, 'FROZEN', opts.timeoutMs ?? 2000);
}

export function thawV1(cgroupPath: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  return setFreezerV1(cgroupPath, 'THAWED', opts.timeoutMs ?? 2000);
}
