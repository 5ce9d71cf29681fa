/** @module host/cgroup-v2: leaves in the cgroup v2 tree (create, list, kill, freeze, wait, remove). */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { AgentprovError, PermissionError } from '../errors.js';
import { requireCgroup2Root } from './cgroup-v2-root.js';
import { findCgroup2Mounts, readMountInfo } from './mountinfo.js';
import { pollUntil } from './poll-until.js';

export interface CgroupLeaf {
  /** Absolute directory of the leaf in the mounted hierarchy. */
  path: string;
  /** cgroup v2 id: the directory's inode number, what bpf_get_current_cgroup_id() returns (decimal). */
  id: string;
  /** The path as /proc/PID/cgroup shows it on the `0::` line, e.g. /agentprov/run-1/tc-2. */
  cgroupPath: string;
}

/** Functions take a leaf or its absolute directory. */
export type LeafRef = string | { path: string };

const pathOf = (leaf: LeafRef): string => (typeof leaf === 'string' ? leaf : leaf.path);

// No '/', no '.'/'..', nothing the kernel reserves for interface files.
const SEGMENT = /^(?!cgroup\.)(?!\.\.?$)[A-Za-z0-9._:@+-]{1,200}$/;

function checkSegments(rel: string, what: string): string[] {
  const parts = rel.split('/').filter((p) => p !== '');
  for (const p of parts) {
    if (!SEGMENT.test(p)) {
      throw new AgentprovError('AP_BAD_ARGS', `bad cgroup ${what} segment ${JSON.stringify(p)} in ${JSON.stringify(rel)}`);
    }
  }
  return parts;
}

/** The cgroup path /proc/PID/cgroup would show for a directory under a cgroup2 mount (mount root joined). */
function cgroupPathFor(dir: string): string {
  const mount = findCgroup2Mounts(readMountInfo())
    .filter((m) => dir === m.mountPoint || dir.startsWith(`${m.mountPoint}/`))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
  if (!mount) throw new AgentprovError('AP_BAD_ARGS', `${dir} is not under a mounted cgroup2 hierarchy`);
  return posix.join(mount.root, relative(mount.mountPoint, dir));
}

/** Describes an existing cgroup directory (used for leaves created by another process). */
export function leafFromPath(path: string): CgroupLeaf {
  return { path, id: statSync(path).ino.toString(), cgroupPath: cgroupPathFor(path) };
}

/**
 * Creates (or reuses) the leaf `parentRel/name` under the cgroup2 root, parents included, e.g.
 * createLeaf('agentprov/run-1', 'tc-2'). No controller is enabled, so the "no internal processes" rule does
 * not apply, but processes are still only ever put into leaves.
 */
export function createLeaf(parentRel: string, name: string, opts: { root?: string } = {}): CgroupLeaf {
  const root = opts.root ?? requireCgroup2Root();
  const parts = [...checkSegments(parentRel, 'parent'), ...checkSegments(name, 'name')];
  if (parts.length === 0) throw new AgentprovError('AP_BAD_ARGS', 'a cgroup leaf needs a name');
  const path = join(root, ...parts);
  try {
    mkdirSync(path, { recursive: true, mode: 0o755 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    throw new PermissionError(
      `cannot create cgroup ${path}: ${code}. Run as root, or delegate the parent to this user ` +
        `(chown it and its cgroup.procs, as systemd does with Delegate=yes)`,
      { cause: err },
    );
  }
  return leafFromPath(path);
}

/** The leaf itself and every cgroup under it, deepest first (the order rmdir needs). */
export function listDescendants(leaf: LeafRef): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    out.push(dir);
  };
  walk(pathOf(leaf));
  return out;
}

