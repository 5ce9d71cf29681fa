/**
 * Declared intent vs observed behaviour (GateIntentIndex), through the engine: what a tool call's gate record
 * covers passes, what it does not becomes an `undeclared-behaviour` risk; a tool call that runs although its
 * gate said no is `gate-not-cleared`. Policies match on agent owner and autonomy.
 */
import { describe, expect, it } from 'vitest';
import { EvidenceEngine, finalizeEvent, MemoryEvidenceSink } from '../../src/engine/index.js';
import type { RuntimeEventInput, ToolCallScope } from '../../src/model/index.js';
import { evaluate, loadPolicies } from '../../src/policy/index.js';
import { GateIntentIndex } from '../../src/service/gate-intent.js';
import type { GateRecord } from '../../src/store/index.js';

function record(request: Record<string, unknown>, status: GateRecord['status'] = 'allowed', id = 'g1'): GateRecord {
  return {
    record_id: `${id}${'0'.repeat(20)}`,
    agent_id: 'coder',
    owner: 'alice',
    run_id: 'r',
    tool_call_id: 'tc',
    action_kind: (request.action as { kind: string }).kind,
    decision: status === 'denied' ? 'deny' : 'allow',
    status,
    approval_id: null,
    created_at_ns: 1n,
    request: { agent_id: 'coder', intent: 'build it', ...request },
    reasons: [],
    rules: [],
    policy_hash: 'p',
  };
}

const scope = { tool_call_id: 'tc' } as ToolCallScope;
const ev = (e: Partial<RuntimeEventInput>) => finalizeEvent({ source: 'agentprov_ebpf', host: 'h', time_ns: 1n, type: 'process_exec', ...e } as RuntimeEventInput);

describe('GateIntentIndex', () => {
  const idx = new GateIntentIndex([
    record({ action: { kind: 'command', argv: ['/usr/bin/make', 'all'] }, expects: { exec: ['cc'], hosts: ['*.pypi.org'], paths: ['/work/out'] } }),
    record({ action: { kind: 'http', url: 'https://api.example.com/v1', method: 'GET', ip: '192.0.2.5' } }, 'allowed', 'g2'),
  ]);
  const reasons = (e: Partial<RuntimeEventInput>) => idx.check(ev(e), scope).map((m) => m.reason);

  it('passes declared programs, hosts, addresses and write paths', () => {
    expect(reasons({ exe: '/usr/bin/make' })).toEqual([]);
    expect(reasons({ exe: '/usr/lib/gcc/cc' })).toEqual([]);
    expect(reasons({ type: 'tls_request', tls: { host: 'files.pypi.org' } })).toEqual([]);
    expect(reasons({ type: 'tls_request', tls: { host: 'API.example.com' } })).toEqual([]);
    expect(reasons({ type: 'network_connect', family: 'inet', dst_ip: '192.0.2.5', dst_port: 443 })).toEqual([]);
    expect(reasons({ type: 'file_open', path: '/work/out/a.o', open_flags: ['write', 'create'] })).toEqual([]);
    expect(reasons({ type: 'file_open', path: '/etc/passwd', open_flags: ['read'] })).toEqual([]);
    expect(reasons({ type: 'network_connect', family: 'inet', dst_ip: '10.0.0.2', dst_port: 53 })).toEqual([]);
  });

  it('flags what nothing declared, naming the record and the intent', () => {
    expect(reasons({ exe: '/usr/bin/curl' })).toEqual([`exec of /usr/bin/curl was not declared: gate record g10000000000, g20000000000 declared "build it", "build it"`]);
    expect(reasons({ type: 'tls_request', tls: { host: 'evil.example' } })[0]).toContain('request to evil.example');
    expect(reasons({ type: 'dns_query', dns_query: 'pypi.org.evil' })[0]).toContain('DNS lookup of pypi.org.evil');
    expect(reasons({ type: 'file_open', path: '/work/outside/x', open_flags: ['write'] })[0]).toContain('write to /work/outside/x');
    expect(reasons({ type: 'file_rename', path: '/work/out/a', new_path: '/etc/cron.d/a' })[0]).toContain('write to /etc/cron.d/a');
    expect(idx.check(ev({ exe: '/usr/bin/curl' }), { tool_call_id: 'other' } as ToolCallScope)).toEqual([]);
  });

  it('judges raw connections only when no host name was declared', () => {
    const onlyCommand = new GateIntentIndex([record({ action: { kind: 'command', argv: ['git', 'status'] } })]);
    expect(onlyCommand.check(ev({ type: 'network_connect', family: 'inet', dst_ip: '203.0.113.9', dst_port: 22 }), scope)[0]?.reason).toContain('connection to 203.0.113.9:22');
    expect(reasons({ type: 'network_connect', family: 'inet', dst_ip: '203.0.113.9', dst_port: 443 })).toEqual([]);
  });

  it('says a tool call ran although its gate refused it', () => {
    const refused = new GateIntentIndex([record({ action: { kind: 'command', argv: ['rm', '-rf', '/'] } }, 'denied')]);
    const [m] = refused.check(ev({ exe: '/usr/bin/rm' }), scope);
    expect(m).toMatchObject({ rule_id: 'gate-not-cleared', severity: 'high' });
    expect(m!.reason).toContain('is denied');
  });
});

