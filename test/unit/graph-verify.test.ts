import { describe, expect, it } from 'vitest';
import { deriveRunGraph, nodeHash, verifyGraph, type RunGraph } from '../../src/graph/index.js';
import type { DagNode } from '../../src/model/index.js';
import { runFixture } from './graph-run-fixture.js';

/** As a store would hand it back: JSON text parsed again. */
function stored(): RunGraph {
  return JSON.parse(JSON.stringify(deriveRunGraph(runFixture()))) as RunGraph;
}

function find(g: RunGraph, key: string): DagNode {
  return g.nodes.find((n) => n.key === key)!;
}

describe('verifyGraph', () => {
  it('accepts a derived graph read back from JSON', () => {
    const g = stored();
    const v = verifyGraph(g.nodes, g.edges);
    expect(v).toEqual({ ok: true, checked_nodes: g.nodes.length, checked_edges: g.edges.length, problems: [] });
    expect(g.nodes.length).toBeGreaterThan(15);
  });

  it('names the node whose body changed by one byte', () => {
    const g = stored();
    const ev = g.nodes.find((n) => n.kind === 'runtime_event' && (n.body.event as { path?: string }).path === '/etc/shadow')!;
    (ev.body.event as { path: string }).path = '/etc/shadoW';
    const v = verifyGraph(g.nodes, g.edges);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      expect.objectContaining({ hash: ev.hash, kind: 'runtime_event', key: ev.key, problem: 'hash_mismatch' }),
    ]);
  });

  it('catches a changed parent list, even when the node hash was recomputed to match', () => {
    const g = stored();
    const risk = find(g, 'risk:r-shadow');
    risk.parents = [];
    expect(verifyGraph(g.nodes, g.edges).problems).toEqual([
      expect.objectContaining({ hash: risk.hash, kind: 'risk_signal', problem: 'hash_mismatch' }),
    ]);
    // A forger who recomputes the hash over a fake parent leaves a parent that is not in the graph.
    risk.parents = ['f'.repeat(64)];
    risk.hash = nodeHash(risk.kind, risk.key, risk.body, risk.parents);
    const problems = verifyGraph(g.nodes, g.edges).problems;
    expect(problems).toContainEqual(expect.objectContaining({ hash: risk.hash, problem: 'missing_parent', detail: expect.stringContaining('f'.repeat(64)) }));
    // ...and the old edges and children now point at a hash that no longer exists.
    expect(problems.filter((p) => p.problem === 'dangling_edge').map((p) => p.kind).sort()).toEqual(['response_to', 'risk_from']);
    expect(problems).toContainEqual(expect.objectContaining({ kind: 'response_action', problem: 'missing_parent' }));
  });

  it('names the children and edges left dangling by a removed node', () => {
    const g = stored();
    const curl = find(g, 'process:75:1100');
    const nodes = g.nodes.filter((n) => n !== curl);
    const v = verifyGraph(nodes, g.edges);
    const orphans = v.problems.filter((p) => p.problem === 'missing_parent');
    // curl's judged events (the metadata connect, the /etc/shadow read); its exec is in its process node
    expect(orphans.map((p) => p.kind)).toEqual(['runtime_event', 'runtime_event']);
    expect(orphans.every((p) => p.detail.includes(curl.hash))).toBe(true);
    const dangling = v.problems.filter((p) => p.problem === 'dangling_edge');
    expect(dangling.map((p) => p.kind).sort()).toEqual([
      'process_emitted', 'process_emitted', 'process_forked', 'tool_call_spawned',
    ]);
    expect(dangling.every((p) => p.detail.includes(curl.hash))).toBe(true);
  });

  it('names an edge whose ends were swapped or whose name was changed', () => {
    const g = stored();
    const edge = g.edges.find((e) => e.name === 'decision_on')!;
    [edge.from, edge.to] = [edge.to, edge.from];
    const other = g.edges.find((e) => e.name === 'risk_from')!;
    other.name = 'response_to';
    const problems = verifyGraph(g.nodes, g.edges).problems;
    expect(problems).toContainEqual(expect.objectContaining({ hash: edge.hash, kind: 'decision_on', problem: 'hash_mismatch' }));
    expect(problems).toContainEqual(expect.objectContaining({ hash: edge.hash, problem: 'edge_kind_mismatch' }));
    expect(problems).toContainEqual(expect.objectContaining({ hash: other.hash, kind: 'response_to', problem: 'hash_mismatch' }));
  });

  it('reports a malformed node instead of throwing', () => {
    const g = stored();
    const bad = { ...g.nodes[0]!, hash: 'nothex' } as DagNode;
    const v = verifyGraph([bad, ...g.nodes.slice(1)], []);
    expect(v.problems[0]).toMatchObject({ hash: 'nothex', problem: 'bad_shape' });
  });
});
