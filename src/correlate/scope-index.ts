/**
 * @module correlate/scope-index: bound ToolCallScopes indexed by cgroup id, container id (12-char key), pid
 * and tool call id, so correlating a million events costs a few map lookups each.
 */
import type { ToolCallScope } from '../model/index.js';
import { containerIdKey, normalizeContainerId } from './container-id.js';

export interface IndexedScope {
  /** binding_id, or run/tool call when the binder gave none: a rebinding under it replaces the scope. */
  id: string;
  scope: ToolCallScope;
}

export interface IndexedContainer {
  container_id: string;
  entry: IndexedScope;
}

export interface IndexedPid {
  start_ns: bigint | null;
  entry: IndexedScope;
}

export function scopeId(scope: ToolCallScope): string {
  return scope.binding_id ?? `${scope.run_id}/${scope.tool_call_id}`;
}

export function isInWindow(scope: ToolCallScope, t: bigint): boolean {
  return scope.started_at_ns <= t && (scope.ended_at_ns === null || scope.ended_at_ns === undefined || t <= scope.ended_at_ns);
}

export class ScopeIndex {
  private readonly scopes = new Map<string, IndexedScope>();
  private stale = true;
  private own = new Map<string, IndexedScope[]>();
  private shared = new Map<string, IndexedScope[]>();
  private containers = new Map<string, IndexedContainer[]>();
  private pids = new Map<number, IndexedPid[]>();
  private toolCalls = new Map<string, IndexedScope[]>();
  /** Bumped whenever the set of scopes changes, so callers can drop caches. */
  version = 0;

  add(scope: ToolCallScope): void {
    const id = scopeId(scope);
    this.scopes.set(id, { id, scope });
    this.stale = true;
    this.version += 1;
  }

  get size(): number {
    return this.scopes.size;
  }

  ownCgroup(cgroupId: string): readonly IndexedScope[] {
    return this.fresh().own.get(cgroupId) ?? [];
  }

  sharedCgroup(cgroupId: string): readonly IndexedScope[] {
    return this.fresh().shared.get(cgroupId) ?? [];
  }

  /** Candidates whose id shares the first 12 characters; the caller checks the full prefix match. */
  container(normalizedId: string): readonly IndexedContainer[] {
    return this.fresh().containers.get(containerIdKey(normalizedId)) ?? [];
  }

  pid(pid: number): readonly IndexedPid[] {
    return this.fresh().pids.get(pid) ?? [];
  }

  hasPids(): boolean {
    return this.fresh().pids.size > 0;
  }

  toolCall(toolCallId: string): readonly IndexedScope[] {
    return this.fresh().toolCalls.get(toolCallId) ?? [];
  }

  private fresh(): this {
    if (!this.stale) return this;
    this.own = new Map();
    this.shared = new Map();
    this.containers = new Map();
    this.pids = new Map();
    this.toolCalls = new Map();
    for (const entry of this.scopes.values()) {
      const s = entry.scope;
      for (const cg of new Set(s.own_cgroup_ids)) push(this.own, cg, entry);
      for (const cg of new Set(s.cgroup_ids)) push(this.shared, cg, entry);
      const ids = new Set(s.container_ids.map(normalizeContainerId).filter((c): c is string => c !== null));
      for (const c of ids) push(this.containers, containerIdKey(c), { container_id: c, entry });
      for (const p of s.pids) push(this.pids, p.pid, { start_ns: p.start_ns ?? null, entry });
      push(this.toolCalls, s.tool_call_id, entry);
    }
    this.stale = false;
    return this;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