describe('the engine with intent and agents', () => {
  const policy = loadPolicies([
    {
      file: 'p.yaml',
      text: [
        'version: 1',
        'name: p',
        'rules:',
        '  - id: autonomous-no-net',
        '    severity: high',
        '    action: deny',
        '    match:',
        '      event_type: network_connect',
        '      agent_autonomy: autonomous',
        '      agent_owner: [alice]',
      ].join('\n'),
    },
  ]);

  it('turns undeclared behaviour into a decision and a risk linked to the event', () => {
    const sink = new MemoryEvidenceSink();
    const engine = new EvidenceEngine({
      sink,
      policy,
      clock: () => 5n,
      intent: new GateIntentIndex([record({ action: { kind: 'command', argv: ['git', 'status'] } })]),
    });
    engine.bind({ run_id: 'r', session_id: 's', attempt_id: '1', tool_call_id: 'tc', started_at_ns: 0n, own_cgroup_ids: [], cgroup_ids: [], container_ids: [], pids: [{ pid: 10 }], asserted: false, confidence: 1 });
    engine.processBatch([ev({ pid: 10, exe: '/usr/bin/git' }), ev({ pid: 11, ppid: 10, exe: '/usr/bin/nc', time_ns: 2n })], null);
    const verdicts = [...sink.verdicts.values()];
    const flagged = verdicts.filter((v) => v.decision);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.decision).toMatchObject({ action: 'alert', tool_call_id: 'tc' });
    expect(flagged[0]!.risks.map((r) => r.rule_id)).toEqual(['undeclared-behaviour']);
    expect(flagged[0]!.responses).toEqual([]);
  });

  it('lets policies match on the agent owner and autonomy level', () => {
    const e = ev({ type: 'network_connect', dst_ip: '198.51.100.7', dst_port: 80 });
    const ctx = (owner: string | null, autonomy: string | null) => ({ scope: { tool_call_id: 'tc', agent_id: 'a', owner, autonomy } });
    expect(evaluate(policy, e, ctx('alice', 'autonomous')).action).toBe('deny');
    expect(evaluate(policy, e, ctx('bob', 'autonomous')).action).toBe('audit');
    expect(evaluate(policy, e, ctx('alice', 'act-with-approval')).action).toBe('audit');
    expect(evaluate(policy, e, ctx('alice', null)).action).toBe('audit');
    const sink = new MemoryEvidenceSink();
    const engine = new EvidenceEngine({ sink, policy, clock: () => 5n, agents: { lookup: (id) => (id === 'a' ? { owner: 'alice', autonomy: 'autonomous' } : null) } });
    engine.bind({ run_id: 'r', session_id: 's', attempt_id: '1', tool_call_id: 'tc', agent_id: 'a', started_at_ns: 0n, own_cgroup_ids: [], cgroup_ids: [], container_ids: [], pids: [{ pid: 20 }], asserted: false, confidence: 1 });
    engine.processBatch([ev({ type: 'network_connect', pid: 20, dst_ip: '198.51.100.7', dst_port: 80 })], null);
    expect([...sink.verdicts.values()][0]!.decision?.action).toBe('deny');
  });

  it('rejects an unknown autonomy level in a rule file', () => {
    expect(() => loadPolicies([{ file: 'bad.yaml', text: 'version: 1\nname: b\nrules:\n  - id: x\n    severity: low\n    action: alert\n    match:\n      agent_autonomy: reckless\n' }])).toThrow(/unknown autonomy level "reckless"/);
  });
});
