/**
 * Issue 12 point 3 (first part): a process's read-only opens that no rule judged are one summary node
 * (path set and count), not a runtime_event node, an edge and a file node each.
 */
import { describe, expect, it } from 'vitest';
import { recorrelate } from '../../src/correlate/index.js';
import { deriveRunGraph, eventIdFor, explain, sha256Hex, verifyGraph } from '../../src/graph/index.js';
import { MAX_READ_PATHS } from '../../src/graph/derive-run-graph.js';
import { RuntimeEventSchema, type RuntimeEvent, type RuntimeEventInput } from '../../src/model/index.js';
import { runFixture } from './graph-run-fixture.js';

let line = 1000;
function read(pid: number, start: number, time: number, path: string, flags: RuntimeEventInput['open_flags'] = ['read']): RuntimeEvent {
  line += 1;
  const sha = sha256Hex(`read-${line}-${path}`);
  return RuntimeEventSchema.parse({
    source: 'falco', host: 'h1', cgroup_id: '4242', type: 'file_open', time_ns: time, pid, process_start_ns: start, path,
    open_flags: flags, event_id: eventIdFor('falco', sha), raw_ref: { file: 'falco.jsonl', line, sha256: sha },
  });
}

function withReads(extra: RuntimeEvent[]) {
  const base = runFixture();
  const events = [...base.events, ...extra];
  return { ...base, events, correlations: recorrelate(events, base.scopes) };
}

describe('deriveRunGraph: read-only opens', () => {
  it('folds a process\'s unjudged reads into one file_reads node under it; judged events keep their nodes', () => {
    const reads = Array.from({ length: 500 }, (_, i) => read(75, 1100, 1500 + i, `/usr/lib/lib${i % 50}.so`));
    const g = deriveRunGraph(withReads(reads));
    const summaries = g.nodes.filter((n) => n.kind === 'file_reads');
    expect(summaries).toHaveLength(1);
    const s = summaries[0]!;
    expect(s.key).toBe('file_reads:75:1100');
    expect(s.body).toMatchObject({ count: 500, distinct: 50, truncated: false });
    expect((s.body['paths'] as string[])[0]).toBe('/usr/lib/lib0.so');
    const curl = g.nodes.find((n) => n.key === 'process:75:1100')!;
    expect(s.parents).toEqual([curl.hash]);
    expect(g.edges.filter((e) => e.name === 'process_read_files' && e.from === curl.hash && e.to === s.hash)).toHaveLength(1);
    // no node per read: the judged fixture events (the read of /etc/shadow, the metadata connect) keep theirs
    expect(g.nodes.filter((n) => n.kind === 'runtime_event')).toHaveLength(2);
    expect(g.nodes.some((n) => n.key === 'file:/usr/lib/lib7.so')).toBe(false);
    expect(g.nodes.some((n) => n.key === 'file:/etc/shadow')).toBe(true);
    expect(g.nodes.some((n) => n.key === 'file:/work/app.py')).toBe(true);
    expect(verifyGraph(g.nodes, g.edges).ok).toBe(true);
  });

  it('leaves out of the read summary an open whose flags are unknown or that writes, creates or appends', () => {
    const g = deriveRunGraph(
      withReads([read(75, 1100, 1500, '/tmp/a', ['read', 'write']), read(75, 1100, 1501, '/tmp/b', ['read', 'create']), read(75, 1100, 1502, '/tmp/c', [])]),
    );
    expect(g.nodes.filter((n) => n.kind === 'file_reads')).toHaveLength(0);
    for (const p of ['/tmp/a', '/tmp/b', '/tmp/c']) expect(g.nodes.some((n) => n.key === `file:${p}`)).toBe(true);
  });

  it('bounds the path list and says so, while the count covers every open', () => {
    const reads = Array.from({ length: MAX_READ_PATHS + 5 }, (_, i) => read(70, 100, 2000 + i, `/src/f${String(i).padStart(5, '0')}`));
    const s = deriveRunGraph(withReads(reads)).nodes.find((n) => n.kind === 'file_reads')!;
    expect(s.body).toMatchObject({ count: MAX_READ_PATHS + 5, distinct: MAX_READ_PATHS + 5, truncated: true });
    expect(s.body['paths']).toHaveLength(MAX_READ_PATHS);
  });

  it('explain --file finds a read-only file through its readers\' summaries', () => {
    const g = deriveRunGraph(withReads([read(75, 1100, 1500, '/usr/share/zoneinfo/UTC')]));
    const r = explain(g, { kind: 'file', value: '/usr/share/zoneinfo/UTC' });
    expect(r.found).toBe(true);
    expect(r.items.map((i) => i.kind)).toContain('file_reads');
    expect(r.items.map((i) => i.kind)).toContain('tool_call');
    expect(explain(g, { kind: 'file', value: '/nowhere' }).found).toBe(false);
  });
});
