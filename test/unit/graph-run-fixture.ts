/** A small recorded run: a tool call whose shell forks curl, which reads /etc/shadow and calls the metadata IP. */
import { recorrelate } from '../../src/correlate/index.js';
import { eventIdFor, sha256Hex, type RunGraphInput } from '../../src/graph/index.js';
import {
  PolicyDecisionSchema,
  ResponseActionSchema,
  RiskSignalSchema,
  RuntimeEventSchema,
  ToolCallScopeSchema,
  type RuntimeEvent,
  type RuntimeEventInput,
} from '../../src/model/index.js';

let line = 0;
function ev(fields: Partial<RuntimeEventInput>): RuntimeEvent {
  line += 1;
  const raw = JSON.stringify({ line, ...fields }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const sha = sha256Hex(raw);
  return RuntimeEventSchema.parse({
    source: 'falco',
    host: 'h1',
    cgroup_id: '4242',
    ...fields,
    event_id: eventIdFor('falco', sha),
    raw_ref: { file: 'falco.jsonl', line, sha256: sha },
  });
}

export function runFixture(): RunGraphInput {
  line = 0;
  const scope = ToolCallScopeSchema.parse({
    binding_id: 'b-1',
    run_id: 'run-1',
    session_id: 's-1',
    attempt_id: '1',
    tool_call_id: 'tc-1',
    tool_name: 'shell',
    started_at_ns: 900,
    own_cgroup_ids: ['4242'],
    pids: [{ pid: 70 }],
  });
  const events = [
    ev({ type: 'process_exec', time_ns: 1000, pid: 70, ppid: 1, process_start_ns: 100, exe: '/bin/sh' }),
    ev({ type: 'process_fork', time_ns: 1100, pid: 75, ppid: 70, process_start_ns: 1100, parent_start_ns: 100 }),
    ev({ type: 'process_exec', time_ns: 1110, pid: 75, ppid: 70, process_start_ns: 1100, parent_start_ns: 100, exe: '/usr/bin/curl' }),
    ev({ type: 'network_connect', time_ns: 1200, pid: 75, process_start_ns: 1100, dst_ip: '169.254.169.254', dst_port: 80 }),
    ev({ type: 'file_open', time_ns: 1300, pid: 75, process_start_ns: 1100, path: '/etc/shadow', open_flags: ['read'] }),
    ev({ type: 'file_open', time_ns: 1400, pid: 70, process_start_ns: 100, path: '/work/app.py', open_flags: ['write'] }),
  ];
  const [, , , connect, shadow] = events as [RuntimeEvent, RuntimeEvent, RuntimeEvent, RuntimeEvent, RuntimeEvent];
  const match = (rule_id: string, action: 'alert' | 'kill', severity: 'high' | 'critical') => ({
    rule_id, action, mode: 'enforce', severity, score: severity === 'critical' ? 95 : 70, tags: [], reason: `${rule_id} matched`,
  });
  const decisions = [
    PolicyDecisionSchema.parse({
      decision_id: 'd-shadow', event_id: shadow.event_id, tool_call_id: 'tc-1', policy_hash: 'p1',
      matches: [match('read-shadow', 'kill', 'critical')], action: 'kill', would_action: 'kill', time_ns: 1301,
    }),
    PolicyDecisionSchema.parse({
      decision_id: 'd-imds', event_id: connect.event_id, tool_call_id: 'tc-1', policy_hash: 'p1',
      matches: [match('metadata-ip', 'alert', 'high')], action: 'alert', would_action: 'alert', time_ns: 1201,
    }),
  ];
  const risks = decisions.map((d) =>
    RiskSignalSchema.parse({
      risk_id: `r-${d.decision_id.slice(2)}`, decision_id: d.decision_id, event_id: d.event_id, run_id: 'run-1', tool_call_id: 'tc-1',
      rule_id: d.matches[0]!.rule_id, severity: d.matches[0]!.severity, score: d.matches[0]!.score, tags: [], reason: d.matches[0]!.reason,
      time_ns: d.time_ns,
    }),
  );
  const responses = [
    ResponseActionSchema.parse({
      response_id: 'a-kill', decision_id: 'd-shadow', event_id: shadow.event_id, run_id: 'run-1', tool_call_id: 'tc-1',
      action: 'kill', target_kind: 'cgroup', target: '4242', result: 'done', detail: 'cgroup.kill', latency_ns: 1000, time_ns: 1302,
    }),
  ];
  return { run_id: 'run-1', scopes: [scope], events, correlations: recorrelate(events, [scope]), decisions, risks, responses };
}
