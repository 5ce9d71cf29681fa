/** @module respond/target: what a response acts on (a cgroup, a process, a container) and how it is written down. */
import type { ResponseAction } from '../model/index.js';

export type ResponseTarget =
  /** A cgroup v2 directory and its id (inode): cgroup.kill, cgroup.freeze, the sensor's per-cgroup flags. */
  | { kind: 'cgroup2'; path: string; id: string }
  /** A cgroup v1 path (/proc-style, or a directory under a v1 mount): SIGKILL every task, the freezer. */
  | { kind: 'cgroup1'; path: string }
  /** One process; start_ns (wall clock) guards against a reused pid. */
  | { kind: 'process'; pid: number; start_ns?: bigint | null }
  /** A Docker container by id (full or prefix); the name is filled in once dockerd has been asked. */
  | { kind: 'container'; id: string; name?: string | null };

export type ResponseVerb = 'kill' | 'freeze' | 'thaw' | 'quarantine' | 'release';
export const RESPONSE_VERBS: readonly ResponseVerb[] = ['kill', 'freeze', 'thaw', 'quarantine', 'release'];

export function targetKindOf(t: ResponseTarget): ResponseAction['target_kind'] {
  return t.kind === 'cgroup2' || t.kind === 'cgroup1' ? 'cgroup' : t.kind;
}

/** The `target` column of a ResponseAction: a directory or cgroup path, a pid, a container id. */
export function targetString(t: ResponseTarget): string {
  switch (t.kind) {
    case 'cgroup2':
    case 'cgroup1':
      return t.path;
    case 'process':
      return String(t.pid);
    case 'container':
      return t.id;
  }
}

/** For people: "cgroup v2 /sys/fs/cgroup/x (id 1234)", "container web (4c57ecd8efd8)". */
export function describeTarget(t: ResponseTarget): string {
  switch (t.kind) {
    case 'cgroup2':
      return `cgroup v2 ${t.path} (id ${t.id})`;
    case 'cgroup1':
      return `cgroup v1 ${t.path}`;
    case 'process':
      return `process ${t.pid}`;
    case 'container':
      return `container ${t.name ? `${t.name} ` : ''}(${t.id.slice(0, 12)})`;
  }
}

/** JSON-safe form (stored with approvals and containments so another process can undo a freeze). */
export function encodeTarget(t: ResponseTarget): Record<string, unknown> {
  if (t.kind === 'process') return { kind: t.kind, pid: t.pid, start_ns: t.start_ns?.toString() ?? null };
  return { ...t };
}

export function decodeTarget(v: Record<string, unknown> | null | undefined): ResponseTarget | null {
  if (!v || typeof v.kind !== 'string') return null;
  const str = (k: string): string | null => (typeof v[k] === 'string' ? (v[k] as string) : null);
  switch (v.kind) {
    case 'cgroup2': {
      const path = str('path');
      const id = str('id');
      return path && id ? { kind: 'cgroup2', path, id } : null;
    }
    case 'cgroup1': {
      const path = str('path');
      return path ? { kind: 'cgroup1', path } : null;
    }
    case 'process': {
      const pid = v.pid;
      if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
      const start = str('start_ns');
      return { kind: 'process', pid, start_ns: start === null ? null : BigInt(start) };
    }
    case 'container': {
      const id = str('id');
      return id ? { kind: 'container', id, name: str('name') } : null;
    }
    default:
      return null;
  }
}
