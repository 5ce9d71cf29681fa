import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  compileIgnore,
  diffChange,
  diffSnapshots,
  FsBlobStore,
  MemoryBlobStore,
  snapshotDir,
} from '../../src/record/index.js';

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const base = mkdtempSync(join(tmpdir(), 'ap-snap-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
let work = '';
beforeEach(() => {
  work = join(base, `w${n++}`);
  mkdirSync(join(work, 'src/deep'), { recursive: true });
  mkdirSync(join(work, '.git'));
  mkdirSync(join(work, 'node_modules/pkg'), { recursive: true });
  writeFileSync(join(work, 'README.md'), 'hello\n');
  writeFileSync(join(work, 'src/main.ts'), 'export const a = 1;\n');
  writeFileSync(join(work, 'src/deep/big.bin'), Buffer.alloc(5000, 7));
  writeFileSync(join(work, '.git/config'), '[core]\n');
  writeFileSync(join(work, 'node_modules/pkg/index.js'), 'module.exports = 1;\n');
  symlinkSync('/nonexistent/agentprov-secret', join(work, 'host-link'));
});

describe('snapshotDir', () => {
  it('records files with hashes, stores small ones and skips the default ignores', async () => {
    const store = new MemoryBlobStore();
    const snap = await snapshotDir(work, { maxFileBytes: 1000 }, store);
    expect(Object.keys(snap.files)).toEqual(['README.md', 'host-link', 'src/deep/big.bin', 'src/main.ts']);
    expect(snap.files['README.md']).toMatchObject({ sha256: sha('hello\n'), size: 6, stored: true });
    expect(new TextDecoder().decode(store.get(sha('hello\n'))!)).toBe('hello\n');
    // Over the storage cap: hashed, not stored.
    expect(snap.files['src/deep/big.bin']).toMatchObject({ sha256: sha(Buffer.alloc(5000, 7)), size: 5000, stored: false });
    expect(store.has(sha(Buffer.alloc(5000, 7)))).toBe(false);
    // The symlink is recorded, not followed.
    expect(snap.files['host-link']).toMatchObject({ link_target: '/nonexistent/agentprov-secret', sha256: sha('/nonexistent/agentprov-secret') });
    expect(typeof snap.files['src/main.ts']!.mtime_ns).toBe('bigint');
    expect(snap.truncated).toBe(false);
  });

  it('leaves the hash out above maxHashBytes', async () => {
    const snap = await snapshotDir(work, { maxFileBytes: 100, maxHashBytes: 1000 }, new MemoryBlobStore());
    expect(snap.files['src/deep/big.bin']).toMatchObject({ sha256: null, size: 5000, stored: false });
  });

  it('stops at maxFiles in sorted order and says it is truncated', async () => {
    const snap = await snapshotDir(work, { maxFiles: 2 }, new MemoryBlobStore());
    expect(Object.keys(snap.files)).toEqual(['README.md', 'host-link']);
    expect(snap.truncated).toBe(true);
  });

  it('applies custom ignore patterns', async () => {
    writeFileSync(join(work, 'debug.log'), 'x');
    const snap = await snapshotDir(work, { ignore: ['*.log', '/src/deep/', 'node_modules/'] }, new MemoryBlobStore());
    expect(Object.keys(snap.files)).toEqual(['.git/config', 'README.md', 'host-link', 'src/main.ts']);
  });
});

describe('diffSnapshots', () => {
  it('lists created, modified (content or mode) and deleted files, and diffs them from the store', async () => {
    const store = new FsBlobStore(join(base, `store${n}`));
    const before = await snapshotDir(work, { maxFileBytes: 1000 }, store);
    writeFileSync(join(work, 'src/main.ts'), 'export const a = 2;\n');
    unlinkSync(join(work, 'README.md'));
    writeFileSync(join(work, 'new.txt'), 'new\n');
    chmodSync(join(work, 'src/deep/big.bin'), 0o755);
    writeFileSync(join(work, '.git/config'), 'ignored change\n');
    const after = await snapshotDir(work, { maxFileBytes: 1000 }, store);

    const diff = diffSnapshots(before, after);
    expect(diff.created.map((c) => c.path)).toEqual(['new.txt']);
    expect(diff.deleted.map((c) => c.path)).toEqual(['README.md']);
    expect(diff.modified.map((c) => [c.path, c.content_changed])).toEqual([
      ['src/deep/big.bin', false],
      ['src/main.ts', true],
    ]);
    expect(diff.incomplete).toBe(false);

    const main = diff.modified.find((c) => c.path === 'src/main.ts')!;
    expect(await diffChange(main, store)).toBe(
      '--- a/src/main.ts\n+++ b/src/main.ts\n@@ -1 +1 @@\n-export const a = 1;\n+export const a = 2;\n',
    );
    expect(await diffChange(diff.created[0]!, store)).toContain('--- /dev/null\n+++ b/new.txt\n');
    const big = diff.modified.find((c) => c.path === 'src/deep/big.bin')!;
    expect(await diffChange(big, store)).toBe('Content of src/deep/big.bin not stored (5000 bytes -> 5000 bytes)\n');
  });

  it('flags a diff against a truncated snapshot as incomplete', async () => {
    const store = new MemoryBlobStore();
    const diff = diffSnapshots(await snapshotDir(work, {}, store), await snapshotDir(work, { maxFiles: 1 }, store));
    expect(diff.incomplete).toBe(true);
  });
});

describe('FsBlobStore', () => {
  it('writes blobs to blobs/ab/cdef... without leaving temp files, and refuses a tampered blob', () => {
    const dir = join(base, 'fs-store');
    const store = new FsBlobStore(dir);
    const hash = store.put(Buffer.from('content'));
    expect(hash).toBe(sha('content'));
    expect(store.put(Buffer.from('content'))).toBe(hash);
    expect(readdirSync(join(dir, 'blobs', hash.slice(0, 2)))).toEqual([hash.slice(2)]);
    expect(store.has(hash)).toBe(true);
    expect(Buffer.from(store.get(hash)!).toString()).toBe('content');
    expect(store.get(sha('other'))).toBeNull();
    chmodSync(store.pathOf(hash), 0o644);
    writeFileSync(store.pathOf(hash), 'tampered');
    expect(() => store.get(hash)).toThrow(/does not hash to its name/);
  });
});

describe('compileIgnore', () => {
  it('matches names at any depth, anchored paths, ** and directory-only patterns', () => {
    const ignored = compileIgnore(['.git/', '*.pyc', '/dist', 'docs/**/*.md', '# comment', 'tmp?']);
    expect(ignored('a/b/.git', true)).toBe(true);
    expect(ignored('a/b/.git', false)).toBe(false);
    expect(ignored('x/y/m.pyc', false)).toBe(true);
    expect(ignored('dist', true)).toBe(true);
    expect(ignored('src/dist', true)).toBe(false);
    expect(ignored('docs/a/b/c.md', false)).toBe(true);
    expect(ignored('docs/c.md', false)).toBe(true);
    expect(ignored('src/c.md', false)).toBe(false);
    expect(ignored('tmp1', false)).toBe(true);
    expect(ignored('tmp12', false)).toBe(false);
  });
});
