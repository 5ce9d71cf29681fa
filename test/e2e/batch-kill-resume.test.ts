/**
 * Batches are whole or absent (issue 11, 6c), on the built CLI (`make test-unit` builds dist/ first): a
 * `telemetry ingest-falco` of a 200,000-line file is killed with SIGKILL once its first transaction has
 * committed. The store then holds part of the file and a manifest row saying so (`complete = 0`), and
 * `verify` names that batch. Re-running the same ingest completes that same batch: exact counts of events,
 * duplicates and rejected lines, one complete manifest row, `verify` and `ledger verify` pass. A third run
 * of the file stores nothing and records a batch of duplicates.
 *
 * Reads the event layout of migration 007: one `event_rows` row per event (batch and type as `strings` ids),
 * bodies in `event_blocks`, one `put:event_blocks` ledger entry per block of up to 1,024 events.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const BIN = resolve('dist/src/bin/agentprov.js');
const LINES = 200_000;
/**
 * Accepted events per hand-off batch of a file ingest (ingest-file.ts batchSize). The storage thread writes
 * each batch's events and blocks, and commits the batches queued meanwhile in one transaction: what a commit
 * holds is a whole number of batches.
 */
const BATCH_EVENTS = 5_000;
/** Events per block: a batch's new events are cut into blocks of this many, the last one shorter. */
const BLOCK_EVENTS = 1024;
const BASE_NS = 1_780_000_000_000_000_000n;

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Running {
  child: ReturnType<typeof spawn>;
  exited: Exited | null;
  done: Promise<Exited>;
}

function start(args: string[]): Running {
  const began = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const r: Running = { child, exited: null, done: null as unknown as Promise<Exited> };
  r.done = new Promise((done) =>
    child.on('close', (code, signal) => {
      r.exited = { code, signal, stdout, stderr, ms: Date.now() - began };
      done(r.exited);
    }),
  );
  return r;
}

const agentprov = (args: string[]): Promise<Exited> => start(args).done;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isoNs(ns: bigint): string {
  const s = Number(ns / 1_000_000_000n);
  return new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, `.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`);
}

/** What the generated file holds, counted as it was written. */
interface Input {
  sha256: string;
  lines: number;
  empty: number;
  accepted: number;
  /** Accepted lines that repeat an earlier line byte for byte (same event id). */
  repeats: number;
  /** Distinct events: what the store must hold once the file is in. */
  distinct: number;
  /** Of those, Falco's drop alerts (stored as telemetry_loss). */
  drops: number;
  rejected: { line: number; code: string; field?: string }[];
  /** New (not yet stored) events of each hand-off batch, in order: accepted events cut BATCH_EVENTS at a time. */
  perBatch: number[];
}

/** The blocks (= put:event_blocks entries) that storing the given batches writes. */
const blocksOf = (perBatch: number[]): number => perBatch.reduce((n, d) => n + Math.ceil(d / BLOCK_EVENTS), 0);

/**
 * LINES lines of Falco alerts: the fixture's four shapes in turn (three rule alerts and the internal drop
 * alert), each line with its own `time` (and proc.pid, evt.time where the shape has them). A few lines are
 * malformed, one is empty, and a few repeat an earlier line (one within the same 5k batch, the others
 * in later ones), all at fixed line numbers, so every count is known exactly.
 */
