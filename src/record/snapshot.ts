/** @module record/snapshot: a workdir snapshot (path -> hash, size, mode, mtime) with contents in a BlobStore. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BlobStore } from './snapshot-blob-store.js';
import { sha256Bytes } from './snapshot-blob-store.js';
import { compileIgnore } from './snapshot-glob.js';

export interface SnapshotFile {
  /** sha256 of the content (of the link target text for a symlink); null above `maxHashBytes`. */
  sha256: string | null;
  size: number;
  /** st_mode: file type and permission bits. */
  mode: number;
  mtime_ns: bigint;
  /** The content is in the blob store (false above `maxFileBytes`). */
  stored: boolean;
  /** Symlinks are recorded, never followed (a link to /etc/shadow must not be read). */
  link_target?: string;
}

export interface Snapshot {
  root: string;
  /** Keyed by posix path relative to root. */
  files: Record<string, SnapshotFile>;
  /** maxFiles was reached: files past it (in sorted walk order) are missing. */
  truncated: boolean;
  /** Entries that could not be read (permission, vanished mid-walk with another error). */
  errors: Array<{ path: string; code: string }>;
}

export interface SnapshotOptions {
  /** gitignore-style patterns (see compileIgnore). Default: .git/, node_modules/, .agentprov/ */
  ignore?: readonly string[];
  /** Contents up to this size are stored. Default 1 MiB. */
  maxFileBytes?: number;
  /** Files up to this size are hashed even when not stored. Default 64 MiB. */
  maxHashBytes?: number;
  maxFiles?: number;
}

export const DEFAULT_SNAPSHOT_IGNORE = ['.git/', 'node_modules/', '.agentprov/'];

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Walks `dir` in sorted order (so truncation is deterministic) and records every regular file and symlink.
 * Devices, fifos and sockets are skipped. Blobs already in the store are not written again.
 */
export async function snapshotDir(dir: string, opts: SnapshotOptions, store: BlobStore): Promise<Snapshot> {
  const root = resolve(dir);
  const ignored = compileIgnore(opts.ignore ?? DEFAULT_SNAPSHOT_IGNORE);
  const maxFileBytes = opts.maxFileBytes ?? 1024 * 1024;
  const maxHashBytes = Math.max(opts.maxHashBytes ?? 64 * 1024 * 1024, maxFileBytes);
  const maxFiles = opts.maxFiles ?? 20_000;
  const snap: Snapshot = { root, files: {}, truncated: false, errors: [] };
  let count = 0;

  const store1 = async (bytes: Uint8Array): Promise<string> => {
    const hash = sha256Bytes(bytes);
    if (!(await store.has(hash))) await store.put(bytes);
    return hash;
  };

  const walk = async (abs: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(abs)).sort(byCodePoint);
    } catch (err) {
      snap.errors.push({ path: rel || '.', code: (err as NodeJS.ErrnoException).code ?? 'EIO' });
      return;
    }
    for (const name of names) {
      if (snap.truncated) return;
      const childAbs = join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      try {
        const st = await lstat(childAbs, { bigint: true });
        const type = Number(st.mode) & S_IFMT;
        if (ignored(childRel, type === S_IFDIR)) continue;
        if (type === S_IFDIR) {
          await walk(childAbs, childRel);
          continue;
        }
        if (type !== S_IFREG && type !== S_IFLNK) continue;
        if (count >= maxFiles) {
          snap.truncated = true;
          return;
        }
        const base = { mode: Number(st.mode), mtime_ns: st.mtimeNs };
        if (type === S_IFLNK) {
          const target = await readlink(childAbs);
          const bytes = Buffer.from(target);
          snap.files[childRel] = { ...base, sha256: await store1(bytes), size: bytes.length, stored: true, link_target: target };
        } else if (st.size <= BigInt(maxFileBytes)) {
          const bytes = await readFile(childAbs);
          // The size read wins over lstat's: the file may have changed in between.
          snap.files[childRel] = { ...base, sha256: await store1(bytes), size: bytes.length, stored: true };
        } else {
          const sha256 = st.size <= BigInt(maxHashBytes) ? await hashFile(childAbs) : null;
          snap.files[childRel] = { ...base, sha256, size: Number(st.size), stored: false };
        }
        count++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        if (code !== 'ENOENT') snap.errors.push({ path: childRel, code }); // deleted mid-walk: simply absent
      }
    }
  };

  await walk(root, '');
  return snap;
}
