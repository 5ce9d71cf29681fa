import { describe, expect, it } from 'vitest';
import { Correlator } from '../../src/correlate/index.js';
import { buildEdge, buildNode, deriveRunGraph, nodeHash, type RunGraph, type RunGraphInput } from '../../src/graph/index.js';
import { RuntimeEventSchema, ToolCallScopeSchema, type DagNode } from '../../src/model/index.js';
import { runFixture } from './graph-run-fixture.js';

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function byKey(g: RunGraph, key: string): DagNode {
  const n = g.nodes.find((x) => x.key === key);
  if (!n) throw new Error(`no node ${key}`);
  return n;
}

function edgeNames(g: RunGraph, from: DagNode, to: DagNode): string[] {
  return g.edges.filter((e) => e.from === from.hash && e.to === to.hash).map((e) => e.name);
}

describe('buildNode / buildEdge', () => {
  it('hashes kind, key, body and sorted parents; bigint bodies become decimal strings', () => {
    const a = buildNode('process', 'process:77:123', { start_ns: 123n, exe: undefined }, ['b'.repeat(64), 'a'.repeat(64)], 'r');
    expect(a.parents).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(a.body).toEqual({ start_ns: '123' });
    expect(a.hash).toBe(nodeHash('process', 'process:77:123', { start_ns: '123' }, a.parents));
    expect(buildNode('process', 'process:77:123', { start_ns: 123n }, [...a.parents].reverse(), null).hash).toBe(a.hash);
    expect(buildNode('process', 'process:77:124', { start_ns: 123n }, a.parents, 'r').hash).not.toBe(a.hash);
    const e = buildEdge('process_forked', 'a'.repeat(64), 'b'.repeat(64), 'r');
    expect(e.hash).not.toBe(buildEdge('process_forked', 'b'.repeat(64), 'a'.repeat(64), 'r').hash);
  });
});

