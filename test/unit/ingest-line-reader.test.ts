import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { type NumberedLine, type ReadOptions, readNumberedLines } from '../../src/ingest/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ap-ingest-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer): string {
  const p = join(dir, `input-${n++}.jsonl`);
  writeFileSync(p, content);
  return p;
}

async function readAll(path: string, opts?: ReadOptions) {
  const reader = readNumberedLines({ path }, opts);
  const lines: NumberedLine[] = [];
  for await (const l of reader.lines) lines.push(l);
  return { reader, lines, pairs: lines.map((l) => [l.line, l.text] as const) };
}

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

describe('readNumberedLines', () => {
  it('numbers lines, skips empty ones but counts them, and handles CRLF and a final line without newline', async () => {
    const content = 'a\r\n\nb\n\r\n\nc';
    const { reader, pairs } = await readAll(file(content));
    expect(pairs).toEqual([
      [1, 'a'],
      [3, 'b'],
      [6, 'c'],
    ]);
    expect(reader.lineCount()).toBe(6);
    expect(reader.emptyLineCount()).toBe(3);
    expect(reader.byteCount()).toBe(Buffer.byteLength(content));
    expect(reader.digest()).toBe(sha(content));
  });

  it('keeps a truncated last line as a line (it is just malformed JSON)', async () => {
    const { pairs } = await readAll(file('{"a":1}\n{"b":'));
    expect(pairs).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":'],
    ]);
  });

  it('reads an empty file as zero lines with the sha256 of nothing', async () => {
    const { reader, lines } = await readAll(file(''));
    expect(lines).toEqual([]);
    expect(reader.lineCount()).toBe(0);
    expect(reader.digest()).toBe(sha(''));
  });

  it('gives the exact bytes of each line without its terminator', async () => {
    const { lines } = await readAll(file('héllo\r\nwörld\n'));
    expect(lines.map((l) => l.bytes.toString('utf8'))).toEqual(['héllo', 'wörld']);
    expect(lines.map((l) => sha(l.bytes))).toEqual([sha('héllo'), sha('wörld')]);
  });

  it('splits the same way at every chunk size, including CRLF and UTF-8 split across chunks', async () => {
    const parts: string[] = [];
    for (let i = 0; i < 300; i++) {
      parts.push(i % 7 === 0 ? '' : `{"i":${i},"s":"${'ü€'.repeat(i % 13)}"}`);
    }
    const content = parts.map((p, i) => p + (i % 3 === 0 ? '\r\n' : '\n')).join('') + 'tail';
    const expected = [...parts, 'tail'].map((t, i) => [i + 1, t] as const).filter(([, t]) => t !== '');
    const path = file(content);
    for (const chunkBytes of [1, 2, 3, 7, 64, 1000, 1 << 20]) {
      const { reader, pairs } = await readAll(path, { chunkBytes });
      expect(pairs, `chunkBytes=${chunkBytes}`).toEqual(expected);
      expect(reader.digest()).toBe(sha(content));
      expect(reader.lineCount()).toBe(301);
    }
  });

  it('yields an over-long line as oversize without buffering it whole, and goes on', async () => {
    const long = 'x'.repeat(50);
    for (const chunkBytes of [4, 16, 1 << 20]) {
      const { lines } = await readAll(file(`ok\n${long}\nafter\n${long}`), { chunkBytes, maxLineBytes: 10 });
      expect(lines.map((l) => [l.line, l.text, l.oversize])).toEqual([
        [1, 'ok', undefined],
        [2, '', 50],
        [3, 'after', undefined],
        [4, '', 50],
      ]);
      expect(lines[1]!.bytes.length).toBe(10);
    }
  });

  it('drops a UTF-8 byte order mark from the first line only', async () => {
    const { pairs } = await readAll(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n{"b":2}')])));
    expect(pairs).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
    ]);
  });

  it('reads a stream (strings and buffers) the same way', async () => {
    const reader = readNumberedLines({ stream: Readable.from([Buffer.from('a\nb'), 'c\r', '\n\nd']), name: 'stdin' });
    const pairs: Array<[number, string]> = [];
    for await (const batch of reader.batches()) for (const l of batch) pairs.push([l.line, l.text]);
    expect(pairs).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [4, 'd'],
    ]);
    expect(reader.name).toBe('stdin');
    expect(reader.digest()).toBe(sha('a\nbc\r\n\nd'));
  });

  it('throws InputError naming a missing file before any line exists', () => {
    const missing = join(dir, 'nope', 'missing.jsonl');
    let caught: unknown;
    try {
      readNumberedLines({ path: missing });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    const e = caught as InputError;
    expect(e.code).toBe('AP_BAD_INPUT');
    expect(e.issues[0]!.file).toBe(missing);
    expect(e.message).toContain(missing);
    expect(e.message).toContain('ENOENT');
  });

  it('throws InputError for a directory', () => {
    expect(() => readNumberedLines({ path: dir })).toThrow(InputError);
    expect(() => readNumberedLines({ path: dir })).toThrow(/is a directory/);
  });

  it('refuses a second iteration and a digest before the end', async () => {
    const reader = readNumberedLines({ path: file('a\nb\n') });
    expect(() => reader.digest()).toThrow(/only after all lines/);
    for await (const _ of reader.lines) break;
    await expect(async () => {
      for await (const _ of reader.lines) void _;
    }).rejects.toThrow(/only once/);
  });
});
