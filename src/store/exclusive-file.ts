/**
 * @module store/exclusive-file: creates a file in the data dir that racing processes may all try to create
 * (a signing key, its public half). The content goes to a private temporary file first, which is then
 * hard-linked into place: link(2) fails with EEXIST if the name exists, so exactly one writer wins, and a
 * reader never sees a half-written file (a plain O_EXCL create is visible, empty, before its write lands).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

function tempPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Writes `content` at `path` unless it exists; true if this call created it. Other errors are thrown. */
export function createFileExclusive(path: string, content: string, mode: number): boolean {
  const tmp = tempPath(path);
  try {
    writeFileSync(tmp, content, { flag: 'wx', mode });
    chmodSync(tmp, mode); // the umask may have narrowed it: make it exact
    try {
      linkSync(tmp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    removeQuietly(tmp);
  }
}

/** Writes `content` at `path`, replacing it whole (rename is atomic): readers see the old or the new file. */
export function replaceFileAtomic(path: string, content: string, mode: number): void {
  const tmp = tempPath(path);
  try {
    writeFileSync(tmp, content, { flag: 'wx', mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } finally {
    removeQuietly(tmp);
  }
}
