/**
 * @module record/record-files: the workdir side of a recorded tool call: a snapshot before, a snapshot after,
 * and the created/modified/deleted files with their diffs and the processes that wrote them.
 */
import { resolve, relative, isAbsolute } from 'node:path';
import type { RuntimeEvent } from '../model/index.js';
import type { FileChangeRecord } from '../store/index.js';
import { attributeChanges, diffStat } from './file-attribution.js';
import { diffChange, diffSnapshots } from './snapshot-diff.js';
import { DEFAULT_SNAPSHOT_IGNORE, snapshotDir, type Snapshot, type SnapshotOptions } from './snapshot.js';
import type { BlobStore } from './snapshot-blob-store.js';

/** The default ignore list, plus the data dir when it sits inside the workdir (the store changes every run). */
export function snapshotOptionsFor(workdir: string, dataDir: string, opts: SnapshotOptions = {}): SnapshotOptions {
  const rel = relative(resolve(workdir), resolve(dataDir));
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  // The data dir is the workdir itself: leave out the store's own files.
  const own = rel === '' ? ['/evidence.db', '/evidence.db-*', '/blobs/'] : inside ? [`/${rel}/`] : [];
  const ignore = [...(opts.ignore ?? DEFAULT_SNAPSHOT_IGNORE), ...own];
  return { ...opts, ignore };
}

export function takeSnapshot(workdir: string, opts: SnapshotOptions, blobs: BlobStore): Promise<Snapshot> {
  return snapshotDir(workdir, opts, blobs);
}

export interface FileChangesInput {
  before: Snapshot;
  after: Snapshot;
  workdir: string;
  /** The tool call's file events, read only when the workdir changed (most tool calls change nothing). */
  events: () => readonly RuntimeEvent[];
  toolCallOf: (eventId: string) => string | null;
  exeOf: (pid: number, startNs: bigint | null) => string | null;
  blobs: BlobStore;
  ids: { binding_id: string; run_id: string; tool_call_id: string };
  time_ns: bigint;
}

export async function fileChanges(input: FileChangesInput): Promise<FileChangeRecord[]> {
  const diff = diffSnapshots(input.before, input.after);
  if (diff.created.length + diff.modified.length + diff.deleted.length === 0) return [];
  const attributed = attributeChanges({
    diff,
    root: input.after.root,
    workdir: resolve(input.workdir),
    events: input.events(),
    toolCallOf: input.toolCallOf,
    exeOf: input.exeOf,
  });
  const out: FileChangeRecord[] = [];
  for (const a of attributed) {
    const text = await diffChange(a.change, input.blobs);
    const stat = diffStat(text);
    out.push({
      ...input.ids,
      path: a.change.path,
      abs_path: a.abs_path,
      change: a.kind,
      before_sha256: a.change.before?.sha256 ?? null,
      after_sha256: a.change.after?.sha256 ?? null,
      before_size: a.change.before?.size ?? null,
      after_size: a.change.after?.size ?? null,
      before_mode: a.change.before?.mode ?? null,
      after_mode: a.change.after?.mode ?? null,
      content_changed: a.change.content_changed,
      diff: text,
      added_lines: stat.added,
      removed_lines: stat.removed,
      writers: a.writers,
      time_ns: input.time_ns,
    });
  }
  return out;
}
