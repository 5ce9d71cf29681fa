/**
 * @module store/record-queries: the tables of migration 004 (record captures, workdir snapshots, file changes,
 * orphans). Rows keep a canonical JSON body; the columns are what queries filter on.
 */
import { contentHash } from '../graph/index.js';
import type { Db } from './open-database.js';
import { decodeEvent, encodeBody } from './codec.js';
import { sealRow, type LedgerAppend } from './row-seal.js';
import { BINDING_KINDS, bodiesOf, ROW_COLS, selectRows } from './event-rows.js';
import { StringIds } from './string-ids.js';
import type { RuntimeEvent } from '../model/index.js';

export type CaptureKind = 'ebpf' | 'proc_poll';
export type RecordOutcome =
  | 'running'
  | 'exited'
  | 'signaled'
  | 'killed_by_policy'
  | 'quarantined'
  | 'timeout'
  | 'interrupted'
  | 'ended';

/** How one tool call was watched and how it ended. */
export interface RecordCapture {
  binding_id: string;
  run_id: string;
  tool_call_id: string;
  capture: CaptureKind;
  capture_reason: string;
  cgroup: 'v2' | 'none';
  cgroup_reason: string;
  cgroup_id: string | null;
  cgroup_path: string | null;
  enforce: boolean;
  command: string[] | null;
  workdir: string | null;
  root_pid: number | null;
  started_at_ns: bigint;
  ended_at_ns: bigint | null;
  outcome: RecordOutcome;
  exit_code: number | null;
  signal: string | null;
  /** The exit code `agentprov record` gave (the command's, or a documented agentprov code). */
  agentprov_exit: number | null;
  orphans: number;
  events: number;
}

export interface FileWriter {
  pid: number;
  process_start_ns: string | null;
  comm: string | null;
  exe: string | null;
  tool_call_id: string | null;
  /** exact: the event's absolute path; cwd_relative: a relative path resolved against the workdir; basename: only the name matched. */
  match: 'exact' | 'cwd_relative' | 'basename';
  event_ids: string[];
  event_types: string[];
}

export interface FileChangeRecord {
  binding_id: string;
  run_id: string;
  tool_call_id: string;
  path: string;
  abs_path: string;
  change: 'created' | 'modified' | 'deleted';
  before_sha256: string | null;
  after_sha256: string | null;
  before_size: number | null;
  after_size: number | null;
  before_mode: number | null;
  after_mode: number | null;
  content_changed: boolean;
  /** Unified diff (capped), or a note when a side's content was not stored. */
  diff: string;
  added_lines: number;
  removed_lines: number;
  writers: FileWriter[];
  time_ns: bigint;
}

export interface OrphanRecord {
  binding_id: string;
  run_id: string;
  tool_call_id: string;
  pid: number;
  start_ns: bigint | null;
  ppid: number | null;
  exe: string | null;
  argv: string[];
  seen_at_ns: bigint;
  fate: 'killed' | 'left_running' | 'exited';
}

export interface SnapshotRow {
  snapshot_id: string;
  binding_id: string;
  run_id: string;
  phase: 'before' | 'after';
  root: string;
  taken_at_ns: bigint;
  files: number;
  truncated: boolean;
}

const bool = (b: boolean): number => (b ? 1 : 0);

