import { describe, expect, it } from 'vitest';
import { Correlator, recorrelate } from '../../src/correlate/index.js';
import {
  RuntimeEventSchema,
  ToolCallScopeSchema,
  type RuntimeEvent,
  type RuntimeEventInput,
  type ToolCallScope,
  type ToolCallScopeInput,
} from '../../src/model/index.js';

let seq = 0;
function ev(fields: Partial<RuntimeEventInput>): RuntimeEvent {
  seq += 1;
  const id = seq.toString(16).padStart(64, '0');
  return RuntimeEventSchema.parse({ type: 'file_open', source: 'falco', time_ns: 0, event_id: id, ...fields });
}

function scope(fields: Partial<ToolCallScopeInput>): ToolCallScope {
  return ToolCallScopeSchema.parse({ run_id: 'run-1', tool_call_id: 'tc-1', started_at_ns: 1000, ...fields });
}

function correlateAll(scopes: ToolCallScope[], events: RuntimeEvent[]) {
  const c = new Correlator();
  for (const s of scopes) c.addScope(s);
  for (const e of events) c.observe(e);
  return events.map((e) => c.correlate(e));
}

const FULL_ID = '9656db3bb358a1b2c3d4e5f60718293a4b5c6d7e8f9001122334455667788990';

describe('Correlator tiers', () => {
  it('attributes only the pid instance alive in the window when the pid was reused', () => {
    const s = scope({ started_at_ns: 1000, ended_at_ns: 2000, pids: [{ pid: 77 }] });
    const events = [
      ev({ type: 'process_exec', pid: 77, process_start_ns: 500, time_ns: 500 }),
      ev({ type: 'process_exit', pid: 77, process_start_ns: 500, time_ns: 1200 }),
      ev({ type: 'process_exec', pid: 77, process_start_ns: 1300, time_ns: 1300 }),
      ev({ pid: 77, time_ns: 1100, path: '/a' }), // first instance, alive when the scope began
      ev({ pid: 77, time_ns: 1400, path: '/b' }), // second instance: a different process
    ];
    const [, , , first, second] = correlateAll([s], events);
    expect(first).toMatchObject({ tool_call_id: 'tc-1', tier: 'pid_ancestry', confidence: 0.85 });
    // Keys come from the event and the binding, not from what the tree resolved: stable however late it learned.
    expect(first!.keys_matched).toEqual(['pid=77']);
    expect(second).toMatchObject({ tool_call_id: null, tier: 'unattributed', confidence: 0, binding_id: null });
  });

  it('matches an exact pid start when the binding gives one', () => {
    const s = scope({ started_at_ns: 0, pids: [{ pid: 77, start_ns: 1300 }] });
    const events = [
      ev({ pid: 77, process_start_ns: 500, time_ns: 600 }),
      ev({ pid: 77, process_start_ns: 1300, time_ns: 1400 }),
    ];
    const [old, cur] = correlateAll([s], events);
    expect(old!.tier).toBe('unattributed');
    expect(cur).toMatchObject({ tier: 'pid_ancestry', keys_matched: ['pid=77@start=1300'] });
  });

  it('attributes a grandchild of a bound pid from ppid-only evidence, as Falco gives it', () => {
    const s = scope({ pids: [{ pid: 70 }] });
    const events = [
      ev({ type: 'process_exec', pid: 75, ppid: 70, time_ns: 1100, exe: '/bin/sh' }),
      ev({ pid: 77, ppid: 75, time_ns: 1200, path: '/etc/shadow' }),
    ];
    const c = correlateAll([s], events)[1]!;
    expect(c).toMatchObject({ tool_call_id: 'tc-1', tier: 'pid_ancestry', confidence: 0.85 });
    expect(c.keys_matched).toEqual(['pid=77', 'ancestor_pid=70']);
    expect(c.reason).toContain('2 up from pid 77');
  });

  it('writes the keys from the event and the binding, as pid@start when they give one', () => {
    const s = scope({ started_at_ns: 0, pids: [{ pid: 70, start_ns: 100 }] });
    const events = [
      ev({ type: 'process_exec', pid: 70, process_start_ns: 100, time_ns: 100 }),
      ev({ type: 'process_fork', pid: 77, process_start_ns: 123, ppid: 70, parent_start_ns: 100, time_ns: 123 }),
    ];
    const c = correlateAll([s], events)[1]!;
    expect(c.keys_matched).toEqual(['pid=77@start=123', 'ancestor_pid=70@start=100']);
    expect(c.reason).toMatch(/^ancestor pid 70@start=100 \(1 up from pid 77@start=123\) matches tool call tc-1/);
  });

  it('matches container ids given as 12, 64 chars or with a runtime prefix', () => {
    const short = scope({ tool_call_id: 'tc-short', container_ids: ['9656db3bb358'] });
    const events = [
      ev({ container_id: FULL_ID, time_ns: 1100 }),
      ev({ container_id: `containerd://${FULL_ID.toUpperCase()}`, time_ns: 1100 }),
      ev({ container_id: '9656db3bb359', time_ns: 1100 }),
      ev({ container_id: 'host', time_ns: 1100 }),
    ];
    const got = correlateAll([short], events).map((c) => c.tier);
    expect(got).toEqual(['container', 'container', 'unattributed', 'unattributed']);
    const long = scope({ tool_call_id: 'tc-long', container_ids: [`docker://${FULL_ID}`] });
    const [c] = correlateAll([long], [ev({ container_id: '9656db3bb358', time_ns: 1100 })]);
    expect(c).toMatchObject({ tool_call_id: 'tc-long', confidence: 0.92, keys_matched: ['container_id=9656db3bb358'] });
    // Shorter than 12 characters names no container.
    const [tiny] = correlateAll([long], [ev({ container_id: '9656db3b', time_ns: 1100 })]);
    expect(tiny!.tier).toBe('unattributed');
  });

  it('ranks own cgroup over container over pid, and names the others', () => {
    const own = scope({ tool_call_id: 'tc-own', own_cgroup_ids: ['4242'], started_at_ns: 900 });
    const cont = scope({ tool_call_id: 'tc-cont', container_ids: ['9656db3bb358'], started_at_ns: 1000 });
    const pid = scope({ tool_call_id: 'tc-pid', pids: [{ pid: 77 }], started_at_ns: 1000 });
    const all = { pid: 77, time_ns: 1500, container_id: FULL_ID };
    const [a, b, c] = correlateAll(
      [pid, cont, own],
      [ev({ ...all, cgroup_id: '4242' }), ev({ ...all, cgroup_id: '1' }), ev({ ...all, container_id: null })],
    );
    expect(a).toMatchObject({ tool_call_id: 'tc-own', tier: 'own_cgroup', confidence: 1, keys_matched: ['cgroup_id=4242'] });
    expect(a!.reason).toContain('also matched tc-cont (container, 0.92), tc-pid (pid_ancestry, 0.85)');
    expect(b).toMatchObject({ tool_call_id: 'tc-cont', tier: 'container' });
    expect(c).toMatchObject({ tool_call_id: 'tc-pid', tier: 'pid_ancestry' });
  });

  it('prefers the most recent scope when two match at the same tier', () => {
    const session = scope({ tool_call_id: 'tc-session', cgroup_ids: ['99'], started_at_ns: 100 });
    const call = scope({ tool_call_id: 'tc-call', cgroup_ids: ['99'], started_at_ns: 1000, ended_at_ns: 2000 });
    const [c] = correlateAll([session, call], [ev({ cgroup_id: '99', time_ns: 1500 })]);
    expect(c).toMatchObject({ tool_call_id: 'tc-call', tier: 'shared_cgroup', confidence: 0.98 });
    expect(c!.reason).toContain('also matched tc-session');
  });

  it('caps an asserted binding at 0.5', () => {
    const s = scope({ own_cgroup_ids: ['4242'], asserted: true });
    const [c] = correlateAll([s], [ev({ cgroup_id: '4242', time_ns: 1100 })]);
    expect(c).toMatchObject({ tier: 'asserted', confidence: 0.5, keys_matched: ['cgroup_id=4242'] });
    expect(c!.reason).toContain('asserted');
  });

  it('keeps the binding confidence when it is lower than the tier', () => {
    const s = scope({ container_ids: ['9656db3bb358'], confidence: 0.7 });
    const [c] = correlateAll([s], [ev({ container_id: '9656db3bb358', time_ns: 1100 })]);
    expect(c).toMatchObject({ tier: 'container', confidence: 0.7 });
    expect(c!.reason).toContain('0.7 is below');
  });

  it('leaves events outside the window unattributed and says why', () => {
    const s = scope({ started_at_ns: 1000, ended_at_ns: 2000, cgroup_ids: ['4242'], own_cgroup_ids: ['5'] });
    const [before, after, ownAfter] = correlateAll(
      [s],
      [ev({ cgroup_id: '4242', time_ns: 999 }), ev({ cgroup_id: '4242', time_ns: 2001 }), ev({ cgroup_id: '5', time_ns: 2001 })],
    );
    expect(before!.tier).toBe('unattributed');
    expect(after!.tier).toBe('unattributed');
    expect(ownAfter!.tier).toBe('unattributed');
    expect(after!.reason).toContain('tc-1 (shared cgroup 4242, outside [1000, 2000])');
  });

  it('says what it looked for when nothing matched', () => {
    const s = scope({ cgroup_ids: ['1'] });
    const events = [ev({ pid: 70, ppid: 1, time_ns: 1 }), ev({ pid: 75, ppid: 70, time_ns: 2 }), ev({ pid: 77, ppid: 75, cgroup_id: '4242', time_ns: 1100 })];
    const c = correlateAll([s], events)[2]!;
    expect(c.reason).toBe('no scope owns cgroup 4242, container none, pid 77 or its 3 ancestors.');
    expect(correlateAll([], [events[2]!])[0]!.reason).toBe('no tool call scope is bound.');
  });

  it('uses a tool_call_id the event declares only as asserted evidence', () => {
    const [c] = correlateAll([scope({})], [ev({ tool_call_id: 'tc-1', time_ns: 5 })]);
    expect(c).toMatchObject({ tier: 'asserted', confidence: 0.5, keys_matched: ['tool_call_id=tc-1'] });
  });
});

