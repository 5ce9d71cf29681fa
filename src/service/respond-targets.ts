/**
 * @module service/respond-targets: `--run`, `--tool-call`, `--cgroup`, `--container`, `--pid` -> the targets
 * a manual response acts on, each with the run and tool call it belongs to (so it lands in that run's DAG).
 */
import { AgentprovError, NotFoundError } from '../errors.js';
import { cgroup2DirOf, cgroupIdAt, findCgroupV1Mount, processStartWallNs, readMountInfo, resolveV1Dir } from '../host/index.js';
import type { ToolCallScope } from '../model/index.js';
import { CgroupLocator, type DockerPort, type ResponseTarget } from '../respond/index.js';
import type { EvidenceStore } from '../store/index.js';

export type TargetSelector =
  | { by: 'run'; id: string }
  | { by: 'tool-call'; id: string }
  | { by: 'cgroup'; id: string }
  | { by: 'container'; id: string }
  | { by: 'pid'; id: string };

export interface SelectedTarget {
  target: ResponseTarget | null;
  /** Why there is nothing to act on (the leaf is gone, the tool call ended). */
  missing?: string;
  run_id: string | null;
  tool_call_id: string | null;
}

/** The latest binding of each tool call (a tool call bound twice keeps its last declaration). */
function latestScopes(scopes: ToolCallScope[]): ToolCallScope[] {
  const byCall = new Map<string, ToolCallScope>();
  for (const s of scopes) byCall.set(`${s.run_id}\u0000${s.tool_call_id}`, s);
  return [...byCall.values()];
}

/** A scope's own cgroups and containers; its pids only while it is still open (after that they may be reused). */
export function targetsOfScope(scope: ToolCallScope, locator: CgroupLocator): SelectedTarget[] {
  const at = { run_id: scope.run_id, tool_call_id: scope.tool_call_id };
  const out: SelectedTarget[] = [];
  for (const id of scope.own_cgroup_ids) {
    const path = locator.locate(id);
    out.push(path ? { ...at, target: { kind: 'cgroup2', path, id } } : { ...at, target: null, missing: `cgroup ${id} of tool call ${scope.tool_call_id} no longer exists` });
  }
  for (const id of scope.container_ids) out.push({ ...at, target: { kind: 'container', id } });
  if (out.length === 0) {
    if (scope.ended_at_ns !== null && scope.ended_at_ns !== undefined) {
      out.push({ ...at, target: null, missing: `tool call ${scope.tool_call_id} has ended and owns no cgroup: its pids may have been reused` });
    }
    for (const p of scope.pids) out.push({ ...at, target: { kind: 'process', pid: p.pid } });
  }
  if (out.length === 0) out.push({ ...at, target: null, missing: `tool call ${scope.tool_call_id} names no cgroup, container or pid` });
  return out;
}

function scopeOwning(scopes: ToolCallScope[], pred: (s: ToolCallScope) => boolean): { run_id: string | null; tool_call_id: string | null } {
  const s = scopes.filter(pred).at(-1);
  return { run_id: s?.run_id ?? null, tool_call_id: s?.tool_call_id ?? null };
}

function cgroupTarget(spec: string, locator: CgroupLocator): ResponseTarget {
  if (/^\d+$/.test(spec)) {
    const path = locator.locate(spec);
    if (path === null) throw new NotFoundError(`no cgroup v2 with id ${spec} (it may have been removed)`);
    return { kind: 'cgroup2', path, id: spec };
  }
  if (!spec.startsWith('/')) throw new AgentprovError('AP_BAD_ARGS', `--cgroup takes a cgroup v2 id, an absolute directory or a /proc-style path, not ${JSON.stringify(spec)}`);
  const v2 = cgroup2DirOf(spec);
  if (v2 !== null) return { kind: 'cgroup2', path: v2, id: cgroupIdAt(v2)! };
  if (findCgroupV1Mount('freezer', readMountInfo()) !== null && cgroupIdAt(resolveV1Dir(spec, 'freezer')) !== null) {
    return { kind: 'cgroup1', path: spec };
  }
  throw new NotFoundError(`no cgroup at ${spec} in the cgroup v2 hierarchy or the v1 freezer hierarchy`);
}

export async function selectTargets(
  store: EvidenceStore,
  selector: TargetSelector,
  opts: { locator?: CgroupLocator; docker?: DockerPort | null } = {},
): Promise<SelectedTarget[]> {
  const locator = opts.locator ?? new CgroupLocator();
  const scopes = latestScopes(store.query.listScopes());
  switch (selector.by) {
    case 'run': {
      const mine = scopes.filter((s) => s.run_id === selector.id);
      if (mine.length === 0) throw new NotFoundError(`no run ${selector.id}: no tool call was bound to it`);
      return mine.flatMap((s) => targetsOfScope(s, locator));
    }
    case 'tool-call': {
      const mine = scopes.filter((s) => s.tool_call_id === selector.id);
      if (mine.length === 0) throw new NotFoundError(`no tool call ${selector.id} is bound in this store`);
      return mine.flatMap((s) => targetsOfScope(s, locator));
    }
    case 'cgroup': {
      const target = cgroupTarget(selector.id, locator);
      const id = target.kind === 'cgroup2' ? target.id : null;
      return [{ target, ...scopeOwning(scopes, (s) => id !== null && s.own_cgroup_ids.includes(id)) }];
    }
    case 'container': {
      const info = opts.docker ? await opts.docker.inspect(selector.id) : null;
      if (opts.docker && info === null) throw new NotFoundError(`no container ${selector.id}`);
      const id = info?.id ?? selector.id;
      const target: ResponseTarget = { kind: 'container', id, name: info?.name ?? null };
      return [{ target, ...scopeOwning(scopes, (s) => s.container_ids.some((c) => id.startsWith(c) || c.startsWith(id))) }];
    }
    case 'pid': {
      const pid = Number(selector.id);
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new AgentprovError('AP_BAD_ARGS', `--pid takes a process id, not ${JSON.stringify(selector.id)}`);
      const start = processStartWallNs(pid);
      if (start === null) throw new NotFoundError(`no process ${pid}`);
      const open = (s: ToolCallScope) => (s.ended_at_ns === null || s.ended_at_ns === undefined) && s.pids.some((p) => p.pid === pid);
      return [{ target: { kind: 'process', pid, start_ns: start }, ...scopeOwning(scopes, open) }];
    }
  }
}