/** Writes a capture row; with `append`, seals it in the ledger (store/row-seal). */
export function putRecordCapture(db: Db, c: RecordCapture, append?: LedgerAppend): void {
  db.prepare(
    `INSERT OR REPLACE INTO record_captures (binding_id, run_id, tool_call_id, capture, capture_reason, cgroup,
       cgroup_reason, cgroup_id, cgroup_path, enforce, command, workdir, root_pid, started_at_ns, ended_at_ns, outcome,
       exit_code, signal, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  ).run(
    c.binding_id,
    c.run_id,
    c.tool_call_id,
    c.capture,
    c.capture_reason,
    c.cgroup,
    c.cgroup_reason,
    c.cgroup_id,
    c.cgroup_path,
    bool(c.enforce),
    c.command === null ? null : JSON.stringify(c.command),
    c.workdir,
    c.root_pid,
    c.started_at_ns,
    c.ended_at_ns,
    c.outcome,
    c.exit_code,
    c.signal,
    encodeBody(c),
  );
  if (append) sealRow(db, append, 'record_captures', [c.binding_id]);
}

function reviveCapture(body: string): RecordCapture {
  const c = JSON.parse(body) as RecordCapture & { started_at_ns: string; ended_at_ns: string | null };
  return { ...c, started_at_ns: BigInt(c.started_at_ns), ended_at_ns: c.ended_at_ns === null ? null : BigInt(c.ended_at_ns) };
}

export function recordCapturesOfRun(db: Db, runId: string): RecordCapture[] {
  const rows = db.prepare('SELECT body FROM record_captures WHERE run_id = ? ORDER BY started_at_ns, binding_id').all(runId);
  return (rows as { body: string }[]).map((r) => reviveCapture(r.body));
}

/** Stores a snapshot manifest (contents are in the blob store) and returns its id. */
export function putSnapshot(
  db: Db,
  s: { binding_id: string; run_id: string; phase: 'before' | 'after'; taken_at_ns: bigint; snapshot: { root: string; files: Record<string, unknown>; truncated: boolean; errors: unknown[] } },
): string {
  const body = encodeBody(s.snapshot);
  const id = contentHash({ v: 'agentprov.snapshot/v1', binding_id: s.binding_id, phase: s.phase, snapshot: s.snapshot });
  db.prepare(
    `INSERT OR REPLACE INTO record_snapshots (snapshot_id, binding_id, run_id, phase, root, taken_at_ns, files, truncated, body)
     VALUES (?,?,?,?,?,?,?,?,?)`,
  ).run(id, s.binding_id, s.run_id, s.phase, s.snapshot.root, s.taken_at_ns, Object.keys(s.snapshot.files).length, bool(s.snapshot.truncated), body);
  return id;
}

export function snapshotsOfRun(db: Db, runId: string): SnapshotRow[] {
  // safeIntegers: ns times pass 2^53 and must come back exact.
  const rows = db
    .prepare('SELECT snapshot_id, binding_id, run_id, phase, root, taken_at_ns, files, truncated FROM record_snapshots WHERE run_id = ? ORDER BY taken_at_ns')
    .safeIntegers(true)
    .all(runId) as (Omit<SnapshotRow, 'truncated' | 'files'> & { truncated: bigint; files: bigint })[];
  return rows.map((r) => ({ ...r, files: Number(r.files), truncated: r.truncated === 1n }));
}

/** The change's content address: the same change recorded twice is one row. */
export function fileChangeId(c: FileChangeRecord): string {
  return contentHash({ v: 'agentprov.file-change/v1', ...c });
}

export function putFileChanges(db: Db, changes: readonly FileChangeRecord[]): void {
  const stmt = db.prepare(
    `INSERT OR REPLACE INTO record_file_changes (change_id, binding_id, run_id, tool_call_id, path, abs_path, change,
       before_sha256, after_sha256, time_ns, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
  );
  for (const c of changes) {
    stmt.run(fileChangeId(c), c.binding_id, c.run_id, c.tool_call_id, c.path, c.abs_path, c.change, c.before_sha256, c.after_sha256, c.time_ns, encodeBody(c));
  }
}

function reviveChange(body: string): FileChangeRecord & { change_id: string } {
  const c = JSON.parse(body) as FileChangeRecord & { time_ns: string };
  const revived = { ...c, time_ns: BigInt(c.time_ns) };
  return { change_id: fileChangeId(revived), ...revived };
}

/** Changes of a run, oldest first; with `file`, only those whose relative or absolute path is it. */
export function fileChangesOfRun(db: Db, runId: string, file?: string): (FileChangeRecord & { change_id: string })[] {
  const rows = (
    file === undefined
      ? db.prepare('SELECT body FROM record_file_changes WHERE run_id = ? ORDER BY time_ns, path').all(runId)
      : db
          .prepare('SELECT body FROM record_file_changes WHERE run_id = ? AND (path = ? OR abs_path = ?) ORDER BY time_ns, path')
          .all(runId, file, file)
  ) as { body: string }[];
  return rows.map((r) => reviveChange(r.body));
}

/** Writes orphan rows; with `append`, seals each in the ledger (store/row-seal). */
export function putOrphans(db: Db, orphans: readonly OrphanRecord[], append?: LedgerAppend): void {
  const stmt = db.prepare(
    `INSERT OR REPLACE INTO record_orphans (binding_id, run_id, tool_call_id, pid, start_ns, ppid, exe, argv, seen_at_ns, fate)
     VALUES (?,?,?,?,?,?,?,?,?,?)`,
  );
  for (const o of orphans) {
    stmt.run(o.binding_id, o.run_id, o.tool_call_id, o.pid, o.start_ns ?? 0n, o.ppid, o.exe, JSON.stringify(o.argv), o.seen_at_ns, o.fate);
    if (append) sealRow(db, append, 'record_orphans', [o.binding_id, o.pid, o.start_ns ?? 0n]);
  }
}

export function orphansOfRun(db: Db, runId: string): OrphanRecord[] {
  const rows = db
    .prepare('SELECT * FROM record_orphans WHERE run_id = ? ORDER BY seen_at_ns, pid')
    .safeIntegers(true)
    .all(runId) as (Omit<OrphanRecord, 'argv' | 'pid' | 'ppid'> & { argv: string; pid: bigint; ppid: bigint | null; start_ns: bigint; ledger_seq: bigint })[];
  // ledger_seq is the row's seal (store/row-seal), not part of the record
  return rows.map(({ ledger_seq: _seal, ...r }) => ({
    ...r,
    pid: Number(r.pid),
    ppid: r.ppid === null ? null : Number(r.ppid),
    argv: JSON.parse(r.argv) as string[],
    start_ns: r.start_ns === 0n ? null : r.start_ns,
  }));
}

/** The events a binding owns (by its current correlation), oldest first, with the tool call of each. */
export function eventsOfBinding(
  db: Db,
  bindingId: string,
  opts: { types?: readonly string[] } = {},
): { event: RuntimeEvent; tool_call_id: string | null }[] {
  const types = opts.types ?? [];
  const strings = new StringIds(db);
  const typeIds = types.flatMap((t) => strings.existingId(t) ?? []);
  if (types.length > 0 && typeIds.length === 0) return [];
  const only = types.length > 0 ? `AND e.type IN (${typeIds.join(',')})` : '';
  const rows = selectRows(db, `SELECT ${ROW_COLS} FROM event_rows e WHERE e.kind IN (${BINDING_KINDS()}) ${only} ORDER BY e.time_ns, e.key`, bindingId);
  const toolCall = new Map(
    (db.prepare('SELECT id, tool_call_id FROM correlation_kinds WHERE binding_id = ?').all(bindingId) as { id: number; tool_call_id: string | null }[]).map(
      (k) => [k.id, k.tool_call_id],
    ),
  );
  const out: { event: RuntimeEvent; tool_call_id: string | null }[] = [];
  bodiesOf(db, rows).forEach((body, i) => {
    if (body !== undefined) out.push({ event: decodeEvent(body), tool_call_id: toolCall.get((rows[i] as { kind: number }).kind) ?? null });
  });
  return out;
}

/** How many processes (pid and start) a binding's events came from. */
export function processCountOfBinding(db: Db, bindingId: string): number {
  return (
    db
      .prepare(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT e.pid, e.process_start_ns FROM event_rows e WHERE e.kind IN (${BINDING_KINDS()}))`)
      .get(bindingId) as { n: number }
  ).n;
}

export function countEventsOfBinding(db: Db, bindingId: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM event_rows e WHERE e.kind IN (${BINDING_KINDS()})`).get(bindingId) as { n: number }).n;
}

