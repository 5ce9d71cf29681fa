/** @module host/cgroup-path: which cgroups a process is in (/proc/PID/cgroup) and container ids in those paths. */
import { readFileSync } from 'node:fs';

export interface ProcCgroups {
  /** The cgroup v2 path (the `0::` line), or null on a pure v1 host. */
  unified: string | null;
  /** v1 paths by controller ('cpu', 'freezer', 'name=systemd', ...); co-mounted controllers share one path. */
  v1: Record<string, string>;
}

/** Pure parser for the text of /proc/PID/cgroup: `hierarchy-id:controller-list:path` per line. */
export function parseProcCgroup(text: string): ProcCgroups {
  const result: ProcCgroups = { unified: null, v1: {} };
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1); // a path may itself contain ':' (systemd slice names)
    if (id === '0' && controllers === '') {
      result.unified = path;
      continue;
    }
    for (const c of controllers.split(',')) if (c !== '') result.v1[c] = path;
  }
  return result;
}

/** The cgroups of `pid`, or null if the process is gone. */
export function cgroupPathOfPid(pid: number): ProcCgroups | null {
  try {
    return parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw err;
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
// systemd driver: docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope (podman).
const SCOPE = /^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{64})\.scope$/;
// kubelet's systemd driver on cgroup v1 writes slice:runtime:id, e.g. kubepods-pod<uid>.slice:cri-containerd:<id>.
const COLON = /:(?:cri-containerd|docker|crio):([0-9a-f]{64})$/;

/**
 * The container id (64 lower-case hex) in a cgroup path, or null. Recognizes docker's cgroupfs driver
 * (/docker/<id>), the systemd driver (docker-<id>.scope and the containerd, CRI-O, podman variants) and
 * kubelet paths (/kubepods/<qos>/pod<uid>/<id>). Nested runtimes (docker in docker) give the innermost id.
 */
export function containerIdFromCgroupPath(path: string): string | null {
  const segments = path.toLowerCase().split('/');
  let found: string | null = null;
  let inKubepods = false;
  segments.forEach((seg, i) => {
    if (seg.startsWith('kubepods')) inKubepods = true;
    const scope = SCOPE.exec(seg) ?? COLON.exec(seg);
    if (scope?.[1]) found = scope[1];
    else if (HEX64.test(seg) && (inKubepods || segments[i - 1] === 'docker')) found = seg;
  });
  return found;
}
