/**
 * The store's ledger on a real SQLite file: every write appends an entry in the same transaction, a commit
 * signs one head, a rolled-back write leaves nothing, an unchanged re-write appends nothing, and the key is
 * made once per data dir (or taken from the environment, but never mixed with another).
 *
 * Reads the event layout of migration 007: one `put:event_blocks` entry per block of events, one
 * `put:correlation_kinds` entry per new kind, one `put:correlation_batches` entry per transaction that set kinds.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSecretKey, generateKeyPair, verifyHeadSignature, parsePublicKey } from '../../src/ledger/index.js';
import { findPinnedKey } from '../../src/service/ledger-keys.js';
import { verifyStoreLedger } from '../../src/store/ledger-verify.js';
import {
  dataDirPublicKeyPath,
  dataDirSecretKeyPath,
  iterateLedger,
  listSignedHeads,
  LEDGER_KEY_ENV,
} from '../../src/store/index.js';
import { blockRoot, eventLeaf } from '../../src/store/event-blocks.js';
import { tempDir } from '../helpers/cli.js';
import { batches, rowOf } from '../helpers/raw-event-rows.js';
import { rawBodies } from '../helpers/stored-events.js';
import { count, event, openStore, rawDb, verdict } from './store-fixture.js';

describe('EvidenceStore ledger', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  it('appends one entry per block, batch and verdict batch, and signs one head per transaction', () => {
    const store = openStore(dir.path);
    const events = [event(1), event(2), event(3)];
    store.transaction(() => {
      store.insertEvents(events, 'batch-1');
      store.putVerdicts(events.map((e, i) => verdict(e, null, i === 0 ? ['r1', 'r2'] : [])));
    });
    const entries = [...iterateLedger(store.db)];
    // 3 events in 1 block + 1 correlation kind (all 3 unattributed, no run) + 1 batch of 3 pairs + 1 verdict
    // batch holding the decision and its 2 risks (store/verdict-batch)
    expect(entries.map((e) => e.kind).sort()).toEqual(
      ['put:correlation_batches', 'put:correlation_kinds', 'put:event_blocks', 'put:verdict_batches'].sort(),
    );
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const batchSeq = entries.find((e) => e.kind === 'put:verdict_batches')!.seq;
    const batched = store.db
      .prepare(`SELECT 'decisions' AS t, batch_pos AS pos, ledger_seq AS seq FROM decisions UNION ALL SELECT 'risks', batch_pos, ledger_seq FROM risks ORDER BY pos`)
      .all();
    expect(batched).toEqual([
      { t: 'decisions', pos: 0, seq: batchSeq },
      { t: 'risks', pos: 1, seq: batchSeq },
      { t: 'risks', pos: 2, seq: batchSeq },
    ]);
    expect(count(store.db, `SELECT count AS n FROM verdict_batches WHERE ledger_seq = ${batchSeq}`)).toBe(3);
    expect(batches(store.db).map((b) => b.pairs.length)).toEqual([3]);
    const heads = listSignedHeads(store.db);
    expect(heads).toHaveLength(1);
    expect(heads[0]).toMatchObject({ seq: 4, entry_hash: entries[3]!.entry_hash });
    const pub = parsePublicKey(readFileSync(dataDirPublicKeyPath(dir.path), 'utf8'));
    expect(verifyHeadSignature(heads[0], pub)).toEqual({ ok: true });
    // the row names its block, the block its entry, and the entry its object (the Merkle root over the
    // block's leaves, one of which is the event's stored body)
    const row = rowOf(store.db, events[1]!.event_id!);
    const block = store.db.prepare('SELECT ledger_seq, count, leaves FROM event_blocks WHERE block_id = ?').get(row.block_id) as { ledger_seq: number; count: number; leaves: Buffer };
    expect(block.count).toBe(3);
    expect(entries[block.ledger_seq - 1]!.kind).toBe('put:event_blocks');
    expect(entries[block.ledger_seq - 1]!.object_hash).toBe(blockRoot(block.leaves));
    const [body] = rawBodies(store.db, (e) => e.event_id === events[1]!.event_id);
    expect(block.leaves.subarray(row.pos * 32, row.pos * 32 + 32).toString('hex')).toBe(eventLeaf(body!).toString('hex'));
    store.close();
  });

  it('leaves no entry and no head when the transaction rolls back', () => {
    const store = openStore(dir.path);
    store.insertEvents([event(1)], null);
    expect(() =>
      store.transaction(() => {
        store.insertEvents([event(2)], null);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM ledger')).toBe(1);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM ledger_heads')).toBe(1);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM event_rows')).toBe(1);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM event_blocks')).toBe(1);
    // and the chain continues from the committed head
    store.insertEvents([event(3)], null);
    expect([...iterateLedger(store.db)].map((e) => e.seq)).toEqual([1, 2]);
    store.close();
  });

  it('appends nothing when a re-evaluation gives the same verdict, and a new version when it differs', () => {
    const store = openStore(dir.path);
    const e = event(1);
    store.transaction(() => {
      store.insertEvents([e], null);
      store.putVerdicts([verdict(e, null, ['r1'])]);
    });
    const before = count(store.db, 'SELECT COUNT(*) AS n FROM ledger');
    store.putVerdicts([verdict(e, null, ['r1'])]);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM ledger')).toBe(before);
    expect(batches(store.db)).toHaveLength(1);
    const kindBefore = rowOf(store.db, e.event_id!).kind;
    store.putVerdicts([verdict(e, 'run-1', ['r1'])]);
    // the new attribution is a new kind (run-1) and one batch setting it; decision and risk are replaced
    const kinds = [...iterateLedger(store.db)].slice(before).map((x) => x.kind).sort();
    expect(kinds).toEqual(['put:correlation_batches', 'put:correlation_kinds', 'replace:decisions', 'replace:risks']);
    const kindAfter = rowOf(store.db, e.event_id!).kind;
    expect(kindAfter).not.toBe(kindBefore);
    expect(batches(store.db).map((b) => b.pairs)).toEqual([
      [{ key: rowOf(store.db, e.event_id!).key, kind: kindBefore }],
      [{ key: rowOf(store.db, e.event_id!).key, kind: kindAfter }],
    ]);
    store.close();
  });

  it('sees its own buffered entries: the same verdicts twice in one transaction are written once', () => {
    const store = openStore(dir.path);
    const events = Array.from({ length: 120 }, (_, i) => event(i));
    store.transaction(() => {
      store.insertEvents(events, null);
      store.putVerdicts(events.map((e) => verdict(e, 'run-1', ['r1'])));
      store.putVerdicts(events.map((e) => verdict(e, 'run-1', ['r1'])));
    });
    // 120 events in 1 block, 1 correlation kind (run-1) + 1 batch, 1 verdict batch of 120 decisions and
    // 120 risks: nothing twice
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM ledger')).toBe(4);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM decisions')).toBe(120);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM risks')).toBe(120);
    expect(count(store.db, 'SELECT SUM(count) AS n FROM verdict_batches')).toBe(240);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM event_rows')).toBe(120);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM correlation_kinds')).toBe(1);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM event_rows WHERE kind = (SELECT id FROM correlation_kinds)')).toBe(120);
    expect(verifyStoreLedger(store.db, { pinned: findPinnedKey(undefined, dir.path)! })).toMatchObject({ ok: true, entries: 4 });
    // one batch, each event's (key, kind) pair in it once: the second putVerdicts set nothing new
    const [batch, ...more] = batches(store.db);
    expect(more).toEqual([]);
    expect(new Set(batch!.pairs.map((p) => p.key)).size).toBe(120);
    expect(batch!.pairs).toHaveLength(120);
    store.close();
  });

  it('generates the data dir key once (0600), and every later open signs with it', () => {
    const a = openStore(dir.path);
    a.insertEvents([event(1)], null);
    const fp = a.signingKey().pair.fingerprint;
    a.close();
    expect(statSync(dataDirSecretKeyPath(dir.path)).mode & 0o777).toBe(0o600);
    const b = openStore(dir.path);
    b.insertEvents([event(2)], null);
    expect(b.signingKey().pair.fingerprint).toBe(fp);
    expect(new Set(listSignedHeads(b.db).map((h) => h.key_fingerprint))).toEqual(new Set([fp]));
    const v = verifyStoreLedger(b.db, { pinned: findPinnedKey(undefined, dir.path)! });
    // 2 blocks of 1 event each: each block and each event row is checked
    expect(v).toMatchObject({ ok: true, entries: 2, rows_checked: 4 });
    b.close();
  });

  it('signs with AGENTPROV_LEDGER_KEY, publishes its public key, and refuses another key later', () => {
    const k = generateKeyPair();
    const a = openStore(dir.path, { env: { [LEDGER_KEY_ENV]: encodeSecretKey(k.secretKey) } });
    a.insertEvents([event(1)], null);
    expect(listSignedHeads(a.db)[0]!.key_fingerprint).toBe(k.fingerprint);
    expect(parsePublicKey(readFileSync(dataDirPublicKeyPath(dir.path), 'utf8'))).toEqual(k.publicKey);
    a.close();
    const other = generateKeyPair();
    const b = openStore(dir.path, { env: { [LEDGER_KEY_ENV]: encodeSecretKey(other.secretKey) } });
    expect(() => b.insertEvents([event(2)], null)).toThrow(/signed with key .* but the signing key/);
    expect(count(b.db, 'SELECT COUNT(*) AS n FROM event_rows')).toBe(1);
    b.close();
  });

  it('extends one chain from two connections writing in turn', () => {
    const a = openStore(dir.path);
    const b = openStore(dir.path);
    a.insertEvents([event(1)], null);
    b.insertEvents([event(2)], null);
    a.insertEvents([event(3)], null);
    const v = verifyStoreLedger(a.db, { pinned: findPinnedKey(undefined, dir.path)! });
    expect(v).toMatchObject({ ok: true, entries: 3, signed_heads: 3 });
    a.close();
    b.close();
  });

  it('refuses UPDATE and DELETE on the ledger tables in every mode', () => {
    const store = openStore(dir.path);
    store.insertEvents([event(1)], null);
    store.close();
    const db = rawDb(dir.path);
    expect(() => db.prepare(`UPDATE ledger SET kind = 'x'`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger').run()).toThrow(/append-only/);
    expect(() => db.prepare(`UPDATE ledger_heads SET signature = ''`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger_heads').run()).toThrow(/append-only/);
    expect(() => db.prepare(`INSERT OR REPLACE INTO ledger SELECT * FROM ledger WHERE seq = 1`).run()).toThrow(/append-only/);
    db.close();
  });
});
