/**
 * Storage modes on real SQLite files: revisioned keeps every version and tombstones deletions (all in the
 * ledger), sealed refuses UPDATE and DELETE on every protected table even through a raw better-sqlite3
 * connection, a DAG is re-derived without updating a node, and a mode never gets looser.
 *
 * Reads the event layout of migration 007: events in event_blocks + event_rows, correlations as interned
 * correlation_kinds plus one correlation_batches row per transaction that set kinds (their versions).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEdge, buildNode } from '../../src/graph/index.js';
import { findPinnedKey } from '../../src/service/ledger-keys.js';
import { verifyStoreLedger } from '../../src/store/ledger-verify.js';
import {
  correlationsOfRun,
  iterateLedger,
  nodesOfRun,
  risksOfRun,
  SEALED_TABLES,
  type EvidenceStore,
} from '../../src/store/index.js';
import { tempDir } from '../helpers/cli.js';
import { batches, rowOf } from '../helpers/raw-event-rows.js';
import { count, event, openStore, rawDb, T0, verdict } from './store-fixture.js';

function kinds(store: EvidenceStore, fromSeq: number): string[] {
  return [...iterateLedger(store.db, fromSeq)].map((e) => e.kind);
}

function verified(store: EvidenceStore): ReturnType<typeof verifyStoreLedger> {
  return verifyStoreLedger(store.db, { pinned: findPinnedKey(undefined, store.dataDir)! });
}

/** One of everything the sealed triggers protect. */
function populate(store: EvidenceStore): void {
  const e = event(1);
  store.putPolicy({ policy_hash: 'a'.repeat(64), name: 'p', files: [] }, '2026-11-25T10:00:00Z');
  store.putManifest({
    batch_id: 'batch-1', source_file: 'f', format: 'falco', input_sha256: 'b'.repeat(64), lines: 1, accepted: 1, duplicates: 0,
    rejected: 0, rejected_lines: [], started_at: 'x', finished_at: 'y',
  });
  store.putScope({
    binding_id: 'b1', run_id: 'run-1', session_id: 's', attempt_id: '1', tool_call_id: 'tc1', tool_name: null, agent_id: null,
    owner: null, args_hash: null, started_at_ns: T0, ended_at_ns: null, own_cgroup_ids: ['1'], cgroup_ids: [], container_ids: [],
    pids: [], asserted: false, confidence: 1,
  });
  store.transaction(() => {
    store.insertEvents([e], 'batch-1');
    store.putVerdicts([verdict(e, 'run-1', ['r1'])]);
    store.putResponse({
      response_id: 'resp-1', decision_id: null, event_id: null, run_id: 'run-1', tool_call_id: 'tc1', action: 'kill',
      target_kind: 'none', target: '', result: 'done', detail: 'manual', latency_ns: null, time_ns: T0,
    });
  });
  const run = buildNode('run', 'run:run-1', { run_id: 'run-1' }, [], 'run-1');
  const tc = buildNode('tool_call', 'tool_call:tc1', { tool_call_id: 'tc1' }, [run.hash], 'run-1');
  store.replaceRunGraph('run-1', [run, tc], [buildEdge('run_has_session', run.hash, tc.hash, 'run-1')]);
}

