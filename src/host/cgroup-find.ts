/**
 * @module host/cgroup-find: from what evidence carries (a cgroup v2 id, a /proc-style cgroup path) back to a
 * directory a responder can write to, and the cgroup this process itself lives in (never to be acted on).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { findCgroup2Root } from './cgroup-v2-root.js';
import { cgroupPathOfPid } from './cgroup-path.js';
import { findCgroup2Mounts, readMountInfo } from './mountinfo.js';

/** The cgroup v2 id (directory inode, decimal) of `dir`, or null when it does not exist. */
export function cgroupIdAt(dir: string): string | null {
  try {
    const st = statSync(dir, { bigint: true });
    return st.isDirectory() ? st.ino.toString() : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * The directory of the cgroup v2 with inode `id` under `root` (default: the mounted cgroup2 hierarchy), or
 * null. A breadth-first walk: tool-call leaves sit a few levels down, so they are found before deep system
 * trees are read. Cgroups removed during the walk are skipped.
 */
export function findCgroup2Dir(id: string, root: string | null = findCgroup2Root()): string | null {
  if (root === null || !/^\d+$/.test(id)) return null;
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    const dir = queue[i]!;
    if (cgroupIdAt(dir) === id) return dir;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory()) queue.push(join(dir, e.name));
  }
  return null;
}

/**
 * The directory of a cgroup v2 path as /proc/PID/cgroup shows it (`/agentprov/run-1/tc-2`), under whichever
 * cgroup2 mount contains it (mount roots honoured, as in a container). An absolute directory already under a
 * cgroup2 mount is returned as is. Null when no mount contains it or it does not exist.
 */
export function cgroup2DirOf(cgroupPath: string): string | null {
  const mounts = findCgroup2Mounts(readMountInfo());
  for (const m of mounts) {
    if (cgroupPath === m.mountPoint || cgroupPath.startsWith(`${m.mountPoint}/`)) {
      return cgroupIdAt(cgroupPath) !== null ? cgroupPath : null;
    }
  }
  for (const m of mounts) {
    const rel = posix.relative(m.root, posix.join('/', cgroupPath));
    if (rel.startsWith('..')) continue;
    const dir = rel === '' ? m.mountPoint : join(m.mountPoint, rel);
    if (cgroupIdAt(dir) !== null) return dir;
  }
  return null;
}

/** The cgroup v2 directory this process runs in, or null (no v2 line, or not mounted here). */
export function ownCgroup2Dir(pid: number = process.pid): string | null {
  const unified = cgroupPathOfPid(pid)?.unified;
  return unified === null || unified === undefined ? null : cgroup2DirOf(unified);
}

/** True when `dir` is `ancestor` or below it. */
export function isSameOrBelow(dir: string, ancestor: string): boolean {
  const rel = relative(ancestor, dir);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}
