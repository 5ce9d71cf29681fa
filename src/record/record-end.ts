/**
 * @module record/record-end: closing a recorded tool call, in an order that loses nothing: flush the capture,
 * list the processes that outlived the command, kill them (unless asked to keep them), flush their exits,
 * snapshot the workdir again, close the scope's window, store the record and re-derive the run's DAG.
 */
import type { ToolCallScope } from '../model/index.js';
import { killCgroup, pollUntil, readProcStat, removeLeaf, waitEmpty } from '../host/index.js';
import {
  type FileChangeRecord,
  type OrphanRecord,
  type RecordCapture,
  type RecordOutcome,
} from '../store/index.js';
import { fileChanges, snapshotOptionsFor, takeSnapshot } from './record-files.js';
import { killTree, orphansInBook, orphansInLeaf, type LiveOrphan } from './record-processes.js';
import type { ActiveToolCall } from './record-registry.js';
import type { RecordSession } from './record-session.js';

/** The events that can change a file (file attribution reads no other). */
const FILE_EVENT_TYPES = ['file_open', 'file_rename', 'file_unlink'] as const;

export interface EndResult {
  outcome: RecordOutcome;
  exit_code: number | null;
  signal: string | null;
  /** Leave processes that outlived the command running (and the leaf in place). */
  keepRunning?: boolean;
  /** The exit code `agentprov record` will give, kept with the capture record. */
  agentprovExit?: number | null;
}

export interface ToolCallRecord {
  scope: ToolCallScope & { binding_id: string };
  capture: RecordCapture;
  orphans: OrphanRecord[];
  changes: FileChangeRecord[];
}

async function killOrphans(tc: ActiveToolCall, orphans: LiveOrphan[]): Promise<boolean> {
  if (tc.leaf) {
    await killCgroup(tc.leaf);
    return waitEmpty(tc.leaf, 3000);
  }
  killTree(tc.pgids[0] ?? null, orphans.map((o) => o.pid));
  return pollUntil(() => orphans.every((o) => readProcStat(o.pid) === null || readProcStat(o.pid)?.state === 'Z'), {
    timeoutMs: 3000,
    intervalMs: 10,
  });
}

export async function endToolCall(
  session: RecordSession,
  tc: ActiveToolCall,
  result: EndResult,
  forget: () => void,
): Promise<ToolCallRecord> {
  if (tc.ended) throw new Error(`tool call ${tc.spec.tool_call_id} has already ended`);
  tc.ended = true;
  const binding = tc.scope.binding_id;
  await session.capture.flush();
  session.flushStore();
  const rootPid = tc.rootPids[0] ?? null;
  const found = tc.leaf
    ? orphansInLeaf(tc.leaf, tc.book, rootPid)
    : orphansInBook(tc.book, tc.rootPids, session.capture.kind === 'proc_poll', tc.pgids);
  // Processes the app bound with bindPid are its own: listed, never killed here.
  const live = found.filter((o) => !tc.boundPids.includes(o.pid));
  const foreign = found.filter((o) => tc.boundPids.includes(o.pid));
  const seenAt = session.now();
  let fate: OrphanRecord['fate'] = 'left_running';
  if (!result.keepRunning && (live.length > 0 || tc.enforced === 'quarantine')) {
    fate = (await killOrphans(tc, live)) ? 'killed' : 'left_running';
    await session.capture.flush();
    session.flushStore();
  }
  session.capture.unwatch(binding);
  for (const pid of [...tc.rootPids, ...tc.boundPids]) session.capture.unwatch(`${binding}:${pid}`);

  const ids = { binding_id: binding, run_id: tc.scope.run_id, tool_call_id: tc.scope.tool_call_id };
  let changes: FileChangeRecord[] = [];
  let after = null;
  const afterNs = session.now();
  if (tc.before && tc.spec.workdir) {
    after = await takeSnapshot(tc.spec.workdir, snapshotOptionsFor(tc.spec.workdir, session.store.dataDir, tc.spec.snapshot), session.blobs);
    const toolCallOf = new Map<string, string | null>();
    changes = await fileChanges({
      before: tc.before,
      after,
      workdir: tc.spec.workdir,
      events: () => {
        // the writes kept as they were judged, unless the store may now attribute otherwise (record/file-touches)
        const owned = tc.fileTouches.current(...session.touchCounters) ?? session.store.query.eventsOfBinding(binding, { types: FILE_EVENT_TYPES });
        for (const o of owned) toolCallOf.set(o.event.event_id!, o.tool_call_id);
        return owned.map((o) => o.event);
      },
      toolCallOf: (id) => toolCallOf.get(id) ?? null,
      exeOf: (pid, start) => {
        const p = tc.book.byPid(pid);
        return p && (start === null || p.start_ns === null || p.start_ns === start) ? p.exe : null;
      },
      blobs: session.blobs,
      ids,
      time_ns: afterNs,
    });
  }

  const endedNs = session.now();
  tc.scope = session.engine.bind({ ...tc.scope, ended_at_ns: endedNs }).scope as ToolCallScope & { binding_id: string };
  const orphans: OrphanRecord[] = [
    ...live.map((o) => ({ ...ids, ...o, argv: session.redactArgv(o.argv), seen_at_ns: seenAt, fate: result.keepRunning ? ('left_running' as const) : fate })),
    ...foreign.map((o) => ({ ...ids, ...o, argv: session.redactArgv(o.argv), seen_at_ns: seenAt, fate: 'left_running' as const })),
  ];
  const capture: RecordCapture = {
    ...ids,
    capture: session.capture.kind,
    capture_reason: session.capture.reason,
    cgroup: tc.leaf ? 'v2' : 'none',
    cgroup_reason: tc.cgroupReason,
    cgroup_id: tc.leaf?.id ?? null,
    cgroup_path: tc.leaf?.cgroupPath ?? null,
    enforce: session.enforce,
    command: tc.spec.command ?? null,
    workdir: tc.spec.workdir ?? null,
    root_pid: rootPid,
    started_at_ns: tc.scope.started_at_ns,
    ended_at_ns: endedNs,
    outcome: result.outcome,
    exit_code: result.exit_code,
    signal: result.signal,
    agentprov_exit: result.agentprovExit ?? null,
    orphans: orphans.length,
    events: session.store.query.countEventsOfBinding(binding),
  };
  session.store.putRecordEnd({
    capture,
    orphans,
    changes,
    before: tc.before ? { taken_at_ns: tc.scope.started_at_ns, snapshot: tc.before } : null,
    after: after ? { taken_at_ns: afterNs, snapshot: after } : null,
  });
  session.engine.rebuildDirtyRuns();
  forget();
  if (tc.leaf && !result.keepRunning) await removeLeaf(tc.leaf).catch(() => undefined);
  return { scope: tc.scope, capture, orphans, changes };
}
