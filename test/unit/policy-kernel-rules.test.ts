/**
 * Which rules the kernel may decide alone (policy/kernel-rules): only what it can check exactly, never more
 * than the engine would do, with the scope's facts decided at bind time.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, kernelConnectEntries, loadPolicy } from '../../src/policy/index.js';
import type { RuntimeEvent } from '../../src/model/index.js';

const policyOf = (rules: string) => loadPolicy(`version: 1\nname: t\nrules:\n${rules}`, 't.yaml');
const scope = { tool_call_id: 'tc', tool_name: 'fetch', agent_id: 'a1' };
const byCidr = (entries: ReturnType<typeof kernelConnectEntries>) => Object.fromEntries(entries.map((e) => [e.cidr, e.action]));

describe('kernelConnectEntries', () => {
  it('compiles destination-only connect rules, with their action and rule tag', () => {
    const p = policyOf(`
  - id: audit-all
    severity: low
    action: audit
    match: { event_type: network_connect }
  - id: metadata
    severity: critical
    action: kill
    match: { event_type: network_connect, dst_ip: [169.254.169.254, "fd00:ec2::254"] }
  - id: lab
    severity: high
    action: quarantine
    match: { dst_cidr: 10.9.0.0/16 }
`);
    const entries = kernelConnectEntries(p, scope);
    expect(byCidr(entries)).toEqual({ '169.254.169.254/32': 'kill', 'fd00:ec2::254/128': 'kill', '10.9.0.0/16': 'quarantine' });
    expect(entries.find((e) => e.cidr === '10.9.0.0/16')).toMatchObject({ rule_id: 'lab', rule_tag: 2 });
  });

  it('leaves to the engine what the kernel cannot check: ports, exe, negations, detect mode, approvals', () => {
    const p = policyOf(`
  - id: port
    severity: high
    action: kill
    match: { event_type: network_connect, dst_ip: 10.0.0.1, dst_port: 22 }
  - id: exe
    severity: high
    action: kill
    match: { event_type: network_connect, dst_cidr: 10.0.0.0/8, exe_glob: /usr/bin/curl }
  - id: not-private
    severity: high
    action: deny
    match: { event_type: network_connect, dst_private: false }
  - id: not-in
    severity: high
    action: deny
    match: { event_type: network_connect, dst_not_cidr: 10.0.0.0/8 }
  - id: detect
    severity: high
    action: kill
    mode: detect
    match: { event_type: network_connect, dst_ip: 10.0.0.2 }
  - id: approve
    severity: high
    action: require_approval
    match: { event_type: network_connect, dst_ip: 10.0.0.3 }
  - id: other-source
    severity: high
    action: kill
    match: { source: falco, event_type: network_connect, dst_ip: 10.0.0.4 }
`);
    expect(kernelConnectEntries(p, scope)).toEqual([]);
  });

  it("decides scope conditions at bind time with the rule's own semantics", () => {
    const p = policyOf(`
  - id: fetch-only
    severity: high
    action: kill
    match: { event_type: network_connect, dst_ip: 10.0.0.5, tool_name: fetch }
  - id: not-fetch
    severity: high
    action: kill
    match: { event_type: network_connect, dst_ip: 10.0.0.6, tool_name_not: fetch }
`);
    expect(byCidr(kernelConnectEntries(p, scope))).toEqual({ '10.0.0.5/32': 'kill' });
    expect(byCidr(kernelConnectEntries(p, { ...scope, tool_name: 'shell' }))).toEqual({ '10.0.0.6/32': 'kill' });
  });

  it('gives an address the most severe action of every rule covering it, as the engine would', () => {
    const p = policyOf(`
  - id: private
    severity: high
    action: quarantine
    match: { event_type: network_connect, dst_private: true }
  - id: one-host
    severity: medium
    action: deny
    match: { event_type: network_connect, dst_ip: 10.1.2.3 }
`);
    const entries = kernelConnectEntries(p, scope);
    // A longest-prefix lookup finds the /32 alone: it must carry quarantine, not the weaker deny.
    expect(byCidr(entries)['10.1.2.3/32']).toBe('quarantine');
    expect(byCidr(entries)['10.0.0.0/8']).toBe('quarantine');
    const event = { type: 'network_connect', source: 'agentprov_ebpf', dst_ip: '10.1.2.3' } as RuntimeEvent;
    expect(evaluate(p, event, { scope }).action).toBe('quarantine');
  });
});