/** How many of a binding's events each correlation tier attributed. */
export function tierCountsOfBinding(db: Db, bindingId: string): { tier: string; n: number }[] {
  return db
    .prepare(
      `SELECT k.tier AS tier, COUNT(*) AS n FROM event_rows e JOIN correlation_kinds k ON k.id = e.kind
       WHERE k.binding_id = ? GROUP BY k.tier`,
    )
    .all(bindingId) as { tier: string; n: number }[];
}

type SnapshotBody = Parameters<typeof putSnapshot>[1]['snapshot'];

/** What closing one recorded tool call stores (store/evidence-store `putRecordEnd`). */
export interface RecordEnd {
  capture: RecordCapture;
  orphans: readonly OrphanRecord[];
  changes: readonly FileChangeRecord[];
  before: { taken_at_ns: bigint; snapshot: SnapshotBody } | null;
  after: { taken_at_ns: bigint; snapshot: SnapshotBody } | null;
}

/** Writes a tool call's record (capture and orphans sealed through `append`); the caller holds the transaction. */
export function writeRecordEnd(db: Db, end: RecordEnd, append: LedgerAppend): void {
  const ids = { binding_id: end.capture.binding_id, run_id: end.capture.run_id };
  putRecordCapture(db, end.capture, append);
  putOrphans(db, end.orphans, append);
  putFileChanges(db, end.changes);
  if (end.before) putSnapshot(db, { ...ids, phase: 'before', ...end.before });
  if (end.after) putSnapshot(db, { ...ids, phase: 'after', ...end.after });
}