describe('storage modes', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  it('revisioned: an update keeps the old version as a revision, a delete leaves a tombstone, both in the ledger', () => {
    const store = openStore(dir.path);
    store.setMode('revisioned');
    const e = event(1);
    store.transaction(() => {
      store.insertEvents([e], null);
      store.putVerdicts([verdict(e, 'run-1', ['r1', 'r2'])]);
    });
    const mark = kinds(store, 1).length + 1;
    // re-evaluated: bound to another run now, and rule r2 no longer matches
    store.putVerdicts([verdict(e, 'run-2', ['r1'])]);
    // the new attribution: a new kind (run-2) and one batch that sets it; the run-1 kind and batch stay
    expect(kinds(store, mark).sort()).toEqual(['put:correlation_batches', 'put:correlation_kinds', 'revise:decisions', 'revise:risks', 'tombstone:risks']);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM correlation_kinds')).toBe(2);
    const key = rowOf(store.db, e.event_id!).key;
    const kindOfRun = (run: string) => store.db.prepare('SELECT id FROM correlation_kinds WHERE run_id = ?').pluck().get(run) as number;
    expect(batches(store.db).map((b) => b.pairs)).toEqual([[{ key, kind: kindOfRun('run-1') }], [{ key, kind: kindOfRun('run-2') }]]);
    expect(rowOf(store.db, e.event_id!).kind).toBe(kindOfRun('run-2'));
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM risks WHERE tombstone = 1')).toBe(1);
    expect(correlationsOfRun(store.db, 'run-1')).toEqual([]);
    expect(correlationsOfRun(store.db, 'run-2').map((c) => c.run_id)).toEqual(['run-2']);
    expect(risksOfRun(store.db, 'run-2').map((r) => r.rule_id)).toEqual(['r1']);
    expect(risksOfRun(store.db, 'run-1')).toEqual([]);
    expect(verified(store)).toMatchObject({ ok: true });
    // a deleted revision (the batch that recorded the run-1 attribution) is named by the seq that recorded it
    const seq = (store.db.prepare('SELECT MIN(ledger_seq) AS s FROM correlation_batches').get() as { s: number }).s;
    store.db.prepare('DELETE FROM correlation_batches WHERE ledger_seq = ?').run(seq);
    expect(verified(store)).toMatchObject({ ok: false, first_bad_seq: seq, problem: 'row_missing' });
    store.close();
  });

  it('mutable: a re-evaluation replaces rows and the ledger records the replacement and the delete', () => {
    const store = openStore(dir.path);
    const e = event(1);
    store.transaction(() => {
      store.insertEvents([e], null);
      store.putVerdicts([verdict(e, 'run-1', ['r1', 'r2'])]);
    });
    const mark = kinds(store, 1).length + 1;
    store.putVerdicts([verdict(e, 'run-1', ['r1'])]);
    expect(kinds(store, mark).sort()).toEqual(['delete:risks', 'replace:decisions']); // the decision's matches changed too
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM risks')).toBe(1);
    expect(verified(store)).toMatchObject({ ok: true });
    store.close();
  });

  it('sealed: a raw better-sqlite3 connection cannot UPDATE or DELETE any protected table', () => {
    const store = openStore(dir.path);
    store.setMode('sealed');
    populate(store);
    store.close();
    const db = rawDb(dir.path);
    // events and correlations are written only by stores older than migration 007 (their rows are kept
    // and stay protected): a fresh store has none, so each gets a forged row in a transaction rolled back below
    const legacy = new Set(['events', 'correlations']);
    const col = (table: string) =>
      table === 'dag_nodes' || table === 'dag_edges' ? 'run_id' : table === 'strings' ? 'value' : table === 'event_rows' ? 'time_ns' : 'ledger_seq';
    for (const { table } of SEALED_TABLES) {
      if (legacy.has(table)) continue;
      expect(count(db, `SELECT COUNT(*) AS n FROM ${table}`), table).toBeGreaterThan(0);
      expect(() => db.prepare(`UPDATE ${table} SET ${col(table)} = ${col(table)}`).run(), table).toThrow(`sealed store: UPDATE on ${table} refused`);
      expect(() => db.prepare(`DELETE FROM ${table}`).run(), table).toThrow(`sealed store: DELETE on ${table} refused`);
    }
    expect([...legacy].filter((t) => SEALED_TABLES.some((s) => s.table === t))).toEqual(['events', 'correlations']);
    // an event row's current kind may change (its history is the ledgered batches), every other column not
    for (const c of ['key', 'id_tail', 'type', 'source', 'pid', 'process_start_ns', 'cgroup', 'container', 'batch', 'block_id', 'pos']) {
      expect(() => db.prepare(`UPDATE event_rows SET ${c} = ${c}`).run(), c).toThrow('sealed store: UPDATE on event_rows refused');
    }
    expect(db.prepare('UPDATE event_rows SET kind = kind').run().changes).toBe(1);
    // REPLACE would delete without a DELETE trigger: it is refused or has no effect
    for (const table of ['event_blocks', 'event_rows', 'strings', 'correlation_kinds', 'correlation_batches', 'verdict_batches']) {
      expect(() => db.prepare(`INSERT OR REPLACE INTO ${table} SELECT * FROM ${table}`).run(), table).toThrow(`REPLACE on ${table} refused`);
    }
    db.exec('BEGIN');
    try {
      db.prepare(`INSERT INTO events (event_id, time_ns, type, source, body, ledger_seq) VALUES ('${'e'.repeat(64)}', 1, 't', 's', '{"a":1}', 1)`).run();
      db.prepare(`INSERT INTO correlations (event_id, tier, confidence, keys_matched, reason, ledger_seq) VALUES ('${'e'.repeat(64)}', 'unattributed', 0, '[]', 'r', 1)`).run();
      for (const table of legacy) {
        expect(() => db.prepare(`UPDATE ${table} SET ledger_seq = ledger_seq`).run(), table).toThrow(`sealed store: UPDATE on ${table} refused`);
        expect(() => db.prepare(`DELETE FROM ${table}`).run(), table).toThrow(`sealed store: DELETE on ${table} refused`);
      }
      const before = db.prepare('SELECT body FROM events').get() as { body: string };
      db.prepare(`INSERT OR REPLACE INTO events (event_id, time_ns, type, source, body) SELECT event_id, 0, 'x', 'x', '{}' FROM events`).run();
      expect(db.prepare('SELECT body FROM events').get()).toEqual(before);
      expect(() => db.prepare(`INSERT OR REPLACE INTO correlations SELECT * FROM correlations`).run()).toThrow(/REPLACE on correlations refused/);
    } finally {
      db.exec('ROLLBACK');
    }
    expect(count(db, 'SELECT COUNT(*) AS n FROM events') + count(db, 'SELECT COUNT(*) AS n FROM correlations')).toBe(0);
    // leaving sealed is refused, through SQL too
    expect(() => db.prepare(`UPDATE meta SET value = 'mutable' WHERE key = 'mode'`).run()).toThrow(/cannot be changed/);
    expect(() => db.prepare(`DELETE FROM meta WHERE key = 'mode'`).run()).toThrow(/cannot be changed/);
    db.close();
    const again = openStore(dir.path);
    expect(() => again.setMode('mutable')).toThrow(/sealed; going back to mutable is refused/);
    expect(() => again.setMode('revisioned')).toThrow(/refused/);
    expect(again.mode).toBe('sealed');
    expect(verified(again)).toMatchObject({ ok: true });
    again.close();
  });

  it('sealed: re-evaluation appends versions, and a re-derived DAG adds a derivation without touching old nodes', () => {
    const store = openStore(dir.path);
    store.setMode('sealed');
    populate(store);
    const e = event(1);
    store.putVerdicts([verdict(e, 'run-1', [])]); // the rule no longer matches: decision and risk tombstoned
    expect(risksOfRun(store.db, 'run-1')).toEqual([]);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM risks')).toBe(2);
    const run = buildNode('run', 'run:run-1', { run_id: 'run-1' }, [], 'run-1');
    const tc2 = buildNode('tool_call', 'tool_call:tc2', { tool_call_id: 'tc2' }, [run.hash], 'run-1');
    const mark = kinds(store, 1).length + 1;
    store.replaceRunGraph('run-1', [run, tc2], []);
    store.replaceRunGraph('run-1', [run, tc2], []); // the same derivation again: nothing to write
    expect(kinds(store, mark)).toEqual(['revise:run_graphs']);
    expect(nodesOfRun(store.db, 'run-1').map((n) => n.key)).toEqual(['run:run-1', 'tool_call:tc2']);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM dag_nodes')).toBe(3);
    expect(verified(store)).toMatchObject({ ok: true });
    store.close();
  });

  it('mutable: a re-derived DAG drops the nodes only the old derivation used', () => {
    const store = openStore(dir.path);
    populate(store);
    const run = buildNode('run', 'run:run-1', { run_id: 'run-1' }, [], 'run-1');
    store.replaceRunGraph('run-1', [run], []);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM dag_nodes')).toBe(1);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM run_graphs')).toBe(1);
    expect(verified(store)).toMatchObject({ ok: true });
    store.close();
  });
});