describe('late binding', () => {
  it('gives the same correlations as binding before the events, whatever the event order', () => {
    const scopes = [
      scope({ tool_call_id: 'tc-a', pids: [{ pid: 70 }], started_at_ns: 1000, ended_at_ns: 5000 }),
      scope({ tool_call_id: 'tc-b', container_ids: ['9656db3bb358'], started_at_ns: 3000 }),
      scope({ tool_call_id: 'tc-c', own_cgroup_ids: ['4242'], started_at_ns: 6000, confidence: 0.9 }),
    ];
    const events: RuntimeEvent[] = [ev({ type: 'process_exec', pid: 70, ppid: 1, time_ns: 900, exe: '/bin/sh' })];
    for (let i = 0; i < 300; i++) {
      const t = 1000 + i * 25;
      events.push(ev({ type: 'process_fork', pid: 100 + i, ppid: 70, time_ns: t }));
      events.push(ev({ pid: 100 + i, ppid: 70, time_ns: t + 5, container_id: i % 3 === 0 ? FULL_ID : null, cgroup_id: i % 7 === 0 ? '4242' : '1' }));
    }
    const early = new Correlator();
    for (const s of scopes) early.addScope(s);
    const streamed = events.map((e) => early.correlate(e));
    const shuffled = [...events].reverse();
    const late = recorrelate(shuffled, scopes).reverse();
    expect(late).toEqual(streamed);
    const tiers = new Set(late.map((c) => c.tier));
    expect(tiers).toEqual(new Set(['pid_ancestry', 'container', 'own_cgroup', 'unattributed']));
  });

  it('attributes earlier events once a scope is added', () => {
    const c = new Correlator();
    const e = ev({ cgroup_id: '4242', time_ns: 1100 });
    c.observe(e);
    expect(c.correlate(e).tier).toBe('unattributed');
    c.addScope(scope({ own_cgroup_ids: ['4242'] }));
    expect(c.correlate(e).tier).toBe('own_cgroup');
  });
});

