/** @module record/snapshot-blob-store: content-addressed blob storage for workdir snapshots (fs and memory). */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerifyError } from '../errors.js';

/** Where snapshot contents go. Sync or async, so a SQLite-backed store can implement it directly. */
export interface BlobStore {
  /** Stores the bytes (if not already there) and returns their sha256 in lower-case hex. */
  put(bytes: Uint8Array): string | Promise<string>;
  has(hash: string): boolean | Promise<boolean>;
  /** The bytes stored under `hash`, or null. */
  get(hash: string): Uint8Array | null | Promise<Uint8Array | null>;
}

const HASH = /^[0-9a-f]{64}$/;
export const sha256Bytes = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Blobs at `<dir>/blobs/ab/cdef...` (git's fan-out), each written to a temp file and renamed into place. */
export class FsBlobStore implements BlobStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(hash: string): string {
    if (!HASH.test(hash)) throw new TypeError(`not a sha256 hex digest: ${JSON.stringify(hash)}`);
    return join(this.dir, 'blobs', hash.slice(0, 2), hash.slice(2));
  }

  put(bytes: Uint8Array): string {
    const hash = sha256Bytes(bytes);
    const path = this.pathOf(hash);
    if (existsSync(path)) return hash;
    mkdirSync(join(this.dir, 'blobs', hash.slice(0, 2)), { recursive: true });
    // rename is atomic within a filesystem: a reader sees the whole blob or none, even if we crash mid-write.
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(tmp, bytes, { mode: 0o444 });
      renameSync(tmp, path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
      throw err;
    }
    return hash;
  }

  has(hash: string): boolean {
    return existsSync(this.pathOf(hash));
  }

  /** Reads and re-hashes the blob: a changed file on disk is a VerifyError, never silently wrong content. */
  get(hash: string): Uint8Array | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.pathOf(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (sha256Bytes(bytes) !== hash) {
      throw new VerifyError(`blob ${this.pathOf(hash)} does not hash to its name: the store was modified`, {
        objectHash: hash,
      });
    }
    return bytes;
  }
}

/** In-memory BlobStore, shipped for tests and dry runs. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>();

  put(bytes: Uint8Array): string {
    const hash = sha256Bytes(bytes);
    if (!this.blobs.has(hash)) this.blobs.set(hash, Uint8Array.from(bytes));
    return hash;
  }

  has(hash: string): boolean {
    return this.blobs.has(hash);
  }

  get(hash: string): Uint8Array | null {
    return this.blobs.get(hash) ?? null;
  }
}