function readPidsFile(file: string): number[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every pid (thread-group leader) in the leaf and in the cgroups below it, sorted. */
export function listPids(leaf: LeafRef): number[] {
  const pids = new Set<number>();
  for (const dir of listDescendants(leaf)) for (const pid of readPidsFile(join(dir, 'cgroup.procs'))) pids.add(pid);
  return [...pids].sort((a, b) => a - b);
}

export interface CgroupEvents {
  populated: boolean;
  frozen: boolean;
}

/** cgroup.events: `populated` counts the subtree, `frozen` says the freeze has taken effect. */
export function readCgroupEvents(leaf: LeafRef): CgroupEvents {
  const text = readFileSync(join(pathOf(leaf), 'cgroup.events'), 'utf8');
  const value = (key: string): boolean => new RegExp(`^${key} 1$`, 'm').test(text);
  return { populated: value('populated'), frozen: value('frozen') };
}

export const isPopulated = (leaf: LeafRef): boolean => readCgroupEvents(leaf).populated;
export const isFrozen = (leaf: LeafRef): boolean => readCgroupEvents(leaf).frozen;

/** Resolves true once no process is left in the subtree, false after `timeoutMs`. */
export function waitEmpty(leaf: LeafRef, timeoutMs: number): Promise<boolean> {
  return pollUntil(() => !isPopulated(leaf), { timeoutMs, intervalMs: 5 });
}

async function setFrozen(leaf: LeafRef, frozen: boolean, timeoutMs: number): Promise<boolean> {
  writeFileSync(join(pathOf(leaf), 'cgroup.freeze'), frozen ? '1' : '0');
  return pollUntil(() => isFrozen(leaf) === frozen, { timeoutMs, intervalMs: 5 });
}

/** Freezes the subtree; true once cgroup.events says `frozen 1`, false if it did not within the wait. */
export function freeze(leaf: LeafRef, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  return setFrozen(leaf, true, opts.timeoutMs ?? 2000);
}

export function thaw(leaf: LeafRef, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  return setFrozen(leaf, false, opts.timeoutMs ?? 2000);
}

function sigkill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export interface KillResult {
  method: 'cgroup.kill' | 'sigkill';
  /** The pids present just before the kill. */
  pids: number[];
}

/**
 * Kills every process in the subtree. cgroup.kill (Linux 5.14+) does it atomically, forks included; the
 * fallback freezes first so nothing can fork between listing and signalling, then SIGKILLs each pid.
 */
export async function killCgroup(leaf: LeafRef): Promise<KillResult> {
  const pids = listPids(leaf);
  try {
    writeFileSync(join(pathOf(leaf), 'cgroup.kill'), '1');
    return { method: 'cgroup.kill', pids };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'EOPNOTSUPP') throw err;
  }
  let froze = false;
  try {
    froze = await freeze(leaf, { timeoutMs: 500 });
  } catch {
    /* no cgroup.freeze either (before 5.2): signal without freezing */
  }
  for (let round = 0; round < 5 && isPopulated(leaf); round++) {
    for (const pid of listPids(leaf)) sigkill(pid);
    if (await waitEmpty(leaf, 100)) break;
  }
  // A frozen process dies only when thawed: SIGKILL is delivered on the way out of the freezer.
  if (froze) await thaw(leaf, { timeoutMs: 500 });
  return { method: 'sigkill', pids };
}

/**
 * Removes the leaf and every cgroup under it, deepest first. rmdir fails with EBUSY while processes remain
 * (zombies do not count), so it retries until `timeoutMs`, then says to kill them first. Missing is fine.
 */
export async function removeLeaf(leaf: LeafRef, opts: { timeoutMs?: number } = {}): Promise<void> {
  for (const dir of listDescendants(leaf)) {
    let lastErr: unknown = null;
    const gone = await pollUntil(
      () => {
        try {
          rmdirSync(dir);
          return true;
        } catch (err) {
          lastErr = err;
          return (err as NodeJS.ErrnoException).code === 'ENOENT';
        }
      },
      { timeoutMs: opts.timeoutMs ?? 2000, intervalMs: 10 },
    );
    if (!gone) {
      throw new AgentprovError('AP_IO', `cannot remove cgroup ${dir}: ${String(lastErr)}; kill its processes first (killCgroup)`, {
        cause: lastErr,
      });
    }
  }
}
