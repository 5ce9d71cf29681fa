import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

/** Deterministic pseudo-random generator so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function garbage(r: () => number, i: number): string {
  const kinds = [
    () => '{"output_fields": {"proc.pid": 1',                          // truncated JSON
    () => Buffer.from(Array.from({ length: 40 }, () => Math.floor(r() * 256))).toString('latin1').replace(/\n|\r/g, ' '),
    () => '[1,2,3]',
    () => '{"hello":"world"}',                                         // unknown format
    () => `{"process_exec":{"process":{"pid":"not-a-number-${i}"}}}`, // wrong types
    () => 'null',
    () => `{"type":"file_open","source":"native_jsonl","time_ns":"1","bogus_field":${i}}`,
  ];
  return kinds[Math.floor(r() * kinds.length)]!();
}

describe('ingest of 10k malformed lines mixed with valid ones', () => {
  const dir = tempDir();
  const file = join(dir.path, 'mixed.jsonl');
  const validLines: number[] = [];
  let total = 0;

  beforeAll(() => {
    const valid = [
      ...readFileSync('fixtures/shared/falco-sample.jsonl', 'utf8').split('\n'),
      ...readFileSync('fixtures/shared/tetragon-sample.jsonl', 'utf8').split('\n'),
    ].filter((l) => l.trim() !== '' && !l.includes('syscall event drop'));
    const r = rng(42);
    const out: string[] = [];
    let v = 0;
    for (let i = 0; i < 10_000; i++) {
      out.push(garbage(r, i));
      if (i % 50 === 0) {
        // A valid line, made unique so that each one is a distinct event.
        const obj = JSON.parse(valid[v++ % valid.length]!);
        obj.time = `2026-01-01T00:00:${String(Math.floor(i / 1000)).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`;
        if (obj.process_exec) obj.process_exec.process.pid = 10_000 + i;
        out.push(JSON.stringify(obj));
        validLines.push(out.length);
      }
    }
    total = out.length;
    writeFileSync(file, out.join('\n') + '\n');
  });
  afterAll(() => dir.cleanup());

  it('never crashes, counts exactly, loses nothing valid, and is idempotent on a second run', async () => {
    const first = await runCli(['telemetry', 'ingest-jsonl', '--format', 'auto', '--file', file, '--json'], { dataDir: dir.path });
    expect(first.code, first.stderr).toBe(0);
    const m1 = first.json();
    expect(m1.lines).toBe(total);
    expect(m1.accepted).toBe(validLines.length);
    expect(m1.rejected).toBe(total - validLines.length);
    const rejectedNumbers = new Set<number>(m1.rejected_lines.map((r: any) => r.line));
    for (const l of validLines) expect(rejectedNumbers.has(l)).toBe(false);
    expect(m1.rejected_lines.every((r: any) => typeof r.message === 'string' && r.message.length > 0)).toBe(true);

    const db = new Database(join(dir.path, 'evidence.db'), { readonly: true });
    // events as migration 007 stores them: one event_rows row each
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM event_rows').get() as { n: number }).n;
    const stored = count();
    const blocks = () => (db.prepare(`SELECT COUNT(*) AS n FROM ledger WHERE kind = 'put:event_blocks'`).get() as { n: number }).n;
    const blocksBefore = blocks();
    expect(stored).toBe(m1.stats.stored);
    expect(stored).toBeGreaterThanOrEqual(validLines.length);

    const second = await runCli(['telemetry', 'ingest-jsonl', '--format', 'auto', '--file', file, '--json'], { dataDir: dir.path });
    const m2 = second.json();
    expect(m2.accepted).toBe(m1.accepted);
    expect(m2.rejected).toBe(m1.rejected);
    expect(m2.input_sha256).toBe(m1.input_sha256);
    expect(m2.stats.stored).toBe(0);
    expect(m2.duplicates).toBe(stored);
    expect(count()).toBe(stored);
    expect(blocks()).toBe(blocksBefore); // nothing new to store: no new block
    const batches = db.prepare('SELECT accepted, rejected, input_sha256 FROM ingest_batches').all();
    expect(batches).toHaveLength(2);
    db.close();
  });

  it('an unreadable file is a clear error naming it, and stores nothing', async () => {
    const d = tempDir();
    try {
      const missing = join(d.path, 'nope.jsonl');
      const r = await runCli(['telemetry', 'ingest-falco', '--file', missing], { dataDir: d.path });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(missing);
      const db = new Database(join(d.path, 'evidence.db'), { readonly: true });
      expect((db.prepare('SELECT COUNT(*) AS n FROM event_rows').get() as { n: number }).n).toBe(0); // 007 layout
      expect((db.prepare('SELECT COUNT(*) AS n FROM event_blocks').get() as { n: number }).n).toBe(0);
      expect((db.prepare('SELECT COUNT(*) AS n FROM ingest_batches').get() as { n: number }).n).toBe(0);
      db.close();
    } finally {
      d.cleanup();
    }
  });

  it('a policy that fails to load stops the command before anything is stored (fail closed)', async () => {
    const d = tempDir();
    try {
      const bad = join(d.path, 'bad.yaml');
      writeFileSync(bad, 'version: 1\nname: bad\nrules:\n  - id: x\n    severity: high\n    score: 10\n    action: explode\n    match: {event_type: file_open}\n');
      const r = await runCli(['telemetry', 'ingest-falco', '--file', 'fixtures/demo/falco-agent-run.jsonl', '--policy', bad], { dataDir: d.path });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/bad\.yaml:7/);
      expect(r.stderr).toContain('action');
      const db = new Database(join(d.path, 'evidence.db'), { readonly: true });
      expect((db.prepare('SELECT COUNT(*) AS n FROM event_rows').get() as { n: number }).n).toBe(0); // 007 layout
      expect((db.prepare('SELECT COUNT(*) AS n FROM event_blocks').get() as { n: number }).n).toBe(0);
      db.close();
    } finally {
      d.cleanup();
    }
  });
});
