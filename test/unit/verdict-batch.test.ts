/**
 * Verdict batches (migration 008): the decisions, risks and planned responses of new events share one ledger
 * entry per batch, and `ledger verify` still names a changed, deleted, moved or forged row.
 */
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPinnedKey } from '../../src/service/ledger-keys.js';
import { verifyStoreLedger } from '../../src/store/ledger-verify.js';
import { tempDir } from '../helpers/cli.js';
import { count, event, openStore, rawDb, verdict } from './store-fixture.js';

describe('verdict batches', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
    const store = openStore(dir.path);
    // revisioned: every version is kept, so a leaf whose row is gone is a deleted row
    store.setMode('revisioned');
    const events = Array.from({ length: 50 }, (_, i) => event(i));
    store.transaction(() => {
      store.insertEvents(events, null);
      store.putVerdicts(events.map((e, i) => verdict(e, 'run-1', i % 5 === 0 ? ['r1', 'r2'] : ['r1'])));
    });
    store.close();
  });
  afterEach(() => dir.cleanup());

  const verify = () => {
    const db = rawDb(dir.path);
    try {
      return verifyStoreLedger(db, { pinned: findPinnedKey(undefined, dir.path)! });
    } finally {
      db.close();
    }
  };
  const tamper = (fn: (db: Database.Database) => void) => {
    const db = rawDb(dir.path);
    try {
      fn(db);
    } finally {
      db.close();
    }
  };

  it('writes one entry for all new rows of a batch, and it verifies', () => {
    const db = rawDb(dir.path);
    const kinds = db.prepare(`SELECT kind, COUNT(*) AS n FROM ledger GROUP BY kind ORDER BY kind`).all();
    expect(count(db, 'SELECT COUNT(*) AS n FROM decisions')).toBe(50);
    expect(count(db, 'SELECT COUNT(*) AS n FROM risks')).toBe(60);
    expect(count(db, 'SELECT COUNT(*) AS n FROM decisions WHERE batch_pos IS NULL')).toBe(0);
    db.close();
    expect(kinds).toContainEqual({ kind: 'put:verdict_batches', n: 1 });
    expect(kinds.some((k) => (k as { kind: string }).kind === 'put:risks')).toBe(false);
    const v = verify();
    expect(v.row_problems).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('names a risk whose body was changed', () => {
    let id = '';
    tamper((db) => {
      id = db.prepare('SELECT risk_id FROM risks ORDER BY batch_pos LIMIT 1 OFFSET 7').pluck().get() as string;
      expect(db.prepare(`UPDATE risks SET body = json_set(body, '$.severity', 'low') WHERE risk_id = ?`).run(id).changes).toBe(1);
    });
    const v = verify();
    expect(v.ok).toBe(false);
    expect(v.row_problems).toContainEqual(expect.objectContaining({ table: 'risks', key: id, problem: 'row_modified' }));
  });

  it('names a deleted decision by its batch, and a row moved onto another leaf', () => {
    tamper((db) => db.prepare('DELETE FROM decisions WHERE batch_pos = 3').run());
    let v = verify();
    expect(v.ok).toBe(false);
    expect(v.row_problems).toContainEqual(expect.objectContaining({ table: 'verdict_batches', problem: 'row_missing' }));
    tamper((db) => db.prepare('UPDATE decisions SET batch_pos = 3 WHERE batch_pos = (SELECT MIN(batch_pos) FROM decisions WHERE batch_pos > 3)').run());
    v = verify();
    expect(v.row_problems).toContainEqual(expect.objectContaining({ table: 'decisions', problem: 'row_modified' }));
  });

  it('names a batch whose leaves were rewritten to cover a forged row', () => {
    tamper((db) => {
      const leaves = db.prepare('SELECT leaves FROM verdict_batches').pluck().get() as Buffer;
      leaves[0]! ^= 0xff;
      db.prepare('UPDATE verdict_batches SET leaves = ?').run(leaves);
    });
    const v = verify();
    expect(v.ok).toBe(false);
    expect(v.row_problems).toContainEqual(expect.objectContaining({ table: 'verdict_batches', problem: 'row_modified' }));
  });

  it('re-judging an event later writes a new version with an entry of its own, and the old one stays provable', () => {
    const store = openStore(dir.path);
    const e = event(7);
    store.transaction(() => store.putVerdicts([verdict(e, 'run-2', ['r3'])]));
    const kinds = store.db.prepare(`SELECT kind FROM ledger ORDER BY seq DESC LIMIT 6`).pluck().all() as string[];
    expect(kinds).toEqual(expect.arrayContaining(['revise:decisions', 'tombstone:risks']));
    store.close();
    const v = verify();
    expect(v.row_problems).toEqual([]);
  });
});