describe('deriveRunGraph', () => {
  it('is byte-identical for the same evidence in any order', () => {
    const input = runFixture();
    const first = JSON.stringify(deriveRunGraph(input));
    for (const seed of [1, 2, 3]) {
      const again: RunGraphInput = {
        ...input,
        events: shuffled(input.events, seed),
        correlations: shuffled(input.correlations, seed + 10),
        decisions: shuffled(input.decisions!, seed),
        risks: shuffled(input.risks!, seed),
      };
      expect(JSON.stringify(deriveRunGraph(again))).toBe(first);
    }
  });

  it('links run -> session -> attempt -> tool call -> process -> child process -> event -> decision -> risk -> response', () => {
    const input = runFixture();
    const g = deriveRunGraph(input);
    const [run, session, attempt, tc] = ['run:run-1', 'session:run-1/s-1', 'attempt:run-1/s-1/1', 'tool_call:tc-1'].map((k) => byKey(g, k));
    const sh = byKey(g, 'process:70:100');
    const curl = byKey(g, 'process:75:1100');
    const shadowId = input.events[4]!.event_id!;
    const shadow = byKey(g, `event:${shadowId}`);
    const decision = byKey(g, 'decision:d-shadow');
    const risk = byKey(g, 'risk:r-shadow');
    const kill = byKey(g, 'response:a-kill');
    const file = byKey(g, 'file:/etc/shadow');
    expect(edgeNames(g, run!, session!)).toEqual(['run_has_session']);
    expect(edgeNames(g, session!, attempt!)).toEqual(['session_has_attempt']);
    expect(edgeNames(g, attempt!, tc!)).toEqual(['attempt_has_tool_call']);
    expect(edgeNames(g, tc!, curl)).toEqual(['tool_call_spawned']);
    expect(edgeNames(g, sh, curl)).toEqual(['process_forked']);
    expect(edgeNames(g, curl, shadow)).toEqual(['process_emitted']);
    expect(edgeNames(g, tc!, shadow)).toEqual(['tool_call_emitted']);
    expect(edgeNames(g, shadow, file)).toEqual(['event_touched_file']);
    expect(edgeNames(g, decision, shadow)).toEqual(['decision_on']);
    expect(edgeNames(g, risk, decision)).toEqual(['risk_from']);
    expect(edgeNames(g, kill, risk)).toEqual(['response_to']);
    expect(g.edges.some((e) => e.name === 'event_connected' && e.to === byKey(g, 'endpoint:169.254.169.254:80').hash)).toBe(true);
    // Merkle parents: each node names what it derives from.
    expect(shadow.parents).toEqual([curl.hash]);
    expect(curl.parents).toEqual([sh.hash, tc!.hash].sort());
    expect(decision.parents).toEqual([shadow.hash]);
    expect(risk.parents).toEqual([decision.hash]);
    expect(kill.parents).toEqual([risk.hash]);
    // The event node keeps the whole normalized event and how it was attributed.
    expect(shadow.body.event).toMatchObject({ event_id: shadowId, path: '/etc/shadow', time_ns: '1300' });
    expect(shadow.body.correlation).toMatchObject({ tool_call_id: 'tc-1', tier: 'own_cgroup', confidence: 1 });
    expect(curl.body).toMatchObject({ pid: 75, start_ns: '1100', exe: '/usr/bin/curl' });
  });

  it('changes every descendant hash when an ancestor changes, and nothing else', () => {
    const input = runFixture();
    const before = deriveRunGraph(input);
    const renamed = { ...input, scopes: [{ ...input.scopes[0]!, tool_name: 'bash' }] };
    const after = deriveRunGraph(renamed);
    const hashOf = (g: RunGraph) => new Map(g.nodes.map((n) => [n.key, n.hash]));
    const [b, a] = [hashOf(before), hashOf(after)];
    const changed = [...b.keys()].filter((k) => a.get(k) !== b.get(k)).map((k) => k.split(':')[0]);
    expect(new Set(changed)).toEqual(new Set(['tool_call', 'process', 'event', 'decision', 'risk', 'response']));
    expect(a.get('run:run-1')).toBe(b.get('run:run-1'));
    expect(a.get('file:/etc/shadow')).toBe(b.get('file:/etc/shadow'));
  });


  it('ends a tool call by adding its end node and edge: no node already derived changes its hash', () => {
    const input = runFixture();
    const open = deriveRunGraph(input);
    const ended = deriveRunGraph({ ...input, scopes: [{ ...input.scopes[0]!, ended_at_ns: 5000n }] });
    const openHashes = new Set(open.nodes.map((n) => n.hash));
    const endedHashes = new Set(ended.nodes.map((n) => n.hash));
    expect([...openHashes].filter((h) => !endedHashes.has(h))).toEqual([]);
    const added = ended.nodes.filter((n) => !openHashes.has(n.hash));
    expect(added.map((n) => [n.kind, n.key, n.body])).toEqual([
      ['tool_call_end', 'tool_call_end:tc-1', { run_id: 'run-1', binding_id: 'b-1', tool_call_id: 'tc-1', ended_at_ns: '5000' }],
    ]);
    expect(added[0]!.parents).toEqual([byKey(open, 'tool_call:tc-1').hash]);
    const openEdges = new Set(open.edges.map((e) => e.hash));
    expect(ended.edges.filter((e) => !openEdges.has(e.hash)).map((e) => e.name)).toEqual(['tool_call_ended']);
    // the end moves later (a re-bind): only the end node changes
    const later = deriveRunGraph({ ...input, scopes: [{ ...input.scopes[0]!, ended_at_ns: 6000n }] });
    const changed = later.nodes.filter((n) => !endedHashes.has(n.hash)).map((n) => n.kind);
    expect(changed).toEqual(['tool_call_end']);
  });
  it('uses the correlator\'s process keys when given, telling a reused pid apart', () => {
    const scope = ToolCallScopeSchema.parse({ run_id: 'r', tool_call_id: 'tc', started_at_ns: 0, pids: [{ pid: 70 }] });
    const mk = (time_ns: number, pid: number, ppid: number, id: string) =>
      RuntimeEventSchema.parse({ type: 'file_open', source: 'falco', time_ns, pid, ppid, event_id: id.repeat(64), path: `/f${id}` });
    const events = [
      mk(10, 70, 1, 'a'),
      mk(20, 77, 70, 'b'),
      RuntimeEventSchema.parse({ type: 'process_exit', source: 'falco', time_ns: 30, pid: 77, event_id: 'c'.repeat(64) }),
      mk(40, 77, 70, 'd'),
    ];
    const c = new Correlator();
    c.addScope(scope);
    for (const e of events) c.observe(e);
    const correlations = events.map((e) => c.correlate(e));
    const process_keys = Object.fromEntries(events.map((e) => [e.event_id!, c.tree.keyOf(e)]));
    const g = deriveRunGraph({ run_id: 'r', scopes: [scope], events, correlations, processes: c.tree.instances(), process_keys });
    const procs = g.nodes.filter((n) => n.kind === 'process').map((n) => n.key);
    expect(procs).toEqual(['process:70:?', 'process:77:?', 'process:77:?31']);
    const forked = g.edges.filter((e) => e.name === 'process_forked').length;
    expect(forked).toBe(2);
  });
});
