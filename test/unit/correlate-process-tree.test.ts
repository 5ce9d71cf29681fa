import { describe, expect, it } from 'vitest';
import { MAX_ANCESTRY_DEPTH, ProcessTree } from '../../src/correlate/index.js';
import { RuntimeEventSchema, type RuntimeEvent, type RuntimeEventInput } from '../../src/model/index.js';

function ev(fields: Partial<RuntimeEventInput>): RuntimeEvent {
  return RuntimeEventSchema.parse({ type: 'file_open', source: 'native_jsonl', time_ns: 0, ...fields });
}

function treeOf(events: RuntimeEvent[]): ProcessTree {
  const tree = new ProcessTree();
  for (const e of events) tree.observe(e);
  return tree;
}

describe('ProcessTree', () => {
  it('tells two instances of a reused pid apart by start time', () => {
    const tree = treeOf([
      ev({ type: 'process_exec', pid: 77, process_start_ns: 100, time_ns: 100, exe: '/bin/sleep' }),
      ev({ type: 'process_exit', pid: 77, process_start_ns: 100, time_ns: 200 }),
      ev({ type: 'process_exec', pid: 77, process_start_ns: 500, time_ns: 500, exe: '/bin/curl' }),
    ]);
    expect(tree.resolve(77, 150n)).toBe('77@100');
    expect(tree.resolve(77, 300n)).toBeNull(); // between the two lives
    expect(tree.resolve(77, 600n)).toBe('77@500');
    expect(tree.get('77@100')?.exe).toBe('/bin/sleep');
    expect(tree.get('77@500')?.exe).toBe('/bin/curl');
    expect(tree.get('77@100')?.exit_ns).toBe(200n);
  });

  it('links a fork child to the forking instance, and an exec keeps the instance', () => {
    const tree = treeOf([
      ev({ type: 'process_exec', pid: 10, process_start_ns: 5, time_ns: 5, exe: '/bin/bash' }),
      ev({ type: 'process_fork', pid: 11, process_start_ns: 20, ppid: 10, parent_start_ns: 5, time_ns: 20, exe: '/bin/bash' }),
      ev({ type: 'process_exec', pid: 11, process_start_ns: 20, ppid: 10, parent_start_ns: 5, time_ns: 21, exe: '/usr/bin/git' }),
    ]);
    expect(tree.instances().map((p) => p.key)).toEqual(['10@5', '11@20']);
    expect(tree.parentOf('11@20')).toBe('10@5');
    expect(tree.children('10@5')).toEqual(['11@20']);
    expect(tree.get('11@20')?.exe).toBe('/usr/bin/git');
  });

  it('builds ancestry from pid+ppid alone (Falco gives no fork events), in any order', () => {
    const events = [
      ev({ pid: 77, ppid: 75, time_ns: 300, path: '/etc/shadow' }),
      ev({ pid: 75, ppid: 70, time_ns: 200 }),
      ev({ pid: 70, ppid: 1, time_ns: 100 }),
    ];
    const a = treeOf(events);
    const b = treeOf([...events].reverse());
    expect(a.ancestors('77@?')).toEqual(['75@?', '70@?', '1@?']);
    expect(b.instances()).toEqual(a.instances());
  });

  it('keeps the first parent when a process is later re-parented to init', () => {
    const tree = treeOf([ev({ pid: 77, ppid: 1, time_ns: 900 }), ev({ pid: 77, ppid: 75, time_ns: 100 })]);
    expect(tree.parentOf('77@?')).toBe('75@?');
  });

  it('splits a pid without start times at its exit', () => {
    const tree = treeOf([
      ev({ pid: 77, ppid: 70, time_ns: 100 }),
      ev({ type: 'process_exit', pid: 77, ppid: 70, time_ns: 150 }),
      ev({ pid: 77, ppid: 90, time_ns: 400 }),
    ]);
    expect(tree.resolve(77, 120n)).toBe('77@?');
    expect(tree.resolve(77, 400n)).toBe('77@?151');
    expect(tree.parentOf('77@?')).toBe('70@?');
    expect(tree.parentOf('77@?151')).toBe('90@?');
  });

  it('gives the later life of a pid seen without start times its own instance and parent', () => {
    const events = [
      ev({ pid: 77, ppid: 70, time_ns: 100 }),
      ev({ type: 'process_exec', pid: 77, process_start_ns: 500, time_ns: 500 }),
      ev({ type: 'process_exit', pid: 77, process_start_ns: 500, time_ns: 600 }),
      ev({ pid: 77, ppid: 70, time_ns: 700 }),
    ];
    const live = new ProcessTree();
    for (const e of events) {
      live.observe(e);
      live.instances();
    }
    for (const tree of [live, treeOf([...events].reverse())]) {
      expect(tree.resolve(77, 700n)).toBe('77@?601');
      expect(tree.parentOf('77@?601')).toBe('70@?');
      expect(tree.parentOf('77@?')).toBe('70@?');
      expect(tree.resolve(77, 550n)).toBe('77@500');
    }
  });

  it('prefers an instance with a known start over a start-less one at the same time', () => {
    const tree = treeOf([
      ev({ pid: 77, time_ns: 50 }),
      ev({ type: 'process_exec', pid: 77, process_start_ns: 100, time_ns: 100 }),
      ev({ pid: 77, time_ns: 120 }),
    ]);
    expect(tree.resolve(77, 50n)).toBe('77@?');
    expect(tree.resolve(77, 120n)).toBe('77@100');
  });

  it('stops at a cycle and caps ancestry at 64', () => {
    const cyc = treeOf([ev({ pid: 1000, ppid: 1001, time_ns: 1 }), ev({ pid: 1001, ppid: 1000, time_ns: 2 })]);
    expect(cyc.ancestors('1000@?')).toEqual(['1001@?']);
    const chain = treeOf(Array.from({ length: 100 }, (_, i) => ev({ pid: 2000 + i, ppid: 2001 + i, time_ns: 10 })));
    expect(chain.ancestors('2000@?')).toHaveLength(MAX_ANCESTRY_DEPTH);
  });

  it('is the same tree whatever the order, patched live after every event or built once', () => {
    const shape = (t: ProcessTree) =>
      JSON.stringify(
        t.instances().map((p) => ({ ...p, kids: t.children(p.key) })),
        (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
      );
    for (let seed = 1; seed <= 120; seed++) {
      // Every process with its start time (Tetragon, the eBPF sensor), none (Falco), or a mix.
      const events = randomEvents(seed, 100, (['starts', 'falco', 'mixed'] as const)[seed % 3]!);
      const sorted = [...events].sort((a, b) => (a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : 0));
      const live = new ProcessTree();
      sorted.forEach((e, i) => {
        live.observe(e);
        // The live tree answers after each event (patched); a fresh one is built from the same events reversed.
        expect(shape(live), `seed ${seed} event ${i}`).toBe(shape(treeOf(sorted.slice(0, i + 1).reverse())));
      });
    }
  });
});

/** A deterministic mix of pid reuse, start-less sightings, forks, execs and exits over a few pids. */
function randomEvents(seed: number, n: number, mode: 'starts' | 'falco' | 'mixed'): RuntimeEvent[] {
  let x = seed;
  const rnd = (m: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  const types =
    mode === 'falco'
      ? (['process_exec', 'file_open', 'file_open', 'file_open', 'file_open', 'file_open', 'file_open'] as const)
      : (['process_exec', 'process_fork', 'process_exit', 'file_open', 'file_open'] as const);
  return Array.from({ length: n }, () => {
    const withStart = mode === 'starts' || (mode === 'mixed' && rnd(3) > 0);
    const withParent = rnd(4) > 0;
    const parentStart = mode === 'starts' || (mode === 'mixed' && rnd(2) === 0);
    return ev({
      type: types[rnd(types.length)]!,
      pid: 1 + rnd(8),
      time_ns: rnd(1000),
      process_start_ns: withStart ? rnd(3) * 300 : null,
      ppid: withParent ? 1 + rnd(8) : null,
      parent_start_ns: withParent && parentStart ? rnd(3) * 300 : null,
      exe: rnd(2) === 0 ? `/bin/p${rnd(4)}` : null,
    });
  });
}

