/**
 * Issue 12: ending a tool call must not re-judge (and so rewrite) the evidence it already covers: only
 * events after the end change attribution. Real store, real ledger.
 *
 * Reads the event layout of migration 007: a changed attribution is a pair (event key, kind) in one
 * `put:correlation_batches` entry per transaction; an unchanged one writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { EvidenceEngine, finalizeEvent } from '../../src/engine/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import type { ToolCallScope } from '../../src/model/index.js';
import { freshStoreEachTest } from '../helpers/store.js';
import { batches } from '../helpers/raw-event-rows.js';

const POLICY = 'version: 1\nname: t\ndefault_action: audit\nrules: []\n';

function scope(ended: bigint | null): ToolCallScope {
  return {
    run_id: 'r1', session_id: 's', attempt_id: '1', tool_call_id: 'tc', tool_name: null, args_hash: null, agent_id: null, owner: null,
    started_at_ns: 1_000n, ended_at_ns: ended, own_cgroup_ids: ['77'], cgroup_ids: [], container_ids: [], pids: [], asserted: false,
    confidence: 1,
  };
}

describe('ending a scope', () => {
  const ctx = freshStoreEachTest();

  it('re-judges only the events after its end, and writes no new version of the ones it covers', () => {
    const store = ctx.store;
    const engine = new EvidenceEngine({ sink: store, policy: loadPolicy(POLICY, 't.yaml'), clock: () => 5n });
    const { scope: bound } = engine.bind(scope(null));
    const events = Array.from({ length: 1000 }, (_, i) =>
      finalizeEvent({ type: 'file_open', source: 'agentprov_ebpf', time_ns: BigInt(2_000 + i), pid: 9, cgroup_id: '77', path: `/f${i}`, open_flags: ['read'] }),
    );
    engine.storeJudged(engine.judgeBatch(events), null);
    expect(store.query.correlationsOfRun('r1')).toHaveLength(1000);
    const seqBefore = [...store.query.iterateLedger()].length;

    const { stats } = engine.bind({ ...bound, ended_at_ns: 2_599n }); // 600 inside, 400 after
    expect(stats.received).toBe(400);
    const after = [...store.query.iterateLedger()].slice(seqBefore);
    const kinds = after.map((e) => e.kind);
    // one new kind (the 400 are unattributed now, all for the same reason), one batch, the scope's new version
    expect(kinds.filter((k) => k === 'put:correlation_kinds')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'put:correlation_batches')).toHaveLength(1);
    expect(kinds.filter((k) => k.endsWith(':scopes'))).toHaveLength(1);
    expect(kinds).toHaveLength(3);
    // the batch sets exactly the 400 events after the end, and none of the 600 the scope covers
    const batchSeq = after.find((e) => e.kind === 'put:correlation_batches')!.seq;
    const batch = batches(store.db).find((b) => b.seq === batchSeq)!;
    const keysAfterEnd = store.db.prepare('SELECT key FROM event_rows WHERE time_ns > 2599').safeIntegers(true).pluck().all() as bigint[];
    expect(keysAfterEnd).toHaveLength(400);
    expect(batch.pairs).toHaveLength(400);
    expect(new Set(batch.pairs.map((p) => p.key))).toEqual(new Set(keysAfterEnd));
    expect(store.query.correlationsOfRun('r1')).toHaveLength(600);

    // ending it again at the same time changes nothing; moving the end later re-judges from the old end
    const seqAgain = [...store.query.iterateLedger()].length;
    expect(engine.bind({ ...bound, ended_at_ns: 2_599n }).stats.received).toBe(0);
    expect([...store.query.iterateLedger()]).toHaveLength(seqAgain);
    expect(engine.bind({ ...bound, ended_at_ns: 2_799n }).stats.received).toBe(400);
    expect(store.query.correlationsOfRun('r1')).toHaveLength(800);
  });
});

describe('re-binding a stored scope in a new engine', () => {
  const ctx = freshStoreEachTest();

  it('re-judges its whole window (the new engine may carry another policy)', () => {
    const store = ctx.store;
    const first = new EvidenceEngine({ sink: store, policy: loadPolicy(POLICY, 't.yaml'), clock: () => 5n });
    const { scope: bound } = first.bind(scope(3_000n));
    const events = Array.from({ length: 10 }, (_, i) =>
      finalizeEvent({ type: 'file_open', source: 'agentprov_ebpf', time_ns: BigInt(2_000 + i), pid: 9, cgroup_id: '77', path: `/f${i}`, open_flags: ['read'] }),
    );
    first.storeJudged(first.judgeBatch(events), null);
    const second = new EvidenceEngine({ sink: store, policy: loadPolicy(POLICY, 't.yaml'), clock: () => 5n });
    expect(second.bind(bound).stats.received).toBe(10);
  });
});
