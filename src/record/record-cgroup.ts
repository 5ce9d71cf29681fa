/**
 * @module record/record-cgroup: where recorded runs get their cgroup v2 leaves, and why a run has none.
 *
 * Layout: <cgroup2 root>/agentprov/runs/<run>-<rand>/<tool call>. The run directory holds no process of its
 * own; each tool call is a leaf beneath it, so one tool call can be killed or frozen without touching the
 * others or the agent that started them (the agent is never inside these cgroups).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { AgentprovError } from '../errors.js';
import { createLeaf, ensureCgroup2Root, findCgroup2Root, type CgroupLeaf } from '../host/index.js';

export const RECORD_CGROUP_PARENT = 'agentprov/runs';

export interface CgroupAvailability {
  /** The cgroup2 mount point to create leaves under, or null (then `reason` says why). */
  root: string | null;
  reason: string;
}

/** A cgroup path segment from a free-form id: the characters the kernel and createLeaf accept, at most 64. */
export function cgroupSegment(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._:@+-]/g, '_').slice(0, 64);
  if (s === '' || s === '.' || s === '..') return `_${s}`;
  return s.startsWith('cgroup.') ? `_${s}` : s;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Finds (as root: mounts, at a private mount point, when only cgroup v1 is mounted) a cgroup2 hierarchy and
 * checks that we may create leaves in it by creating the shared parent. Never throws: a host where this
 * fails records without a cgroup, and the reason is kept with the run.
 */
export async function probeRecordCgroups(): Promise<CgroupAvailability> {
  const uid = process.geteuid?.() ?? -1;
  let root: string | null;
  try {
    root = uid === 0 ? await ensureCgroup2Root() : findCgroup2Root();
  } catch (err) {
    return { root: null, reason: `no cgroup v2 hierarchy: ${errText(err)}` };
  }
  if (root === null) {
    return { root: null, reason: `cgroup v2 is not mounted and mounting it needs root (running as uid ${uid})` };
  }
  try {
    const parent = createLeaf('agentprov', 'runs', { root });
    // mkdir of an existing directory succeeds for anyone: what matters is whether we may add leaves to it.
    accessSync(parent.path, constants.W_OK);
  } catch (err) {
    return { root: null, reason: `cannot create cgroups under ${join(root, RECORD_CGROUP_PARENT)} as uid ${uid}: ${errText(err)}` };
  }
  return { root, reason: uid === 0 ? `cgroup v2 at ${root}` : `cgroup v2 at ${root} (delegated to uid ${uid})` };
}

/** The run's own directory: a fresh name, so two recordings of the same run id never share a cgroup. */
export function createRunCgroup(root: string, runId: string): CgroupLeaf {
  return createLeaf(RECORD_CGROUP_PARENT, `${cgroupSegment(runId)}-${randomBytes(3).toString('hex')}`, { root });
}

/** A tool call's leaf beneath its run's directory. */
export function createToolCallLeaf(root: string, run: CgroupLeaf, toolCallId: string): CgroupLeaf {
  const rel = run.path.slice(root.length).replace(/^\/+/, '');
  if (!run.path.startsWith(root)) throw new AgentprovError('AP_BAD_ARGS', `${run.path} is not under the cgroup root ${root}`);
  return createLeaf(rel, cgroupSegment(toolCallId), { root });
}