describe('Correlator caches', () => {
  it('answers mid-stream exactly as a fresh correlation of the events seen so far', () => {
    for (let seed = 1; seed <= 30; seed++) {
      let x = seed;
      const rnd = (m: number) => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return x % m;
      };
      const scopes = [
        scope({ tool_call_id: 'tc-a', pids: [{ pid: 1 + rnd(6) }], started_at_ns: rnd(300), ended_at_ns: 600 }),
        scope({ tool_call_id: 'tc-b', pids: [{ pid: 1 + rnd(6), start_ns: rnd(3) * 200 }], started_at_ns: rnd(500) }),
      ];
      const events = Array.from({ length: 60 }, () => {
        const start = rnd(2) === 0 ? rnd(3) * 200 : null;
        return ev({
          type: (['process_exec', 'process_fork', 'process_exit', 'file_open'] as const)[rnd(4)]!,
          pid: 1 + rnd(6),
          ppid: rnd(4) > 0 ? 1 + rnd(6) : null,
          process_start_ns: start,
          time_ns: rnd(1000),
        });
      });
      const c = new Correlator();
      for (const s of scopes) c.addScope(s);
      events.forEach((e, i) => {
        c.observe(e);
        const j = rnd(i + 1);
        const fresh = recorrelate(events.slice(0, i + 1), scopes)[j];
        expect(c.correlate(events[j]!), `seed ${seed} step ${i}`).toEqual(fresh);
      });
    }
  });
});
