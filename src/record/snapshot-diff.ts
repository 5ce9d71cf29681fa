/** @module record/snapshot-diff: what changed between two workdir snapshots, and the text diff of one file. */
import type { Snapshot, SnapshotFile } from './snapshot.js';
import type { BlobStore } from './snapshot-blob-store.js';
import { unifiedDiff, type UnifiedDiffOptions } from './snapshot-unified-diff.js';

export interface SnapshotChange {
  path: string;
  before: SnapshotFile | null;
  after: SnapshotFile | null;
  /** For `modified`: false when only the mode (chmod) changed. */
  content_changed: boolean;
}

export interface SnapshotDiff {
  created: SnapshotChange[];
  modified: SnapshotChange[];
  deleted: SnapshotChange[];
  /** A snapshot was truncated: a file past the cap may show up as deleted or created when it was not. */
  incomplete: boolean;
}

/** Same content: equal hashes; without a hash on either side (too big to hash), equal size and mtime. */
function sameContent(a: SnapshotFile, b: SnapshotFile): boolean {
  if (a.sha256 !== null && b.sha256 !== null) return a.sha256 === b.sha256;
  return a.size === b.size && a.mtime_ns === b.mtime_ns;
}

export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const diff: SnapshotDiff = { created: [], modified: [], deleted: [], incomplete: before.truncated || after.truncated };
  const paths = [...new Set([...Object.keys(before.files), ...Object.keys(after.files)])].sort();
  for (const path of paths) {
    const b = before.files[path] ?? null;
    const a = after.files[path] ?? null;
    if (b === null && a !== null) diff.created.push({ path, before: null, after: a, content_changed: true });
    else if (b !== null && a === null) diff.deleted.push({ path, before: b, after: null, content_changed: true });
    else if (b !== null && a !== null) {
      const content = !sameContent(b, a);
      if (content || b.mode !== a.mode) diff.modified.push({ path, before: b, after: a, content_changed: content });
    }
  }
  return diff;
}

async function contentOf(file: SnapshotFile | null, store: BlobStore): Promise<Uint8Array | null | 'missing'> {
  if (file === null) return null;
  if (!file.stored || file.sha256 === null) return 'missing';
  return (await store.get(file.sha256)) ?? 'missing';
}

/**
 * The unified diff of one change, from the blobs in `store`. A side whose content was not stored (over the
 * snapshot's size cap) gives a one-line note with the sizes instead of a diff.
 */
export async function diffChange(change: SnapshotChange, store: BlobStore, opts: UnifiedDiffOptions = {}): Promise<string> {
  const oldBytes = await contentOf(change.before, store);
  const newBytes = await contentOf(change.after, store);
  if (oldBytes === 'missing' || newBytes === 'missing') {
    const size = (f: SnapshotFile | null): string => (f === null ? 'absent' : `${f.size} bytes`);
    return `Content of ${change.path} not stored (${size(change.before)} -> ${size(change.after)})\n`;
  }
  return unifiedDiff(oldBytes, newBytes, change.path, opts);
}