function writeFalcoFile(path: string): Input {
  const samples = readFileSync('fixtures/shared/falco-sample.jsonl', 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
  const alert = (i: number): Record<string, any> => {
    const o = structuredClone(samples[i % samples.length]!);
    const t = BASE_NS + BigInt(i) * 1000n;
    o.time = isoNs(t);
    const of = o.output_fields as Record<string, unknown>;
    if ('evt.time' in of) of['evt.time'] = Number(t);
    if ('evt.time.iso8601' in of) of['evt.time.iso8601'] = Number(t);
    if (o.rule !== 'Falco internal: syscall event drop') of['proc.pid'] = 10_000 + i;
    return o;
  };
  const malformed = new Map<number, { text: (i: number) => string; code: string; field?: string }>([
    [1_000, { text: (i) => JSON.stringify(alert(i)).slice(0, 200), code: 'AP_JSON' }], // cut short
    [45_000, { text: (i) => JSON.stringify([alert(i)]), code: 'AP_SCHEMA' }],
    [90_000, { text: (i) => JSON.stringify({ ...alert(i), rule: undefined }), code: 'AP_SCHEMA', field: 'rule' }],
    [140_000, { text: (i) => JSON.stringify({ ...alert(i), output_fields: 'sh -c id' }), code: 'AP_SCHEMA', field: 'output_fields' }],
    [185_000, { text: (i) => JSON.stringify({ ...alert(i * 4 + 1), time: undefined, output_fields: { 'proc.name': 'sh' } }), code: 'AP_SCHEMA', field: 'time' }],
    [199_000, { text: (i) => JSON.stringify({ ...alert(i * 4 + 1), output_fields: { ...alert(i * 4 + 1).output_fields, 'proc.pid': 'pid-1' } }), code: 'AP_SCHEMA', field: 'output_fields.proc.pid' }],
  ]);
  const empty = new Set([120_000]);
  /** line -> the earlier line it repeats */
  const repeat = new Map([
    [30_000, 29_999],
    [70_000, 10],
    [160_000, 120_001],
    [200_000, 150_001],
  ]);

  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  const texts = new Map<number, string>(); // lines that a later line repeats
  const wanted = new Set(repeat.values());
  const input: Input = { sha256: '', lines: 0, empty: 0, accepted: 0, repeats: 0, distinct: 0, drops: 0, rejected: [], perBatch: [] };
  let chunk: string[] = [];
  const flush = (): void => {
    const buf = Buffer.from(chunk.join(''));
    hash.update(buf);
    writeSync(fd, buf);
    chunk = [];
  };
  for (let line = 1; line <= LINES; line++) {
    let text: string;
    const bad = malformed.get(line);
    if (bad) {
      text = bad.text(line);
      input.rejected.push({ line, code: bad.code, ...(bad.field ? { field: bad.field } : {}) });
    } else if (empty.has(line)) {
      text = '';
      input.empty++;
    } else if (repeat.has(line)) {
      text = texts.get(repeat.get(line)!)!;
      input.accepted++;
      input.repeats++;
    } else {
      const o = alert(line);
      text = JSON.stringify(o);
      // this accepted event's batch (0-based): the accepted events before it, BATCH_EVENTS at a time
      const tx = Math.floor(input.accepted / BATCH_EVENTS);
      while (input.perBatch.length <= tx) input.perBatch.push(0);
      input.perBatch[tx]!++;
      input.accepted++;
      input.distinct++;
      if (o.rule === 'Falco internal: syscall event drop') input.drops++;
      if (wanted.has(line)) texts.set(line, text);
    }
    chunk.push(`${text}\n`);
    if (chunk.length === 10_000) flush();
  }
  flush();
  closeSync(fd);
  input.lines = LINES;
  input.sha256 = hash.digest('hex');
  return input;
}

/** A read-only look at the store; null while the ingest has not created its tables yet. */
function peek<T>(dbPath: string, fn: (db: Database.Database) => T): T | null {
  if (!existsSync(dbPath)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    return fn(db);
  } catch {
    return null; // not yet a database with the event_rows table (the CLI is still creating it)
  } finally {
    db?.close();
  }
}

interface BatchRow {
  batch_id: string;
  source_file: string;
  format: string;
  input_sha256: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejected_lines: string;
  started_at: string;
  finished_at: string;
  ledger_seq: number;
  complete: number;
  started_seq: number;
}

describe('a 200k-line ingest killed with SIGKILL is completed by its re-run', () => {
  const dir = tempDir('agentprov-batch-kill-');
  const data = join(dir.path, 'data');
  const dbPath = join(data, 'evidence.db');
  const file = join(dir.path, 'falco-200k.jsonl');
  const ingest = ['telemetry', 'ingest-falco', '--file', file, '--data-dir', data, '--json'];
  const timings: Record<string, number> = {};
  let input: Input;
  let killed: { row: BatchRow; events: number };

  const one = <T>(sql: string, ...params: unknown[]): T => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare(sql).get(...params) as T;
    } finally {
      db.close();
    }
  };
  const count = (sql: string, ...params: unknown[]): number => one<{ n: number }>(sql, ...params).n;
  /** Stored events whose batch (a strings id) is not the given batch id, or that have none. */
  const OUTSIDE_BATCH = 'SELECT COUNT(*) AS n FROM event_rows e LEFT JOIN strings b ON b.id = e.batch WHERE b.value IS NOT ?';

  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (make build-ts, or npx tsc -p tsconfig.json)`);
    const t0 = Date.now();
    input = writeFalcoFile(file);
    timings.generate_ms = Date.now() - t0;
  }, 60_000);

  afterAll(() => {
    dir.cleanup();
    console.log(`batch-kill-resume: ${JSON.stringify(timings)}`);
  });

  it('is killed after its first transaction committed: one open manifest, part of the file stored', async () => {
    // Events commit whole batches of 5,000 (one or more at a time), so the first count above 0 is the first
    // transaction; a kill before the last one leaves the batch open. Should the ingest still finish before
    // the kill lands (a very slow poll), the next attempt starts again on a fresh data dir and polls faster.
    for (let attempt = 1; attempt <= 3; attempt++) {
      rmSync(data, { recursive: true, force: true });
      const pollMs = attempt === 1 ? 25 : 5;
      const began = Date.now();
      const run = start(ingest);
      let seen = 0;
      while (run.exited === null) {
        // event rows are written at the end of each transaction (blocks too): a count above 0 is a commit
        seen = peek(dbPath, (db) => (db.prepare('SELECT COUNT(*) AS n FROM event_rows').get() as { n: number }).n) ?? 0;
        if (seen > 0) {
          run.child.kill('SIGKILL');
          break;
        }
        await sleep(pollMs);
      }
      const ended = await run.done;
      const rows = peek(dbPath, (db) => db.prepare('SELECT * FROM ingest_batches').all() as BatchRow[]) ?? [];
      const events = count('SELECT COUNT(*) AS n FROM event_rows');
      if (ended.signal !== 'SIGKILL' || rows.some((r) => r.complete === 1) || events >= input.distinct) {
        console.log(`attempt ${attempt}: the ingest finished before the kill (exit ${ended.code}, ${events} events); again`);
        continue;
      }
      timings.killed_after_ms = Date.now() - began;
      expect(ended.stdout).toBe(''); // killed before it could print a manifest
      expect(rows).toHaveLength(1);
      killed = { row: rows[0]!, events };
      timings.events_at_kill = events;
      break;
    }
    expect(killed, 'the ingest finished before it could be killed, 3 times').toBeDefined();
    const { row, events } = killed;
    expect(events).toBeGreaterThan(0);
    expect(events).toBeLessThan(input.distinct);
    // The manifest as openBatch wrote it: who and what, no counts yet, not complete.
    expect(row).toMatchObject({
      source_file: file,
      format: 'falco',
      input_sha256: input.sha256,
      complete: 0,
      lines: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      rejected_lines: '[]',
      finished_at: '',
    });
    expect(row.started_seq).toBe(row.ledger_seq);
    expect(one<{ kind: string }>('SELECT kind FROM ledger WHERE seq = ?', row.started_seq).kind).toBe('put:ingest_batches');
    // Every stored event belongs to the open batch: nothing was stored outside a manifest.
    expect(count(OUTSIDE_BATCH, row.batch_id)).toBe(0);
    // Whole commits only, so whole batches: the events stored are those of the first k batches, in their blocks.
    const k = input.perBatch.findIndex((_, i) => input.perBatch.slice(0, i + 1).reduce((a, b) => a + b, 0) === events) + 1;
    expect(k, `${events} events is not a whole number of batches (${input.perBatch.join(', ')})`).toBeGreaterThan(0);
    expect(count(`SELECT COUNT(*) AS n FROM ledger WHERE kind = 'put:event_blocks'`)).toBe(blocksOf(input.perBatch.slice(0, k)));
    expect(count('SELECT COUNT(*) AS n FROM event_blocks')).toBe(blocksOf(input.perBatch.slice(0, k)));
  }, 60_000);

  it('verify names the open batch (exit 6); the ledger itself is intact', async () => {
    const [v, l] = await Promise.all([agentprov(['verify', '--data-dir', data, '--json']), agentprov(['ledger', 'verify', '--data-dir', data])]);
    expect(v.code, v.stderr).toBe(6);
    const report = JSON.parse(v.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name)).toEqual(['batches']);
    expect(report.checks.find((c: { name: string }) => c.name === 'batches').problems).toEqual([
      expect.objectContaining({ table: 'ingest_batches', key: killed.row.batch_id, problem: 'batch_incomplete' }),
    ]);
    expect(l.code, l.stderr).toBe(0);
  }, 60_000);

  it('the re-run completes that same batch with exact counts', async () => {
    const r = await agentprov(ingest);
    timings.resume_ms = r.ms;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    const m = JSON.parse(r.stdout);
    const storedByRerun = input.distinct - killed.events;
    // It resumed: the killed run's batch id and start time; the events the kill left are its duplicates.
    expect(m).toMatchObject({
      schema_version: 'agentprov.ingest-manifest/v1',
      batch_id: killed.row.batch_id,
      started_at: killed.row.started_at,
      source_file: file,
      format: 'falco',
      input_sha256: input.sha256,
      lines: LINES,
      accepted: input.accepted,
      rejected: input.rejected.length,
      duplicates: killed.events + input.repeats,
    });
    expect(m.finished_at > m.started_at).toBe(true);
    expect(m.rejected_lines).toEqual(input.rejected.map((x) => expect.objectContaining(x)));
    expect(m.stats).toMatchObject({ received: input.accepted, stored: storedByRerun, duplicates: killed.events + input.repeats });
    expect(input.accepted + input.rejected.length + input.empty).toBe(LINES);

    expect(count('SELECT COUNT(*) AS n FROM event_rows')).toBe(input.distinct);
    expect(count(OUTSIDE_BATCH, killed.row.batch_id)).toBe(0);
    expect(count(`SELECT COUNT(*) AS n FROM event_rows e JOIN strings t ON t.id = e.type WHERE t.value = 'telemetry_loss'`)).toBe(input.drops);
    const rows = one<{ n: number }>('SELECT COUNT(*) AS n FROM ingest_batches WHERE input_sha256 = ?', input.sha256);
    expect(rows.n).toBe(1);
    const row = one<BatchRow>('SELECT * FROM ingest_batches WHERE batch_id = ?', killed.row.batch_id);
    expect(row).toMatchObject({
      complete: 1,
      source_file: file,
      format: 'falco',
      input_sha256: input.sha256,
      lines: LINES,
      accepted: input.accepted,
      rejected: input.rejected.length,
      duplicates: killed.events + input.repeats,
      started_at: killed.row.started_at,
      finished_at: m.finished_at,
      started_seq: killed.row.started_seq,
    });
    expect(JSON.parse(row.rejected_lines)).toEqual(m.rejected_lines);
    // The row moved to the entry that completed it; the entry that opened it is still in the chain.
    expect(row.ledger_seq).toBeGreaterThan(row.started_seq);
    expect(one<{ kind: string }>('SELECT kind FROM ledger WHERE seq = ?', row.ledger_seq).kind).toBe('revise:ingest_batches');
    // One entry per block (no more per-event entries): the killed run's transactions and the re-run's others.
    expect(input.perBatch.reduce((a, b) => a + b, 0)).toBe(input.distinct);
    expect(count(`SELECT COUNT(*) AS n FROM ledger WHERE kind = 'put:event_blocks'`)).toBe(blocksOf(input.perBatch));
    expect(count('SELECT COUNT(*) AS n FROM event_blocks')).toBe(blocksOf(input.perBatch));
    expect(count(`SELECT COUNT(*) AS n FROM ledger WHERE kind = 'put:events'`)).toBe(0);
  }, 60_000);

  it('verify --json and ledger verify pass', async () => {
    const t0 = Date.now();
    const [v, l] = await Promise.all([agentprov(['verify', '--data-dir', data, '--json']), agentprov(['ledger', 'verify', '--data-dir', data])]);
    timings.verify_both_ms = Date.now() - t0;
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.ok).toBe(true);
    expect(report.checks.find((c: { name: string }) => c.name === 'batches')).toMatchObject({ ok: true, checked: 1, problems: [] });
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/^ledger ok: /m);
  }, 60_000);

  it('a third run stores nothing: a new complete batch of duplicates, counts unchanged', async () => {
    const entries = count('SELECT COUNT(*) AS n FROM ledger');
    const r = await agentprov(ingest);
    timings.third_run_ms = r.ms;
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.batch_id).not.toBe(killed.row.batch_id); // nothing left open, so nothing to resume
    expect(m).toMatchObject({ lines: LINES, accepted: input.accepted, rejected: input.rejected.length, duplicates: input.accepted });
    expect(m.stats).toMatchObject({ stored: 0, duplicates: input.accepted, decisions: 0, risks: 0 });
    expect(count('SELECT COUNT(*) AS n FROM event_rows')).toBe(input.distinct);
    expect(count('SELECT COUNT(*) AS n FROM ingest_batches WHERE input_sha256 = ? AND complete = 1', input.sha256)).toBe(2);
    expect(count('SELECT COUNT(*) AS n FROM ingest_batches WHERE complete = 0')).toBe(0);
    // Its manifest is the only thing it wrote: opened, then completed.
    expect(count('SELECT COUNT(*) AS n FROM ledger') - entries).toBe(2);
  }, 60_000);
});
