import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isBinary, splitLines, unifiedDiff } from '../../src/record/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ap-udiff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Applies `diff` to `oldText` with GNU patch, the way a user would check it. */
function applyWithPatch(oldText: string, diff: string): string {
  const file = join(tmp, 'f');
  const out = join(tmp, 'out');
  writeFileSync(file, oldText);
  execFileSync('patch', ['-s', '-o', out, file], { input: diff });
  return readFileSync(out, 'utf8');
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'f')).toBe('');
  });

  it('prints one hunk with context, in the format diff -u uses', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nB\nc\n', 'src/x.ts')).toBe(
      '--- a/src/x.ts\n+++ b/src/x.ts\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    );
  });

  it('agrees with GNU diff -u on hunk layout for a change in a long file', () => {
    const oldText = Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join('');
    const newText = oldText.replace('line 3\n', 'line three\n').replace('line 25\n', '');
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    writeFileSync(a, oldText);
    writeFileSync(b, newText);
    let gnu = '';
    try {
      execFileSync('diff', ['-u', a, b]);
    } catch (err) {
      gnu = String((err as { stdout: Buffer }).stdout);
    }
    const body = (d: string): string => d.split('\n').slice(2).join('\n');
    expect(body(unifiedDiff(oldText, newText, 'f'))).toBe(body(gnu));
  });

  it('diffs a created and a deleted file against /dev/null', () => {
    expect(unifiedDiff(null, 'x\ny\n', 'new.txt')).toBe('--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n');
    expect(unifiedDiff('x\n', null, 'old.txt')).toBe('--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n');
  });

  it('marks a missing newline at end of file', () => {
    const d = unifiedDiff('a\n', 'a', 'f');
    expect(d).toContain('-a\n+a\n\\ No newline at end of file\n');
    expect(applyWithPatch('a\n', d)).toBe('a');
  });

  it('notes binary content instead of diffing it', () => {
    const bin = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]);
    expect(unifiedDiff(bin, Uint8Array.from([0x7f, 0, 9]), 'a.out')).toBe('Binary files a/a.out and b/a.out differ\n');
    expect(unifiedDiff(bin, bin, 'a.out')).toBe('');
    expect(isBinary(Uint8Array.from([0xff, 0xfe, 0x41]))).toBe(true); // not UTF-8
    expect(isBinary(new TextEncoder().encode('héllo\n'))).toBe(false);
  });

  it('caps its output and says how much was left out', () => {
    const oldText = Array.from({ length: 2000 }, (_, i) => `old ${i}\n`).join('');
    const newText = Array.from({ length: 2000 }, (_, i) => `new ${i}\n`).join('');
    const d = unifiedDiff(oldText, newText, 'big', { maxBytes: 1000 });
    expect(d.length).toBeLessThan(1100);
    expect(d).toMatch(/\.\.\. diff truncated: \d+ more characters\n$/);
  });

  it('produces patches that GNU patch applies, minimal or past maxEdits', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const words = ['alpha', 'beta', 'gamma', 'delta', '', '}'];
    for (let round = 0; round < 40; round++) {
      const oldLines = Array.from({ length: rand(40) }, () => words[rand(words.length)]!);
      const newLines = oldLines.filter(() => rand(5) !== 0);
      for (let i = 0; i < rand(8); i++) newLines.splice(rand(newLines.length + 1), 0, words[rand(words.length)]!);
      const oldText = oldLines.join('\n') + (rand(2) ? '\n' : '');
      const newText = newLines.join('\n') + (rand(2) ? '\n' : '');
      const d = unifiedDiff(oldText, newText, 'f', { maxEdits: round % 4 === 0 ? 2 : 1000 });
      if (oldText === newText) expect(d).toBe('');
      else expect(applyWithPatch(oldText, d)).toBe(newText);
    }
  });

  it('splits lines keeping their terminators', () => {
    expect(splitLines('a\n\nb')).toEqual(['a\n', '\n', 'b']);
    expect(splitLines('')).toEqual([]);
  });
});
