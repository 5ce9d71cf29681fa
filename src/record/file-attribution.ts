/**
 * @module record/file-attribution: links each file a tool call changed (from the before/after snapshots) to
 * the processes whose write, rename or unlink events touched it. Pure: events and paths come in as data.
 *
 * Kernel events carry the path as the process passed it, so a relative path is resolved against the
 * workdir (where the command started); a process that changed directory first is matched only by name,
 * and the writer says which of these matches it is.
 */
import { posix } from 'node:path';
import { opensForWrite, type RuntimeEvent } from '../model/index.js';
import type { FileWriter } from '../store/index.js';
import type { SnapshotChange, SnapshotDiff } from './snapshot-diff.js';


export interface AttributionInput {
  diff: SnapshotDiff;
  /** The snapshot root: change paths are relative to it. */
  root: string;
  /** Where the command started: relative event paths are resolved against it. */
  workdir: string;
  events: readonly RuntimeEvent[];
  /** event_id -> tool call the event is attributed to. */
  toolCallOf?: (eventId: string) => string | null;
  /** The executable of a process, when the file events themselves do not carry it (kernel opens do not). */
  exeOf?: (pid: number, startNs: bigint | null) => string | null;
}

export interface AttributedChange {
  kind: 'created' | 'modified' | 'deleted';
  change: SnapshotChange;
  abs_path: string;
  writers: FileWriter[];
}

/** The paths a mutating event names: an open for writing, both ends of a rename, an unlink. */
export function mutatedPaths(e: RuntimeEvent): string[] {
  if ((e.result ?? 0) < 0) return []; // the syscall failed: nothing was changed
  if (e.type === 'file_open') return opensForWrite(e.open_flags) && e.path ? [e.path] : [];
  if (e.type === 'file_rename') return [e.path, e.new_path].filter((p): p is string => typeof p === 'string' && p !== '');
  if (e.type === 'file_unlink') return e.path ? [e.path] : [];
  return [];
}

interface Touch {
  event: RuntimeEvent;
  match: FileWriter['match'];
}

export function attributeChanges(input: AttributionInput): AttributedChange[] {
  const exact = new Map<string, Touch[]>();
  const byName = new Map<string, Touch[]>();
  const push = (map: Map<string, Touch[]>, key: string, t: Touch) => (map.get(key) ?? map.set(key, []).get(key)!).push(t);
  for (const e of input.events) {
    for (const p of mutatedPaths(e)) {
      const abs = p.startsWith('/') ? posix.normalize(p) : posix.join(e.cwd ?? input.workdir, p);
      push(exact, abs, { event: e, match: p.startsWith('/') ? 'exact' : 'cwd_relative' });
      push(byName, posix.basename(p), { event: e, match: 'basename' });
    }
  }
  const out: AttributedChange[] = [];
  const kinds = [
    ['created', input.diff.created],
    ['modified', input.diff.modified],
    ['deleted', input.diff.deleted],
  ] as const;
  for (const [kind, changes] of kinds) {
    for (const change of changes) {
      const abs = posix.join(input.root, change.path);
      const touches = exact.get(abs) ?? byName.get(posix.basename(change.path)) ?? [];
      out.push({ kind, change, abs_path: abs, writers: groupWriters(touches, input) });
    }
  }
  return out;
}

function groupWriters(touches: readonly Touch[], input: AttributionInput): FileWriter[] {
  const byProc = new Map<string, FileWriter>();
  const sorted = [...touches].sort((a, b) => (a.event.time_ns < b.event.time_ns ? -1 : a.event.time_ns > b.event.time_ns ? 1 : 0));
  for (const { event: e, match } of sorted) {
    const key = `${e.pid ?? '?'}@${e.process_start_ns ?? '?'}`;
    let w = byProc.get(key);
    if (w === undefined) {
      w = {
        pid: e.pid ?? 0,
        process_start_ns: e.process_start_ns == null ? null : e.process_start_ns.toString(),
        comm: e.comm ?? null,
        exe: e.exe ?? (e.pid != null ? (input.exeOf?.(e.pid, e.process_start_ns ?? null) ?? null) : null),
        tool_call_id: e.event_id ? (input.toolCallOf?.(e.event_id) ?? null) : null,
        match,
        event_ids: [],
        event_types: [],
      };
      byProc.set(key, w);
    }
    if (e.event_id && !w.event_ids.includes(e.event_id)) w.event_ids.push(e.event_id);
    if (!w.event_types.includes(e.type)) w.event_types.push(e.type);
  }
  return [...byProc.values()];
}

/** `+added -removed` counted from a unified diff's body lines. */
export function diffStat(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  return { added, removed };
}
