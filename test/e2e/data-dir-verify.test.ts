/**
 * `agentprov verify` on a data dir with a row in every table (Falco and Tetragon ingests, a recorded run with
 * file changes, blobs and an orphan, an agent, a gate decision and its approval, a frozen process, an
 * anchor, a redaction), all through the CLI. Then, for every table SQLite lists, one byte of one row is
 * changed in a copy: `agentprov verify --json` exits 6 naming that table and that row's key. The tables
 * and columns the module declares unprovable (UNPROVED) are skipped, read at run time, so a table that
 * becomes provable is tested from then on.
 *
 * Events are in the layout of migration 007 (event_blocks + event_rows + strings, correlations as
 * correlation_kinds + correlation_batches); the tables `events` and `correlations` are written only by stores
 * from before 007, so here they must be empty. The event-level tampers (a body changed, reordered or inserted
 * in its block, an event row or a whole block deleted, an event moved to another tool call) are tested one by one.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNPROVED } from '../../src/store/verify-data-dir.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { eventIdAt, rowOf } from '../helpers/raw-event-rows.js';
import { rawEvents, tamperBlock } from '../helpers/stored-events.js';
import { attackerDb } from './ledger-fixture.js';

/**
 * Tables this test cannot fill without privileges it does not assume. Empty: every table gets a row from
 * a command a user without root can run (containments from `respond freeze` of the test's own process).
 */
const CANNOT_POPULATE: readonly string[] = [];

/** Tables only a store from before migration 007 has rows in (its old events and correlations stay there). */
const LEGACY_TABLES: readonly string[] = ['events', 'correlations'];

/** One character changed into another of its class (digit, hex letter, letter), so ids stay id-shaped. */
function flipChar(s: string): string {
  const i = s.search(/[0-9A-Za-z]/);
  const at = i === -1 ? 0 : i;
  const c = s[at] ?? ' ';
  const next = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : /[a-eA-E]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 1) : /[fF]/.test(c) ? (c === 'f' ? 'a' : 'A') : /[a-z]/.test(c) ? (c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1)) : /[A-Z]/.test(c) ? (c === 'Z' ? 'A' : String.fromCharCode(c.charCodeAt(0) + 1)) : c === 'x' ? 'y' : 'x';
  return s.slice(0, at) + next + s.slice(at + 1);
}

function changed(v: unknown): unknown {
  if (typeof v === 'bigint') return v + 1n;
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'string') return flipChar(v);
  if (Buffer.isBuffer(v)) return Buffer.from(v.map((b, i) => (i === 0 ? b ^ 1 : b)));
  throw new Error(`cannot change a ${typeof v}`);
}

/** Rows verify names by something other than their primary key: an anchor by its range, as stored. */
const OTHER_KEYS: Record<string, (row: Record<string, unknown>, db: Database.Database) => string> = {
  ledger_anchors: (row) => `${row.from_seq}..${row.to_seq}`,
  // an event row by the id of the event its (block, pos) holds: its int64 key is only the id's first 8 bytes
  event_rows: (row, db) => eventIdAt(db, Number(row.block_id), Number(row.pos)),
};

/**
 * A changed `strings` value is named through the rows that read it: `event_rows` (column_mismatch) with the
 * id of an event whose proved column (type, source, cgroup, container) holds that string id.
 */
const NAMED_THROUGH: Record<string, { table: string; keys: (pk: Record<string, unknown>, db: Database.Database) => string[] }> = {
  strings: {
    table: 'event_rows',
    keys: (pk, db) =>
      (db.prepare('SELECT block_id, pos FROM event_rows WHERE ? IN (type, source, cgroup, container)').all(pk.id) as { block_id: bigint; pos: bigint }[]).map((r) =>
        eventIdAt(db, Number(r.block_id), Number(r.pos)),
      ),
  },
};

/**
 * Which row of a table gets the changed byte: one in the middle. For `strings`, the middle one of those an event
 * row's proved column reads: a string used only as an ingest batch id is the value of `event_rows.batch`,
 * which UNPROVED declares ("not part of the event body the ledger hashes").
 */
const ROW_SQL: Record<string, string> = {
  strings: 'SELECT * FROM strings WHERE id IN (SELECT type FROM event_rows UNION SELECT source FROM event_rows UNION SELECT cgroup FROM event_rows UNION SELECT container FROM event_rows) ORDER BY id',
};

/** The key names the row: it contains a primary-key value (a number as a whole number, not a digit of one). */
function namesRow(key: string, pk: Record<string, unknown>, other: string | undefined): boolean {
  if (other !== undefined && key === other) return true;
  return Object.values(pk).some((v) => (typeof v === 'bigint' || typeof v === 'number' ? new RegExp(`(^|\\D)${v}(\\D|$)`).test(key) : key.includes(String(v))));
}

