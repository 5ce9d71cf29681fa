/**
 * Several agentprov processes writing one data dir at once, as real processes of the built CLI (`make
 * test-unit` builds dist/ first): two `telemetry ingest-falco` of distinct files, a `telemetry bind` and a
 * `record --capture proc` (no privilege needed), started together on a fresh data dir and again on the same
 * one. Every process exits 0, the counts are exact and `ledger verify` passes. A store held locked past the
 * busy timeout is exit 7 naming the data dir and the holder's pid, never a stack trace, and a `record` that
 * hits it ends anyway: its processes killed, nothing left running.
 *
 * Counts events in the layout of migration 007: `event_rows`, its source a `strings` id.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const BIN = resolve('dist/src/bin/agentprov.js');
const LINES = 4000;

interface Exited {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function agentprov(args: string[], env: Record<string, string> = {}): Promise<Exited> {
  const began = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ args, code, stdout, stderr, ms: Date.now() - began })));
}

/** `lines` distinct Falco alerts (time, pid and output made unique per file and line). */
function falcoFile(path: string, base: bigint, lines: number): void {
  const samples = readFileSync('fixtures/shared/falco-sample.jsonl', 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.includes('syscall event drop'));
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const o = JSON.parse(samples[i % samples.length]!);
    o.output_fields['evt.time'] = Number(base) + i * 1000;
    o.output_fields['proc.pid'] = 20_000 + i;
    o.output = `${o.output} #${base}-${i}`;
    out.push(JSON.stringify(o));
  }
  writeFileSync(path, `${out.join('\n')}\n`);
}

