import { describe, expect, it } from 'vitest';
import { AgentprovError } from '../../src/errors.js';
import type { RuntimeEvent } from '../../src/model/index.js';
import { PolicyEvaluator, SequenceTracker, evaluateWithSequences, loadPolicy } from '../../src/policy/index.js';
import { ev } from './fixtures/policy/make-event.js';

const policy = loadPolicy(
  `version: 1
name: seq
rules:
  - id: key-read
    severity: high
    action: alert
    match: { event_type: file_open, path_glob: "~/.ssh/id_*" }
  - id: read-then-exfil
    severity: critical
    action: quarantine
    sequence:
      first: { event_type: file_open, path_glob: "~/.ssh/id_*" }
      then: { event_type: network_connect, dst_not_cidr: [10.0.0.0/8, 127.0.0.0/8] }
      within_ms: 5000
      same: tool_call
`,
  'seq.yaml',
);

const ms = (n: number) => BigInt(n) * 1_000_000n;
const read = (t: number): RuntimeEvent => ev({ type: 'file_open', path: '/root/.ssh/id_rsa', time_ns: ms(t) });
const connect = (t: number, dst_ip = '198.51.100.7'): RuntimeEvent => ev({ type: 'network_connect', dst_ip, dst_port: 443, time_ns: ms(t) });
const fired = (m: { rule_id: string }[]) => m.map((x) => x.rule_id);

describe('SequenceTracker', () => {
  it('fires when then follows first within the window in the same tool call', () => {
    const t = new SequenceTracker(policy);
    expect(t.observe(read(1000), 'tc1')).toEqual([]);
    expect(fired(t.observe(connect(5999), 'tc1'))).toEqual(['read-then-exfil']);
    // Every later egress inside the window fires too: each one is a possible exfiltration.
    expect(fired(t.observe(connect(6000), 'tc1'))).toEqual(['read-then-exfil']);
  });

  it('does not fire outside the window, across tool calls, before first, or when then does not match', () => {
    const t = new SequenceTracker(policy);
    t.observe(read(1000), 'tc1');
    expect(t.observe(connect(6001), 'tc1')).toEqual([]);
    expect(t.observe(connect(1500), 'tc2')).toEqual([]);
    expect(t.observe(connect(1500, '10.1.1.1'), 'tc1')).toEqual([]);
    const u = new SequenceTracker(policy);
    expect(u.observe(connect(500), 'tc1')).toEqual([]);
    u.observe(read(1000), 'tc1');
    expect(u.observe(connect(900), 'tc1')).toEqual([]);
  });

  it('does not track events without a tool call', () => {
    const t = new SequenceTracker(policy);
    t.observe(read(1000), null);
    expect(t.size).toBe(0);
    expect(t.observe(connect(1001), null)).toEqual([]);
  });

  it('a later first restarts the window', () => {
    const t = new SequenceTracker(policy);
    t.observe(read(1000), 'tc1');
    t.observe(read(4000), 'tc1');
    expect(fired(t.observe(connect(8000), 'tc1'))).toEqual(['read-then-exfil']);
  });

  it('stays bounded: expires by window and evicts the oldest past maxEntries, counting evictions', () => {
    const t = new SequenceTracker(policy, { maxEntries: 100 });
    for (let i = 0; i < 1000; i++) t.observe(read(1000 + i), `tc${i}`);
    expect(t.size).toBe(100);
    expect(t.evicted).toBe(900);
    expect(fired(t.observe(connect(2000), 'tc999'))).toEqual(['read-then-exfil']);
    expect(t.observe(connect(2000), 'tc0')).toEqual([]);
    t.observe(connect(60_000), 'tc999');
    expect(t.size).toBe(0);
  });
});

describe('evaluateWithSequences and PolicyEvaluator', () => {
  it('combine single-event and sequence matches and recompute the action', () => {
    const tracker = new SequenceTracker(policy);
    const scope = { tool_call_id: 'tc1', tool_name: 'python' };
    const first = evaluateWithSequences(policy, read(1000), { scope }, tracker);
    expect(first).toMatchObject({ action: 'alert' });
    const second = evaluateWithSequences(policy, connect(2000), { scope }, tracker);
    expect(fired(second.matches)).toEqual(['read-then-exfil']);
    expect(second).toMatchObject({ action: 'quarantine', would_action: 'quarantine' });
  });

  it('use the tool call the event declares when there is no scope', () => {
    const ev1 = { ...read(1000), tool_call_id: 'declared' };
    const ev2 = { ...connect(1200), tool_call_id: 'declared' };
    const e = new PolicyEvaluator(policy);
    e.evaluate(ev1, {});
    expect(e.evaluate(ev2, {}).action).toBe('quarantine');
    expect(e.hash).toBe(policy.hash);
  });

  it('refuse a tracker built for another policy', () => {
    const other = loadPolicy('version: 1\nname: o\nrules: []\n', 'o.yaml');
    expect(() => evaluateWithSequences(policy, read(1), {}, new SequenceTracker(other))).toThrow(AgentprovError);
  });
});
