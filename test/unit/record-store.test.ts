/** Migration 004's tables through the real SQLite store, and the documented exit codes of `record`. */
import { describe, expect, it } from 'vitest';
import {
  fileChangesOfRun,
  orphansOfRun,
  putFileChanges,
  putOrphans,
  putRecordCapture,
  putSnapshot,
  recordCapturesOfRun,
  snapshotsOfRun,
  type FileChangeRecord,
  type RecordCapture,
} from '../../src/store/index.js';
import { RECORD_EXIT, recordOutcome } from '../../src/record/index.js';
import { freshStoreEachTest } from '../helpers/store.js';

// Past 2^53: ns times must come back exact, never through a JS number.
const BIG = 1_795_000_000_123_456_789n;

const capture: RecordCapture = {
  binding_id: 'b1',
  run_id: 'r1',
  tool_call_id: 'tc-1',
  capture: 'proc_poll',
  capture_reason: '/proc polling fallback: not root',
  cgroup: 'none',
  cgroup_reason: 'cannot create cgroups',
  cgroup_id: null,
  cgroup_path: null,
  enforce: false,
  command: ['sh', '-c', 'true'],
  workdir: '/w',
  root_pid: 42,
  started_at_ns: BIG,
  ended_at_ns: BIG + 5n,
  outcome: 'exited',
  exit_code: 0,
  signal: null,
  agentprov_exit: 0,
  orphans: 1,
  events: 3,
};

const change: FileChangeRecord = {
  binding_id: 'b1',
  run_id: 'r1',
  tool_call_id: 'tc-1',
  path: 'src/a.ts',
  abs_path: '/w/src/a.ts',
  change: 'modified',
  before_sha256: 'a'.repeat(64),
  after_sha256: 'b'.repeat(64),
  before_size: 1,
  after_size: 2,
  before_mode: 0o100644,
  after_mode: 0o100644,
  content_changed: true,
  diff: '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1 @@\n-a\n+b\n',
  added_lines: 1,
  removed_lines: 1,
  writers: [{ pid: 7, process_start_ns: '9', comm: 'sh', exe: '/bin/sh', tool_call_id: 'tc-1', match: 'exact', event_ids: ['e1'], event_types: ['file_open'] }],
  time_ns: BIG + 4n,
};

describe('record tables (migration 004)', () => {
  const fresh = freshStoreEachTest();

  it('round-trips captures, snapshots, file changes and orphans with exact ns times', () => {
    const { store } = fresh;
    putRecordCapture(store.db, capture);
    putRecordCapture(store.db, { ...capture, outcome: 'timeout', agentprov_exit: 71 }); // same binding: replaced
    expect(recordCapturesOfRun(store.db, 'r1')).toEqual([{ ...capture, outcome: 'timeout', agentprov_exit: 71 }]);

    const id = putSnapshot(store.db, {
      binding_id: 'b1',
      run_id: 'r1',
      phase: 'before',
      taken_at_ns: BIG,
      snapshot: { root: '/w', files: { 'a.txt': { sha256: 'c'.repeat(64), size: 1, mode: 0o100644, mtime_ns: BIG, stored: true } }, truncated: false, errors: [] },
    });
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshotsOfRun(store.db, 'r1')).toEqual([
      { snapshot_id: id, binding_id: 'b1', run_id: 'r1', phase: 'before', root: '/w', taken_at_ns: BIG, files: 1, truncated: false },
    ]);

    putFileChanges(store.db, [change, change]);
    const changes = fileChangesOfRun(store.db, 'r1');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ ...change, change_id: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fileChangesOfRun(store.db, 'r1', '/w/src/a.ts')).toHaveLength(1);
    expect(fileChangesOfRun(store.db, 'r1', 'src/a.ts')).toHaveLength(1);
    expect(fileChangesOfRun(store.db, 'r1', 'other')).toHaveLength(0);

    putOrphans(store.db, [
      { binding_id: 'b1', run_id: 'r1', tool_call_id: 'tc-1', pid: 99, start_ns: BIG, ppid: 1, exe: '/usr/bin/sleep', argv: ['sleep', '30'], seen_at_ns: BIG + 1n, fate: 'killed' },
      { binding_id: 'b1', run_id: 'r1', tool_call_id: 'tc-1', pid: 100, start_ns: null, ppid: null, exe: null, argv: [], seen_at_ns: BIG + 2n, fate: 'left_running' },
    ]);
    expect(orphansOfRun(store.db, 'r1')).toEqual([
      { binding_id: 'b1', run_id: 'r1', tool_call_id: 'tc-1', pid: 99, start_ns: BIG, ppid: 1, exe: '/usr/bin/sleep', argv: ['sleep', '30'], seen_at_ns: BIG + 1n, fate: 'killed' },
      { binding_id: 'b1', run_id: 'r1', tool_call_id: 'tc-1', pid: 100, start_ns: null, ppid: null, exe: null, argv: [], seen_at_ns: BIG + 2n, fate: 'left_running' },
    ]);
  });
});

describe('record exit codes', () => {
  const none = { enforced: null, timedOut: false, interrupted: false, code: 0, signal: null } as const;
  it("passes the command's own exit through, 128+N for a signal nobody in agentprov sent", () => {
    expect(recordOutcome({ ...none, code: 3 })).toEqual({ outcome: 'exited', exit: 3 });
    expect(recordOutcome({ ...none, code: null, signal: 'SIGTERM' })).toEqual({ outcome: 'signaled', exit: 143 });
  });
  it('uses its own distinct codes when agentprov ended the command, policy first', () => {
    expect(RECORD_EXIT).toEqual({ KILLED_BY_POLICY: 70, TIMEOUT: 71, QUARANTINED: 72, INTERRUPTED: 130 });
    expect(recordOutcome({ ...none, code: null, signal: 'SIGKILL', enforced: 'kill' })).toEqual({ outcome: 'killed_by_policy', exit: 70 });
    expect(recordOutcome({ ...none, code: null, signal: 'SIGKILL', timedOut: true })).toEqual({ outcome: 'timeout', exit: 71 });
    expect(recordOutcome({ ...none, enforced: 'quarantine', timedOut: true })).toEqual({ outcome: 'quarantined', exit: 72 });
    expect(recordOutcome({ ...none, code: null, signal: 'SIGKILL', interrupted: true })).toEqual({ outcome: 'interrupted', exit: 130 });
  });
});