function unprovedColumns(table: string): Set<string> | '*' {
  // an entry may name several tables ("events, event_rows") and their columns together
  const u = UNPROVED.filter((x) => x.table.split(',').map((t) => t.trim()).includes(table));
  if (u.some((x) => x.columns === '*')) return '*';
  return new Set(u.flatMap((x) => x.columns.split(',').map((c) => c.trim())));
}

function waitExit(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((done) => child.on('exit', () => done()));
}

describe('agentprov verify: the whole data dir', () => {
  const dir = tempDir('agentprov-verify-');
  const pristine = join(dir.path, 'data');
  const work = join(dir.path, 'work');
  let copies = 0;
  const cli = (args: string[], dataDir = pristine) => runCli(args, { dataDir });
  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  /** A copy of the pristine data dir (database, keys, blobs), its WAL checkpointed into the main file first. */
  function copy(): string {
    const to = join(dir.path, `copy-${copies++}`);
    cpSync(pristine, to, { recursive: true });
    return to;
  }

  async function verifyJson(dataDir: string): Promise<{ code: number; out: any }> {
    const r = await cli(['verify', '--json'], dataDir);
    return { code: r.code, out: JSON.parse(r.stdout) };
  }

  beforeAll(async () => {
    mkdirSync(work);
    writeFileSync(join(work, 'notes.md'), 'first line\n');
    await ok(['telemetry', 'ingest-falco', '--file', 'fixtures/shared/falco-sample.jsonl']);
    await ok(['telemetry', 'ingest-jsonl', '--format', 'tetragon', '--file', 'fixtures/shared/tetragon-sample.jsonl']);
    // file changes, snapshots with stored blobs, a capture, and an orphan (the backgrounded sleep)
    const rec = await cli(['record', '--run', 'r1', '--capture', 'proc', '--workdir', work, '--json', '--', 'sh', '-c',
      `echo second >> notes.md; exec 3>report.txt; echo done >&3; (sleep 31.${process.pid} &); sleep 0.4`]);
    expect(rec.code, rec.stderr).toBe(0);
    await ok(['agents', 'add', 'coder', '--owner', 'alice', '--autonomy', 'autonomous', '--tool', 'run_shell']);
    // an unregistered agent needs approval: a gate record, an approval and its steps
    const gate = await cli(['gate', 'evaluate', '--json', '--input',
      JSON.stringify({ agent_id: 'stranger', tool_name: 'run_shell', intent: 'check the repo', action: { kind: 'command', argv: ['git', 'status'] } })]);
    expect(gate.code, gate.stderr).toBe(21);
    await ok(['approvals', 'approve', gate.json().approval_id, '--reason', 'fine']);
    // a response and a containment: SIGSTOP to a process of our own needs no privilege
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await ok(['respond', 'freeze', '--pid', String(sleeper.pid), '--reason', 'test']);
    } finally {
      sleeper.kill('SIGKILL');
      await waitExit(sleeper);
    }
    await ok(['ledger', 'anchor', '--to', join(dir.path, 'anchors')]);
    const db0 = new Database(join(pristine, 'evidence.db'), { readonly: true });
    const eventId = rawEvents(db0).map((r) => String(r.event.event_id)).sort()[0]!;
    db0.close();
    await ok(['ledger', 'redact', '--event', eventId, '--reason', 'test']);
    const db = new Database(join(pristine, 'evidence.db'));
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
  }, 60_000);
  afterAll(() => dir.cleanup());

  it('passes on the untouched data dir, exit 0, and lists what it cannot prove', async () => {
    const { code, out } = await verifyJson(pristine);
    expect(out.problems).toEqual([]);
    expect(code).toBe(0);
    expect(out).toMatchObject({ schema_version: 'agentprov.verify/v1', ok: true });
    expect(out.unproved).toEqual(UNPROVED);
    const text = await cli(['verify']);
    expect(text.stdout).toContain('not proved by any check:');
    expect(text.stdout).toContain('verify ok');
  });

  it('fails naming table and key when one byte of one row of any table is changed', async () => {
    const db = new Database(join(pristine, 'evidence.db'), { readonly: true });
    // sqlite_* tables are SQLite's own bookkeeping, not agentprov's data
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
    db.close();
    expect(tables.length).toBeGreaterThanOrEqual(25);
    const tested: string[] = [];
    const skipped: string[] = [];
    const legacy: string[] = [];
    const empty: string[] = [];
    const failures: string[] = [];
    for (const table of tables) {
      const unproved = unprovedColumns(table);
      if (unproved === '*') {
        skipped.push(table);
        continue;
      }
      const to = copy();
      const adb = attackerDb(to);
      adb.defaultSafeIntegers(true);
      const info = adb.pragma(`table_info(${table})`) as { name: string; pk: number }[];
      const pkCols = info.filter((c) => c.pk > 0).map((c) => c.name);
      const rowsSql = ROW_SQL[table] ?? `SELECT * FROM ${table} ORDER BY rowid`;
      const n = Number(adb.prepare(`SELECT COUNT(*) FROM (${rowsSql})`).pluck().get());
      if (LEGACY_TABLES.includes(table)) {
        adb.close();
        // no longer written: a new row here would be a writer of the old layout
        expect(n, `${table} is written only before migration 007`).toBe(0);
        legacy.push(table);
        continue;
      }
      if (n === 0) {
        adb.close();
        if (!CANNOT_POPULATE.includes(table)) empty.push(table);
        continue;
      }
      // a row in the middle: not the first entry of a chain, not the last
      const row = adb.prepare(`${rowsSql} LIMIT 1 OFFSET ?`).get(Math.floor(n / 2)) as Record<string, unknown>;
      const column = info.map((c) => c.name).find((c) => !pkCols.includes(c) && !unproved.has(c) && row[c] !== null);
      if (column === undefined) {
        adb.close();
        failures.push(`${table}: no provable non-key column with a value`);
        continue;
      }
      const pk = Object.fromEntries(pkCols.map((c) => [c, row[c]]));
      const where = pkCols.map((c) => `${c} = ?`).join(' AND ');
      const res = adb.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where}`).run(changed(row[column]), ...pkCols.map((c) => row[c]));
      const other = OTHER_KEYS[table]?.(adb.prepare(`SELECT * FROM ${table} WHERE ${where}`).get(...pkCols.map((c) => row[c])) as Record<string, unknown>, adb);
      const through = NAMED_THROUGH[table];
      const throughKeys = through?.keys(pk, adb) ?? [];
      adb.close();
      expect(res.changes, `${table}.${column}`).toBe(1);
      if (through) expect(throughKeys.length, `${table}: rows that read it`).toBeGreaterThan(0);
      const { code, out } = await verifyJson(to);
      const named = (out.problems as { table: string; key: string }[]).filter((p) =>
        through ? p.table === through.table && throughKeys.includes(p.key) : p.table === table && namesRow(p.key, pk, other),
      );
      if (code !== 6 || named.length === 0) {
        failures.push(`${table}.${column} of ${JSON.stringify(pk, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}: exit ${code}, problems ${JSON.stringify(out.problems)}`);
      }
      tested.push(table);
    }
    expect(failures).toEqual([]);
    expect(empty, 'tables the setup left without a row').toEqual([]);
    // every table is either tested or declared unprovable as a whole
    expect(legacy.sort()).toEqual([...LEGACY_TABLES].sort());
    expect([...tested, ...skipped, ...legacy].sort()).toEqual(tables);
    expect(skipped.sort()).toEqual([...new Set(UNPROVED.filter((u) => u.columns === '*').map((u) => u.table))].filter((t) => tables.includes(t)).sort());
  }, 120_000);

  it('fails naming the event and its block entry when an event is changed, reordered, inserted, deleted or moved', async () => {
    // an event of the recorded run's tool call, in a block with others, and a kind of another tool call (or none)
    const db = new Database(join(pristine, 'evidence.db'), { readonly: true });
    const kinds = db.prepare('SELECT id, tool_call_id FROM correlation_kinds').all() as { id: number; tool_call_id: string | null }[];
    const toolCallOf = new Map(kinds.map((k) => [k.id, k.tool_call_id]));
    const all = rawEvents(db);
    const hit = all.find((r) => {
      const tc = toolCallOf.get(rowOf(db, String(r.event.event_id)).kind);
      return tc != null && all.filter((o) => o.block_id === r.block_id).length > 1;
    })!;
    expect(hit, 'an attributed event in a block of several').toBeDefined();
    const id = String(hit.event.event_id);
    const row = rowOf(db, id);
    const fromTc = toolCallOf.get(row.kind)!;
    const to = (kinds.find((k) => k.tool_call_id !== null && k.tool_call_id !== fromTc) ?? kinds.find((k) => k.tool_call_id === null)!).id;
    const seq = db.prepare('SELECT ledger_seq FROM event_blocks WHERE block_id = ?').pluck().get(row.block_id) as number;
    const neighbour = all.find((r) => r.block_id === hit.block_id && r.pos !== hit.pos)!;
    db.close();
    const isHit = (e: Record<string, unknown>): boolean => e.event_id === id;
    const forgedId = 'f0'.repeat(32);
    const cases: { name: string; tamper: (d: Database.Database) => void; want: { table: string; key: string; problem: string }[] }[] = [
      {
        name: 'a body changed in its block',
        tamper: (d) =>
          void tamperBlock(d, isHit, (bodies, pos) => {
            const edited = bodies[pos]!.replace(/"pid":(\d+)/, (_m, n: string) => `"pid":${Number(n) + 1}`);
            expect(edited).not.toBe(bodies[pos]);
            return bodies.map((b, i) => (i === pos ? edited : b));
          }),
        want: [{ table: 'events', key: id, problem: 'row_modified' }],
      },
      {
        name: 'two bodies swapped in their block',
        tamper: (d) => void tamperBlock(d, isHit, (bodies, pos) => bodies.map((b, i) => (i === pos ? bodies[neighbour.pos]! : i === neighbour.pos ? bodies[pos]! : b))),
        want: [
          { table: 'events', key: id, problem: 'row_modified' },
          { table: 'events', key: String(neighbour.event.event_id), problem: 'row_modified' },
        ],
      },
      {
        name: 'a forged body inserted into the block',
        tamper: (d) => void tamperBlock(d, isHit, (bodies, pos) => [...bodies.slice(0, pos), JSON.stringify({ ...hit.event, event_id: forgedId }), ...bodies.slice(pos)]),
        want: [{ table: 'events', key: forgedId, problem: 'row_modified' }],
      },
      {
        name: 'its event row deleted',
        tamper: (d) => void d.prepare('DELETE FROM event_rows WHERE key = ?').run(row.key),
        want: [{ table: 'event_rows', key: String(row.block_id), problem: 'row_missing' }],
      },
      {
        name: 'its whole block deleted',
        tamper: (d) => void d.prepare('DELETE FROM event_blocks WHERE block_id = ?').run(row.block_id),
        want: [{ table: 'event_blocks', key: '?', problem: 'row_missing' }],
      },
      {
        // the recorded run has one tool call: the event moves out of it (ledger-tamper moves one between two)
        name: `it moved from tool call ${fromTc} to ${toolCallOf.get(to) ?? 'none'} (its row kind changed)`,
        tamper: (d) => void d.prepare('UPDATE event_rows SET kind = ? WHERE key = ?').run(to, row.key),
        want: [{ table: 'correlations', key: id, problem: 'row_modified' }],
      },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const at = copy();
      const adb = attackerDb(at);
      c.tamper(adb);
      adb.close();
      const { code, out } = await verifyJson(at);
      const missing = c.want.filter((w) => !(out.problems as { table: string; key: string; problem: string; seq?: number }[]).some(
        (p) => p.table === w.table && p.key === w.key && p.problem === w.problem && p.seq === seq,
      ));
      if (code !== 6 || missing.length > 0) failures.push(`${c.name}: exit ${code}, not named ${JSON.stringify(missing)} at seq ${seq}; problems ${JSON.stringify(out.problems)}`);
    }
    expect(failures).toEqual([]);
  });

  it('fails on a blob file with one byte changed, naming table blobs and the blob', async () => {
    const to = copy();
    const fan = readdirSync(join(to, 'blobs'))[0]!;
    const rest = readdirSync(join(to, 'blobs', fan))[0]!;
    const file = join(to, 'blobs', fan, rest);
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(file, bytes);
    const { code, out } = await verifyJson(to);
    expect(code).toBe(6);
    expect(out.problems).toContainEqual(expect.objectContaining({ table: 'blobs', key: `${fan}${rest}`, problem: 'hash_mismatch' }));
  });

  it('fails on a changed dag_edges row, which `ledger verify` does not look at (issue 11, point 6)', async () => {
    const to = copy();
    const adb = attackerDb(to);
    const edge = adb.prepare('SELECT hash, to_hash FROM dag_edges WHERE run_id = ? ORDER BY hash LIMIT 1').get('r1') as { hash: string; to_hash: string };
    adb.prepare('UPDATE dag_edges SET to_hash = ? WHERE hash = ?').run(flipChar(edge.to_hash), edge.hash);
    adb.close();
    const { code, out } = await verifyJson(to);
    expect(code).toBe(6);
    expect(out.problems).toContainEqual(expect.objectContaining({ table: 'dag_edges', key: edge.hash }));
    // `ledger verify` is the narrower view: chain, heads, anchors and ledgered rows. A DAG row is none of
    // those, so it still says ok (the defect the issue reports, when it was the only check there was).
    const ledger = await cli(['ledger', 'verify', '--json'], to);
    expect(ledger.code).toBe(0);
    expect(ledger.json().ok).toBe(true);
    // `graph verify --run` sees it, for that one run
    expect((await cli(['graph', 'verify', '--run', 'r1'], to)).code).toBe(6);
  });
});
