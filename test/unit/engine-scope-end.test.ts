/**
 * Issue 12: ending a tool call must not re-judge (and so rewrite) the evidence it already covers: only
 * events after the end change attribution. Real store, real ledger.
 */
import { describe, expect, it } from 'vitest';
import { EvidenceEngine, finalizeEvent } from '../../src/engine/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import type { ToolCallScope } from '../../src/model/index.js';
import { freshStoreEachTest } from '../helpers/store.js';

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
    const after = [...store.query.iterateLedger()].slice(seqBefore).map((e) => e.kind);
    expect(after.filter((k) => k.endsWith(':correlations'))).toHaveLength(400);
    expect(after.filter((k) => k.endsWith(':scopes'))).toHaveLength(1);
    expect(store.query.correlationsOfRun('r1')).toHaveLength(600);

    // ending it again at the same time changes nothing; moving the end later re-judges from the old end
    expect(engine.bind({ ...bound, ended_at_ns: 2_599n }).stats.received).toBe(0);
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
