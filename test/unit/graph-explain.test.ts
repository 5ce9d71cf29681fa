import { describe, expect, it } from 'vitest';
import { deriveRunGraph, explain, withEventNode } from '../../src/graph/index.js';
import { runFixture } from './graph-run-fixture.js';

const input = runFixture();
const graph = JSON.parse(JSON.stringify(deriveRunGraph(input))) as ReturnType<typeof deriveRunGraph>;
const shadowId = input.events[4]!.event_id!;
/** Every chain starts run -> session -> attempt -> tool call. */
const DOWN_TO_TOOL_CALL = [
  ['run', null, 'upstream'],
  ['session', 'run_has_session', 'upstream'],
  ['attempt', 'session_has_attempt', 'upstream'],
  ['tool_call', 'attempt_has_tool_call', 'upstream'],
];

describe('explain', () => {
  it('walks a risk back to the raw event and forward to the response', () => {
    const res = explain(graph, { kind: 'risk', value: 'r-shadow' });
    expect(res.found).toBe(true);
    expect(res.items.map((s) => [s.kind, s.via, s.role])).toEqual([
      ...DOWN_TO_TOOL_CALL,
      ['process', 'tool_call_spawned', 'upstream'],
      ['process', 'process_forked', 'upstream'],
      ['runtime_event', 'process_emitted', 'upstream'],
      ['policy_decision', 'decision_on', 'upstream'],
      ['risk_signal', 'risk_from', 'target'],
      ['response_action', 'response_to', 'downstream'],
    ]);
    const event = res.items[6]!;
    expect(event.key).toBe(`event:${shadowId}`);
    expect(event.raw_ref).toMatchObject({ file: 'falco.jsonl', line: 5 });
    expect(event.summary).toContain('file_open /etc/shadow by pid 75');
    expect(event.summary).toContain('[raw falco.jsonl:5]');
    expect(res.items[4]!.summary).toBe('pid 70 started 100 /bin/sh');
    expect(res.items[9]!.summary).toBe('kill cgroup 4242: done (cgroup.kill)');
  });

  it('accepts a decision id for --risk, and unique id prefixes', () => {
    const byDecision = explain(graph, { kind: 'risk', value: 'd-shadow' });
    expect(byDecision.items.find((s) => s.role === 'target')!.kind).toBe('policy_decision');
    const byPrefix = explain(graph, { kind: 'event', value: shadowId.slice(0, 10) });
    expect(byPrefix.items.find((s) => s.role === 'target')!.key).toBe(`event:${shadowId}`);
    expect(byPrefix.items.filter((s) => s.role === 'downstream').map((s) => s.kind)).toEqual([
      'policy_decision',
      'risk_signal',
      'response_action',
    ]);
  });

  it('explains a file through each event that touched it', () => {
    const res = explain(graph, { kind: 'file', value: '/etc/shadow' });
    expect(res.chains).toBe(1);
    const target = res.items.find((s) => s.role === 'target')!;
    expect(target).toMatchObject({ kind: 'file', key: 'file:/etc/shadow', via: 'event_touched_file' });
    expect(res.items[0]!.via).toBeNull();
  });

  it('explains a file no rule judged a write of through the process that wrote it, and the event when asked for', () => {
    const res = explain(graph, { kind: 'file', value: '/work/app.py' });
    expect(res.items.map((s) => [s.kind, s.via, s.role])).toEqual([
      ...DOWN_TO_TOOL_CALL,
      ['process', 'tool_call_spawned', 'upstream'],
      ['file', 'process_touched_file', 'target'],
    ]);
    const write = input.events[5]!;
    expect(explain(graph, { kind: 'event', value: write.event_id! }).found).toBe(false);
    const corr = input.correlations.find((c) => c.event_id === write.event_id)!;
    const drawn = withEventNode(graph, 'run-1', write, corr);
    const chain = explain(drawn, { kind: 'event', value: write.event_id!.slice(0, 12) });
    expect(chain.items.map((s) => [s.kind, s.via, s.role]).slice(-3)).toEqual([
      ['tool_call', 'attempt_has_tool_call', 'upstream'],
      ['process', 'tool_call_spawned', 'upstream'],
      ['runtime_event', 'process_emitted', 'target'],
    ]);
    // drawn as a judged event's node is: the same hash the full derivation gives it
    const judged = deriveRunGraph({ ...input, decisions: [...input.decisions!, { ...input.decisions![0]!, decision_id: 'd-w', event_id: write.event_id! }] });
    expect(drawn.nodes.find((n) => n.key === `event:${write.event_id}`)!.hash).toBe(judged.nodes.find((n) => n.key === `event:${write.event_id}`)!.hash);
  });

  it('lists what a tool call led to', () => {
    const res = explain(graph, { kind: 'tool_call', value: 'tc-1' });
    const down = res.items.filter((s) => s.role === 'downstream');
    expect(down.filter((s) => s.kind === 'process')).toHaveLength(2);
    // the judged events; the unjudged ones are in their processes (see the next test)
    expect(down.filter((s) => s.kind === 'runtime_event')).toHaveLength(2);
    expect(down.filter((s) => s.kind === 'risk_signal')).toHaveLength(2);
    const limited = explain(graph, { kind: 'tool_call', value: 'tc-1' }, { limit: 3 });
    expect(limited.truncated).toBe(true);
    expect(limited.items.filter((s) => s.role === 'downstream')).toHaveLength(3);
  });

  it('says what it could not find', () => {
    expect(explain(graph, { kind: 'file', value: '/nope' })).toMatchObject({ found: false, items: [], message: 'no file /nope in the graph' });
    const ambiguous = explain(graph, { kind: 'risk', value: 'r-' });
    expect(ambiguous.found).toBe(false);
    expect(ambiguous.message).toContain('2 risk signals start with r-');
  });
});
