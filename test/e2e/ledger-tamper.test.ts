/**
 * Every tamper case of issue 4 on a real store, through the CLI: a modified, deleted, inserted or reordered
 * ledger row, a wrong key, a truncated chain, an empty signature, an unsigned tail, and an edited or deleted
 * evidence row. `ledger verify` and `graph verify --run` both exit 6 and name the right first bad seq.
 *
 * Evidence rows are in the event layout of migration 007: an event's body inside its compressed block
 * (event_blocks, one `put:event_blocks` entry each), its narrow row in event_rows, its correlation as the
 * row's `kind` (replayed from the ledgered correlation_batches). Each tamper with them is named by the
 * event id (or block id) and the seq of the block's entry.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEntryHash, encodePublicKey, generateKeyPair, type LedgerEntry } from '../../src/ledger/index.js';
import { sha256Hex } from '../../src/graph/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { kindOfToolCall, rowOf } from '../helpers/raw-event-rows.js';
import { rawEvents, tamperBlock } from '../helpers/stored-events.js';
import { attackerDb, BIND, copyDataDir, recordDemo } from './ledger-fixture.js';

const META_IP = '169.254.169.254';
/** The connection to the metadata service: attributed to tool call tc-7 of run r1, in a block of 4 events. */
const isConnect = (e: Record<string, unknown>): boolean => e.type === 'network_connect' && JSON.stringify(e).includes(META_IP);

