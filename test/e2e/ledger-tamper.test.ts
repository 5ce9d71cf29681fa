/**
 * Every tamper case of issue 4 on a real store, through the CLI: a modified, deleted, inserted or reordered
 * ledger row, a wrong key, a truncated chain, an empty signature, an unsigned tail, and an edited or deleted
 * evidence row. `ledger verify` and `graph verify --run` both exit 6 and name the right first bad seq.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEntryHash, encodePublicKey, generateKeyPair, type LedgerEntry } from '../../src/ledger/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { attackerDb, copyDataDir, recordDemo } from './ledger-fixture.js';

describe('ledger tamper detection', () => {
  const origin = tempDir();
  let n = 0;
  let k = 0;
  let heads: number[] = [];
  beforeAll(async () => {
    await recordDemo(origin.path);
    const db = new Database(join(origin.path, 'evidence.db'), { readonly: true });
    n = (db.prepare('SELECT MAX(seq) AS n FROM ledger').get() as { n: number }).n;
    heads = (db.prepare('SELECT seq FROM ledger_heads ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
    // a seq inside a transaction: no signed head at it or next to it, so the chain itself must tell
    k = [...Array(n).keys()].map((i) => i + 1).find((s) => s >= 3 && s + 2 <= n && ![s - 1, s, s + 1].some((x) => heads.includes(x)))!;
    db.close();
    expect(k).toBeGreaterThan(0);
  });
  afterAll(() => origin.cleanup());

  async function expectBad(
    tamper: (db: Database.Database) => void,
    want: { seq: number; problem: string },
    args: string[] = [],
  ): Promise<void> {
    const copy = copyDataDir(origin.path);
    try {
      const db = attackerDb(copy.path);
      tamper(db);
      db.close();
      const v = await runCli(['ledger', 'verify', '--json', ...args], { dataDir: copy.path });
      expect(v.code, v.stdout + v.stderr).toBe(6);
      expect(v.json()).toMatchObject({ ok: false, first_bad_seq: want.seq, problem: want.problem });
      const text = await runCli(['ledger', 'verify', ...args], { dataDir: copy.path });
      expect(text.stdout).toContain(`FAILED verification at seq ${want.seq}`);
      const g = await runCli(['graph', 'verify', '--run', 'r1', '--json', ...args], { dataDir: copy.path });
      expect(g.code, g.stdout + g.stderr).toBe(6);
      expect(g.json().first_bad_seq).toBe(want.seq);
    } finally {
      copy.cleanup();
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

  it('an evidence row changed behind the ledger', async () => {
    const db = new Database(join(origin.path, 'evidence.db'), { readonly: true });
    const seq = (db.prepare(`SELECT ledger_seq FROM events WHERE body LIKE '%169.254.169.254%'`).get() as { ledger_seq: number }).ledger_seq;
    db.close();
    await expectBad(
      (d) => d.prepare(`UPDATE events SET body = replace(body, '169.254.169.254', '169.254.169.253') WHERE ledger_seq = ?`).run(seq),
      { seq, problem: 'row_modified' },
    );
  });

  it('an evidence row deleted behind the ledger', async () => {
    const db = new Database(join(origin.path, 'evidence.db'), { readonly: true });
    const seq = (db.prepare(`SELECT ledger_seq FROM events WHERE body LIKE '%169.254.169.254%'`).get() as { ledger_seq: number }).ledger_seq;
    db.close();
    await expectBad((d) => d.prepare('DELETE FROM events WHERE ledger_seq = ?').run(seq), { seq, problem: 'row_missing' });
  });
});