function alive(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** Holds SQLite's write lock on the data dir from this process, as another writer's long transaction would. */
function holdWriteLock(dataDir: string): { release(): void } {
  const db = new Database(join(dataDir, 'evidence.db'));
  db.pragma('journal_mode = WAL');
  db.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      db.exec('COMMIT');
      db.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrent writers on one data dir', () => {
  const dir = tempDir('agentprov-writers-');
  const data = join(dir.path, 'data');
  const work = join(dir.path, 'work');
  const a = join(dir.path, 'a.jsonl');
  const b = join(dir.path, 'b.jsonl');
  beforeAll(() => {
    mkdirSync(work);
    falcoFile(a, 1_700_000_000_000_000_000n, LINES);
    falcoFile(b, 1_710_000_000_000_000_000n, LINES);
  });
  afterAll(() => dir.cleanup());

  const fourWriters = (round: number): Promise<Exited[]> =>
    Promise.all([
      agentprov(['telemetry', 'ingest-falco', '--file', a, '--data-dir', data, '--json']),
      agentprov(['telemetry', 'ingest-falco', '--file', b, '--data-dir', data, '--json']),
      agentprov(['telemetry', 'bind', '--run', 'r-bind', '--tool-call', `tc-${round}`, '--data-dir', data, '--json']),
      agentprov(['record', '--run', `r-rec-${round}`, '--capture', 'proc', '--workdir', work, '--data-dir', data, '--json', '--',
        'sh', '-c', `echo ${round} >> notes.txt; sleep 0.3`]),
    ]);

  /** Stored events whose source is Falco (one event_rows row each). */
  const FALCO_EVENTS = `SELECT COUNT(*) AS n FROM event_rows e JOIN strings s ON s.id = e.source WHERE s.value = 'falco'`;
  const count = (sql: string): number => {
    const db = new Database(join(data, 'evidence.db'), { readonly: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  async function expectVerified(): Promise<void> {
    const v = await agentprov(['ledger', 'verify', '--data-dir', data, '--json']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout ? JSON.parse(v.stdout).ok : null).toBe(true);
  }

  function expectAllExitedZero(all: Exited[]): void {
    for (const p of all) {
      expect(p.code, `agentprov ${p.args.join(' ')}\n${p.stderr}`).toBe(0);
      expect(p.stderr).not.toMatch(/unexpected error|\n\s+at /);
    }
  }

  it('two ingests, a bind and a record started together on a fresh data dir all succeed, exactly', async () => {
    const all = await fourWriters(1);
    expectAllExitedZero(all);
    const [ia, ib, bind, rec] = all.map((p) => JSON.parse(p.stdout));
    expect(ia).toMatchObject({ lines: LINES, accepted: LINES, rejected: 0 });
    expect(ia.stats.stored).toBe(LINES);
    expect(ib.stats.stored).toBe(LINES);
    expect(bind.scope).toMatchObject({ run_id: 'r-bind', tool_call_id: 'tc-1' });
    expect(count(`SELECT COUNT(DISTINCT binding_id) AS n FROM scopes WHERE run_id = 'r-bind'`)).toBe(1);
    expect(rec.items[0]).toMatchObject({ run_id: 'r-rec-1', outcome: 'exited', exit_code: 0 });
    expect(rec.items[0].verify.ok).toBe(true);
    expect(count(FALCO_EVENTS)).toBe(2 * LINES);
    expect(count('SELECT COUNT(*) AS n FROM ingest_batches')).toBe(2);
    expect(count('SELECT COUNT(*) AS n FROM record_captures')).toBe(1);
    await expectVerified();
  }, 120_000);

  it('the same four again on that data dir, behind a write lock held longer than 5 s, all wait their turn', async () => {
    // Another writer's long transaction (a file ingest's commit of several queued batches takes seconds): the old 5 s timeout failed here.
    const lock = holdWriteLock(data);
    const running = fourWriters(2);
    await sleep(6000);
    lock.release();
    const all = await running;
    expectAllExitedZero(all);
    const [ia, ib, bind, rec] = all.map((p) => JSON.parse(p.stdout));
    expect(bind.scope).toMatchObject({ run_id: 'r-bind', tool_call_id: 'tc-2' });
    expect(count(`SELECT COUNT(DISTINCT binding_id) AS n FROM scopes WHERE run_id = 'r-bind'`)).toBe(2);
    expect(ia).toMatchObject({ accepted: LINES, duplicates: LINES });
    expect(ia.stats.stored).toBe(0);
    expect(ib.stats.stored).toBe(0);
    expect(rec.items[0]).toMatchObject({ run_id: 'r-rec-2', outcome: 'exited', exit_code: 0 });
    expect(count(FALCO_EVENTS)).toBe(2 * LINES);
    expect(count('SELECT COUNT(*) AS n FROM ingest_batches')).toBe(4);
    expect(count('SELECT COUNT(*) AS n FROM record_captures')).toBe(2);
    await expectVerified();
  }, 120_000);

  it('a store locked past the busy timeout is exit 7 naming the data dir and the holder, no stack trace', async () => {
    const lock = holdWriteLock(data);
    try {
      const r = await agentprov(['telemetry', 'ingest-falco', '--file', a, '--data-dir', data], { AGENTPROV_BUSY_TIMEOUT_MS: '300' });
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toContain(`evidence store in data dir ${data} is locked: pid ${process.pid} (`);
      expect(r.stderr).toContain('AGENTPROV_BUSY_TIMEOUT_MS');
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    } finally {
      lock.release();
    }
    await expectVerified();
  }, 60_000);

  it('a record whose store stays locked ends: exit 7, what failed said, its processes killed', async () => {
    const marker = `sleep ${4000 + (process.pid % 1000)}.${Date.now() % 100000}`;
    const running = agentprov(
      ['record', '--run', 'r-locked', '--capture', 'proc', '--workdir', work, '--data-dir', data, '--', 'sh', '-c', `${marker} & sleep 1.5`],
      { AGENTPROV_BUSY_TIMEOUT_MS: '300' },
    );
    await sleep(700); // the record has started and bound its tool call
    const lock = holdWriteLock(data);
    let ended: Exited | null;
    try {
      ended = await Promise.race([running, sleep(30_000).then(() => null)]);
    } finally {
      lock.release();
    }
    expect(ended, 'record did not end within 30 s').not.toBeNull();
    const r = ended!;
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain(`evidence store in data dir ${data} is locked: pid ${process.pid}`);
    expect(r.stderr).not.toMatch(/unexpected error|has already ended|\n\s+at /);
    expect(alive(marker)).toEqual([]);
    await expectVerified();
  }, 60_000);
});