describe('ledger tamper detection', () => {
  const origin = tempDir();
  let n = 0;
  let k = 0;
  let heads: number[] = [];
  beforeAll(async () => {
    await recordDemo(origin.path);
    // a second tool call of run r1 (the curl child, pid 4260): an event can be moved from one tool call to another
    const second = BIND.map((a) => (a === 'tc-7' ? 'tc-8' : a === '4242' ? '4260' : a));
    const b = await runCli(second, { dataDir: origin.path });
    expect(b.code, b.stderr).toBe(0);
    const db = new Database(join(origin.path, 'evidence.db'), { readonly: true });
    n = (db.prepare('SELECT MAX(seq) AS n FROM ledger').get() as { n: number }).n;
    heads = (db.prepare('SELECT seq FROM ledger_heads ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
    // a seq inside a transaction: no signed head at it or next to it, so the chain itself must tell
    k = [...Array(n).keys()].map((i) => i + 1).find((s) => s >= 3 && s + 2 <= n && ![s - 1, s, s + 1].some((x) => heads.includes(x)))!;
    db.close();
    expect(k).toBeGreaterThan(0);
  });
  afterAll(() => origin.cleanup());

  /**
   * `named`: row problems both `ledger verify` and `graph verify --run r1` must report (table, key and the
   * seq that names them), e.g. the changed event by its id at its block's seq. The text of `ledger verify`
   * names the first of them.
   */
  async function expectBad(
    tamper: (db: Database.Database) => void,
    want: { seq: number; problem: string; named?: { table: string; key: string; problem?: string }[] },
    args: string[] = [],
  ): Promise<void> {
    const copy = copyDataDir(origin.path);
    try {
      const db = attackerDb(copy.path);
      tamper(db);
      db.close();
      const named = (want.named ?? []).map((p) => expect.objectContaining({ seq: want.seq, ...p }));
      const v = await runCli(['ledger', 'verify', '--json', ...args], { dataDir: copy.path });
      expect(v.code, v.stdout + v.stderr).toBe(6);
      expect(v.json()).toMatchObject({ ok: false, first_bad_seq: want.seq, problem: want.problem });
      expect(v.json().row_problems).toEqual(expect.arrayContaining(named));
      const text = await runCli(['ledger', 'verify', ...args], { dataDir: copy.path });
      expect(text.stdout).toContain(`FAILED verification at seq ${want.seq}`);
      // the text names the row, or, for a row that is gone ('?'), the table it was deleted from
      if (want.named?.[0]) expect(text.stdout).toContain(want.named[0].key === '?' ? `no row in ${want.named[0].table}` : want.named[0].key);
      const g = await runCli(['graph', 'verify', '--run', 'r1', '--json', ...args], { dataDir: copy.path });
      expect(g.code, g.stdout + g.stderr).toBe(6);
      expect(g.json().first_bad_seq).toBe(want.seq);
      // graph verify lists each row problem by table (kind), seq and message
      const inRun = (want.named ?? []).map((p) =>
        expect.objectContaining({
          kind: p.table,
          seq: want.seq,
          ...(p.problem ? { problem: p.problem } : {}),
          ...(p.key === '?' ? {} : { detail: expect.stringMatching(new RegExp(`(^|\\W)${p.key}(\\W|$)`)) }),
        }),
      );
      expect(g.json().problems).toEqual(expect.arrayContaining(inRun));
    } finally {
      copy.cleanup();
    }
  }

  /** The stored connect event: its id, its row, and its block's entry (read from the untouched store). */
  function connectEvent(): { id: string; key: bigint; block_id: number; pos: number; seq: number; blockEvents: string[] } {
    const db = new Database(join(origin.path, 'evidence.db'), { readonly: true });
    try {
      const hit = rawEvents(db).find((r) => isConnect(r.event))!;
      const id = String(hit.event.event_id);
      const row = rowOf(db, id);
      const seq = db.prepare('SELECT ledger_seq FROM event_blocks WHERE block_id = ?').pluck().get(row.block_id) as number;
      const blockEvents = rawEvents(db).filter((r) => r.block_id === row.block_id).map((r) => String(r.event.event_id));
      return { id, key: row.key, block_id: row.block_id, pos: row.pos, seq, blockEvents };
    } finally {
      db.close();
    }
  }

  it('passes the untouched store, naming the pinned key and where it came from', async () => {
    const v = await runCli(['ledger', 'verify'], { dataDir: origin.path });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/pinned key ed25519:[0-9a-f]{16} \(from data dir public key .*keys\/ledger\.ed25519\.pub\)/);
    expect(v.stdout).toContain(`ledger ok: ${n} entries`);
    const g = await runCli(['graph', 'verify', '--run', 'r1', '--json'], { dataDir: origin.path });
    expect(g.code, g.stdout).toBe(0);
    expect(g.json()).toMatchObject({ ok: true, first_bad_seq: null });
  });

  it('a modified ledger row', async () => {
    await expectBad((db) => db.prepare(`UPDATE ledger SET kind = 'put:nothing' WHERE seq = ?`).run(k), { seq: k, problem: 'modified' });
  });

  it('a deleted ledger row', async () => {
    await expectBad((db) => db.prepare('DELETE FROM ledger WHERE seq = ?').run(k), { seq: k, problem: 'deleted' });
  });

  it('an inserted ledger row (with a valid hash and link, later rows renumbered)', async () => {
    await expectBad(
      (db) => {
        const prev = db.prepare('SELECT entry_hash FROM ledger WHERE seq = ?').get(k - 1) as { entry_hash: string };
        db.prepare('UPDATE ledger SET seq = -seq WHERE seq >= ?').run(k);
        db.prepare('UPDATE ledger SET seq = 1 - seq WHERE seq < 0').run();
        const fake = { seq: k, prev_hash: prev.entry_hash, object_hash: 'f'.repeat(64), kind: 'put:events', time_ns: 1n };
        db.prepare('INSERT INTO ledger VALUES (?,?,?,?,?,?)').run(k, fake.prev_hash, fake.object_hash, fake.kind, fake.time_ns, computeEntryHash(fake));
      },
      { seq: k, problem: 'inserted' },
    );
  });

  it('two reordered ledger rows', async () => {
    await expectBad(
      (db) => {
        db.prepare('UPDATE ledger SET seq = -1 WHERE seq = ?').run(k);
        db.prepare('UPDATE ledger SET seq = ? WHERE seq = ?').run(k, k + 1);
        db.prepare('UPDATE ledger SET seq = ? WHERE seq = -1').run(k + 1);
      },
      { seq: k, problem: 'reordered' },
    );
  });

  it('a truncated chain', async () => {
    await expectBad((db) => db.prepare('DELETE FROM ledger WHERE seq > ?').run(n - 3), { seq: n - 2, problem: 'truncated' });
  });

  it('a wrong key', async () => {
    const other = tempDir();
    try {
      const key = generateKeyPair();
      const pub = `${other.path}/other.pub`;
      writeFileSync(pub, encodePublicKey(key.publicKey));
      await expectBad(() => {}, { seq: heads[0]!, problem: 'wrong_key' }, ['--pub', pub]);
    } finally {
      other.cleanup();
    }
  });

  it('an empty signature is an error, not a skip', async () => {
    const last = heads[heads.length - 1]!;
    await expectBad((db) => db.prepare(`UPDATE ledger_heads SET signature = '' WHERE seq = ?`).run(last), { seq: last, problem: 'missing_signature' });
  });

  it('entries appended after the last signed head', async () => {
    await expectBad(
      (db) => {
        const head = db.prepare('SELECT * FROM ledger WHERE seq = ?').safeIntegers(true).get(n) as LedgerEntry;
        const fake = { seq: n + 1, prev_hash: head.entry_hash, object_hash: 'e'.repeat(64), kind: 'put:events', time_ns: head.time_ns };
        db.prepare('INSERT INTO ledger VALUES (?,?,?,?,?,?)').run(n + 1, fake.prev_hash, fake.object_hash, fake.kind, fake.time_ns, computeEntryHash(fake));
      },
      { seq: n + 1, problem: 'missing_signature' },
    );
  });

  it('an event body changed inside its block', async () => {
    const ev = connectEvent();
    await expectBad(
      (d) => {
        const t = tamperBlock(d, isConnect, (bodies, pos) => bodies.map((b, i) => (i === pos ? b.replaceAll(META_IP, '169.254.169.253') : b)));
        expect(t).toMatchObject({ block_id: ev.block_id, ledger_seq: ev.seq, pos: ev.pos });
      },
      { seq: ev.seq, problem: 'row_modified', named: [{ table: 'events', key: ev.id, problem: 'row_modified' }] },
    );
  });

  it('two events reordered inside their block', async () => {
    const ev = connectEvent();
    const other = ev.pos === 0 ? 1 : ev.pos - 1;
    expect(ev.blockEvents.length).toBeGreaterThan(1);
    await expectBad(
      (d) => {
        tamperBlock(d, isConnect, (bodies, pos) => bodies.map((b, i) => (i === pos ? bodies[other]! : i === other ? bodies[pos]! : b)));
      },
      {
        seq: ev.seq,
        problem: 'row_modified',
        named: [
          { table: 'events', key: ev.id, problem: 'row_modified' },
          { table: 'events', key: ev.blockEvents[other]!, problem: 'row_modified' },
        ],
      },
    );
  });

  it('a forged event body inserted into a block', async () => {
    const ev = connectEvent();
    let forgedId = '';
    await expectBad(
      (d) => {
        tamperBlock(d, isConnect, (bodies, pos) => {
          const forged = { ...(JSON.parse(bodies[pos]!) as Record<string, unknown>), event_id: sha256Hex('forged'), pid: 31337 };
          forgedId = String(forged.event_id);
          return [...bodies.slice(0, pos), JSON.stringify(forged), ...bodies.slice(pos)];
        });
      },
      { seq: ev.seq, problem: 'row_modified', named: [{ table: 'events', key: sha256Hex('forged'), problem: 'row_modified' }] },
    );
    expect(forgedId).toBe(sha256Hex('forged'));
  });

  it('an event row deleted behind the ledger', async () => {
    const ev = connectEvent();
    await expectBad(
      (d) => expect(d.prepare('DELETE FROM event_rows WHERE key = ?').run(ev.key).changes).toBe(1),
      { seq: ev.seq, problem: 'row_missing', named: [{ table: 'event_rows', key: String(ev.block_id), problem: 'row_missing' }] },
    );
  });

  it('a whole event block deleted behind the ledger', async () => {
    const ev = connectEvent();
    await expectBad(
      (d) => expect(d.prepare('DELETE FROM event_blocks WHERE block_id = ?').run(ev.block_id).changes).toBe(1),
      { seq: ev.seq, problem: 'row_missing', named: [{ table: 'event_blocks', key: '?', problem: 'row_missing' }] },
    );
  });

  it("an event moved to another tool call (its row's kind changed)", async () => {
    const ev = connectEvent();
    // a tc-7 event of the block, moved to tc-8's correlation
    const db = new Database(join(origin.path, 'evidence.db'), { readonly: true });
    const tc7 = db.prepare('SELECT id FROM correlation_kinds WHERE tool_call_id = ?').pluck().all('tc-7') as number[];
    const moved = ev.blockEvents.find((id) => tc7.includes(rowOf(db, id).kind))!;
    const to = kindOfToolCall(db, 'tc-8');
    const key = rowOf(db, moved).key;
    db.close();
    expect(moved).toBeDefined();
    await expectBad(
      (d) => expect(d.prepare('UPDATE event_rows SET kind = ? WHERE key = ?').run(to, key).changes).toBe(1),
      { seq: ev.seq, problem: 'row_modified', named: [{ table: 'correlations', key: moved, problem: 'row_modified' }] },
    );
  });
});
