/**
 * Issue 12 point 3: a run's graph grows as events are stored. A digest fed one event at a time, in any
 * order, draws the same graph as a re-derivation from every stored event; the engine keeps one per run it
 * binds, and the graph it stores is the one the store's events give.
 */
import { describe, expect, it, vi } from 'vitest';
import { recorrelate } from '../../src/correlate/index.js';
import { deriveRunGraph, drawRunGraph, eventIdFor, RunEventDigest, sha256Hex } from '../../src/graph/index.js';
import { RuntimeEventSchema, type RuntimeEvent } from '../../src/model/index.js';
import { EvidenceEngine, finalizeEvent } from '../../src/engine/index.js';
import { loadPolicy } from '../../src/policy/index.js';
import { EvidenceStore } from '../../src/store/index.js';
import { deriveRunGraph as derive } from '../../src/graph/derive-run-graph.js';
import { tempDir } from '../helpers/cli.js';
import { runFixture } from './graph-run-fixture.js';

const POLICY = `version: 1
name: p
rules:
  - id: w
    description: writes
    severity: low
    score: 1
    action: alert
    match:
      event_type: file_open
      open_flags_any: [write]
`;

let line = 5000;
function ev(fields: Record<string, unknown>): RuntimeEvent {
  line += 1;
  const sha = sha256Hex(`digest-${line}`);
  return RuntimeEventSchema.parse({ source: 'falco', host: 'h1', cgroup_id: '4242', event_id: eventIdFor('falco', sha), raw_ref: { file: 'f.jsonl', line, sha256: sha }, ...fields });
}

/** A deterministic shuffle (the digest must not care about arrival order). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('RunEventDigest', () => {
  it('fed in any order, draws the bytes deriveRunGraph gives from all events', () => {
    const base = runFixture();
    const extra = [
      ...Array.from({ length: 300 }, (_, i) => ev({ type: 'file_open', time_ns: 1500 + i, pid: 75, process_start_ns: 1100, path: `/usr/lib/l${i % 40}.so`, open_flags: ['read'] })),
      ...Array.from({ length: 30 }, (_, i) => ev({ type: 'file_open', time_ns: 1900 + i, pid: 76 + (i % 3), process_start_ns: 1200, ppid: 75, parent_start_ns: 1100, path: `/tmp/w${i}`, open_flags: ['write', 'create'] })),
      ev({ type: 'process_fork', time_ns: 1950, pid: 80, process_start_ns: 1950, ppid: 75, parent_start_ns: 1100, comm: 'child' }),
      ev({ type: 'network_connect', time_ns: 1960, pid: 80, process_start_ns: 1950, dst_ip: '127.0.0.1', dst_port: 9 }),
    ];
    const events = [...base.events, ...extra];
    const input = { ...base, events, correlations: recorrelate(events, base.scopes) };
    const full = deriveRunGraph(input);
    const corrOf = new Map(input.correlations.map((c) => [c.event_id, c]));
    const judged = new Set((input.decisions ?? []).map((d) => d.event_id));
    for (const seed of [1, 7, 42]) {
      const digest = new RunEventDigest();
      for (const e of shuffled(events, seed)) digest.add(e, corrOf.get(e.event_id!) ?? null, judged.has(e.event_id!));
      // an event folded twice counts once
      digest.add(events[0]!, corrOf.get(events[0]!.event_id!) ?? null, judged.has(events[0]!.event_id!));
      expect(digest.events).toBe(events.length);
      expect(drawRunGraph(input, digest)).toEqual(full);
    }
    expect(full.nodes.some((n) => n.kind === 'file_reads')).toBe(true);
  });
});

describe('the engine draws a run it bound from its digest', () => {
  it('stores the graph a re-derivation from the stored events gives, with and without a later re-correlation', () => {
    const dir = tempDir();
    const store = new EvidenceStore(dir.path);
    try {
      const policy = loadPolicy(POLICY, 'p.yaml');
      const engine = new EvidenceEngine({ sink: store, policy, clock: () => 1n });
      engine.bind({ run_id: 'r1', session_id: 's', attempt_id: '1', tool_call_id: 'tc', started_at_ns: 1000n, ended_at_ns: null, own_cgroup_ids: ['4242'], cgroup_ids: [], container_ids: [], pids: [], asserted: false, confidence: 1 });
      const batch = [
        ...Array.from({ length: 200 }, (_, i) => ({ type: 'file_open', source: 'agentprov_ebpf', time_ns: 2000 + i, pid: 90, process_start_ns: 1500, cgroup_id: '4242', path: `/lib/${i % 20}`, open_flags: ['read'] })),
        ...Array.from({ length: 10 }, (_, i) => ({ type: 'file_open', source: 'agentprov_ebpf', time_ns: 3000 + i, pid: 91, ppid: 90, process_start_ns: 2500, parent_start_ns: 1500, cgroup_id: '4242', path: `/w/${i}`, open_flags: ['write'] })),
      ].map((e) => finalizeEvent(e as never));
      engine.storeJudged(engine.judgeBatch(batch.slice(0, 120)), null);
      engine.storeJudged(engine.judgeBatch(batch.slice(120)), null);
      const reads = vi.spyOn(store, 'loadRunEvidence');
      engine.rebuildRun('r1');
      expect(reads).not.toHaveBeenCalled(); // drawn from the digest: the run's events were not read back
      reads.mockRestore();
      const fromStore = () => derive({ run_id: 'r1', ...store.loadRunEvidence('r1') });
      const stored = () => ({ nodes: store.query.nodesOfRun('r1', { raw: true }), edges: store.query.edgesOfRun('r1') });
      const g = fromStore();
      expect(stored().nodes.map((n) => n.hash).sort()).toEqual(g.nodes.map((n) => n.hash).sort());
      expect(stored().edges.map((e) => e.hash).sort()).toEqual(g.edges.map((e) => e.hash).sort());
      expect(g.nodes.filter((n) => n.kind === 'runtime_event')).toHaveLength(10);
      // ending the tool call before the last writes re-correlates them away: the digest is dropped and re-read
      engine.bind({ run_id: 'r1', session_id: 's', attempt_id: '1', tool_call_id: 'tc', started_at_ns: 1000n, ended_at_ns: 3004n, own_cgroup_ids: ['4242'], cgroup_ids: [], container_ids: [], pids: [], asserted: false, confidence: 1 });
      engine.rebuildRun('r1');
      const after = fromStore();
      expect(after.nodes.filter((n) => n.kind === 'runtime_event')).toHaveLength(5);
      expect(stored().nodes.map((n) => n.hash).sort()).toEqual(after.nodes.map((n) => n.hash).sort());
    } finally {
      store.close();
      dir.cleanup();
    }
  });
});
