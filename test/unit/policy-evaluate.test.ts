import { describe, expect, it } from 'vitest';
import { evaluate, loadPolicy } from '../../src/policy/index.js';
import type { EvalContext } from '../../src/policy/index.js';
import { deepFreeze, ev, exec, loadDefaultPolicy } from './fixtures/policy/make-event.js';

const policyOf = (rules: string, head = '') => loadPolicy(`version: 1\nname: t\n${head}rules:\n${rules}`, 't.yaml');
const r = (id: string, action: string, match: string, extra = '') =>
  `  - {id: ${id}, severity: medium, action: ${action}, match: ${match}${extra}}\n`;

describe('evaluate: combining matches', () => {
  const p = policyOf(
    r('a-alert', 'alert', '{event_type: network_connect}') +
      r('b-deny', 'deny', '{dst_cidr: 10.0.0.0/8}') +
      r('c-audit', 'audit', '{dst_port: [443, "8000-8100"]}') +
      r('d-kill-detect', 'kill', '{dst_port: 8080}', ', mode: detect'),
  );

  it('records every match in policy order and applies the most severe enforce action (deny-overrides)', () => {
    const res = evaluate(p, ev({ type: 'network_connect', dst_ip: '10.2.3.4', dst_port: 443 }));
    expect(res.matches.map((m) => m.rule_id)).toEqual(['a-alert', 'b-deny', 'c-audit']);
    expect(res).toMatchObject({ action: 'deny', would_action: 'deny' });
  });

  it('records a detect-mode match without acting on it', () => {
    const res = evaluate(p, ev({ type: 'network_connect', dst_ip: '8.8.8.8', dst_port: 8080 }));
    expect(res.matches.map((m) => [m.rule_id, m.mode])).toEqual([
      ['a-alert', 'enforce'],
      ['c-audit', 'enforce'],
      ['d-kill-detect', 'detect'],
    ]);
    expect(res).toMatchObject({ action: 'alert', would_action: 'kill' });
  });

  it('uses default_action when nothing matches, and when only detect-mode rules match', () => {
    const strict = policyOf(r('only-detect', 'quarantine', '{event_type: ptrace}', ', mode: detect') + r('ok', 'audit', '{comm: git}'), 'default_action: deny\n');
    expect(evaluate(strict, ev({ type: 'file_open', path: '/x' }))).toEqual({ matches: [], action: 'deny', would_action: 'deny' });
    expect(evaluate(strict, ev({ type: 'ptrace', ptrace_request: 16 }))).toMatchObject({ action: 'deny', would_action: 'quarantine' });
    // A matching rule decides, even one milder than the default: rules are the exceptions to it.
    expect(evaluate(strict, exec(['git', 'status']))).toMatchObject({ action: 'audit', would_action: 'audit' });
  });

  it('returns one shared frozen result for no match, and fresh arrays otherwise', () => {
    const a = evaluate(p, ev({ type: 'ptrace' }));
    expect(a).toBe(evaluate(p, ev({ type: 'file_open' })));
    expect(Object.isFrozen(a) && Object.isFrozen(a.matches)).toBe(true);
    const hit = () => evaluate(p, ev({ type: 'network_connect', dst_ip: '1.1.1.1' }));
    expect(hit().matches).not.toBe(hit().matches);
  });

  it('does not mutate the event or the context', () => {
    const policy = loadDefaultPolicy();
    const event = deepFreeze(
      ev({ type: 'file_open', path: 'x/../.env', cwd: '/work/repo', open_flags: ['write'], argv: ['python3', 'w.py'], dst_ip: '10.0.0.1', tls: { host: 'h' } }),
    );
    const ctx: EvalContext = deepFreeze({
      scope: { tool_call_id: 't', tool_name: 'read_file' },
      ancestry: [{ pid: 1, comm: 'curl', exe: '/usr/bin/curl', argv: ['curl'] }],
      workspace: '/elsewhere',
      homeDirs: ['/var/lib/agent'],
    });
    const before = JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const res = evaluate(policy, event, ctx);
    expect(res.matches.map((m) => m.rule_id)).toEqual(['secret-file-read', 'write-outside-workspace']);
    expect(JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
  });
});

describe('evaluate: conditions', () => {
  it('matches IPv6 CIDRs in any spelling, and v4-mapped addresses against v4 CIDRs', () => {
    const p = policyOf(r('ula', 'alert', '{dst_cidr: [fc00::/7, "2001:db8:aa::/48"]}') + r('v4', 'deny', '{dst_cidr: 10.0.0.0/8}'));
    const hit = (ip: string) => evaluate(p, ev({ type: 'network_connect', dst_ip: ip })).matches.map((m) => m.rule_id);
    expect(hit('fd12:3456::1')).toEqual(['ula']);
    expect(hit('FD00:0EC2:0000:0000:0000:0000:0000:0254')).toEqual(['ula']);
    expect(hit('2001:db8:aa:ffff::1%eth0')).toEqual(['ula']);
    expect(hit('2001:db8:ab::1')).toEqual([]);
    expect(hit('fe80::1')).toEqual([]);
    expect(hit('::ffff:10.9.8.7')).toEqual(['v4']);
    expect(hit('not-an-ip')).toEqual([]);
  });

  it('negative conditions need the field: dst_not_cidr without dst_ip does not hold', () => {
    const p = policyOf(r('pub', 'alert', '{event_type: network_connect, dst_not_cidr: [10.0.0.0/8]}'));
    expect(evaluate(p, ev({ type: 'network_connect', family: 'unix' })).matches).toEqual([]);
    expect(evaluate(p, ev({ type: 'network_connect', dst_ip: '1.2.3.4' })).action).toBe('alert');
  });

  it('ancestry: a shell under a tool call named web_search whose ancestor is python', () => {
    const p = policyOf(
      r('shell-in-search', 'deny', '{event_type: process_exec, exe_glob: [sh, bash], tool_name: web_search, ancestor_comm: [python3]}') +
        r('parent-node', 'alert', '{parent_exe_glob: "/usr/**/node"}'),
    );
    const shell = exec(['/bin/bash', '-c', 'id']);
    const ancestry = [
      { pid: 20, comm: 'node', exe: '/usr/local/bin/node' },
      { pid: 10, comm: 'python3', exe: '/usr/bin/python3' },
    ];
    const scope = (tool_name: string) => ({ tool_call_id: 't1', tool_name });
    expect(evaluate(p, shell, { scope: scope('web_search'), ancestry }).matches.map((m) => m.rule_id)).toEqual(['shell-in-search', 'parent-node']);
    expect(evaluate(p, shell, { scope: scope('code_exec'), ancestry }).matches.map((m) => m.rule_id)).toEqual(['parent-node']);
    expect(evaluate(p, shell, { scope: scope('web_search'), ancestry: ancestry.slice(0, 1) }).matches.map((m) => m.rule_id)).toEqual(['parent-node']);
    expect(evaluate(p, exec(['/usr/bin/python3']), { scope: scope('web_search'), ancestry }).action).toBe('alert');
  });

  it('~ in a glob means /root, /home/<user>, and any extra home dir the context names', () => {
    const p = policyOf(r('ssh', 'alert', '{path_glob: "~/.ssh/**"}'));
    const read = (path: string, ctx?: EvalContext) => evaluate(p, ev({ type: 'file_open', path }), ctx).action;
    expect(read('/root/.ssh/id_rsa')).toBe('alert');
    expect(read('/home/u/.ssh/x')).toBe('alert');
    expect(read('/home/u/sub/.ssh/x')).toBe('audit');
    expect(read('/var/lib/agent/.ssh/id_rsa')).toBe('audit');
    expect(read('/var/lib/agent/.ssh/id_rsa', { homeDirs: ['/var/lib/agent/'] })).toBe('alert');
    expect(read('/var/lib/agentx/.ssh/id_rsa', { homeDirs: ['/var/lib/agent'] })).toBe('audit');
  });

  it('matches uid transitions, ptrace names, open flags, comm, container and source', () => {
    const p = policyOf(
      r('uid', 'alert', '{new_euid: 0, comm: [sudo]}') +
        r('pt', 'alert', '{ptrace_request: [PTRACE_POKETEXT, 0x4206]}') +
        r('trunc', 'alert', '{open_flags_any: truncate, container: true}') +
        r('falco', 'alert', '{source: falco, event_type: process_exec}'),
    );
    const ids = (e: ReturnType<typeof ev>) => evaluate(p, e).matches.map((m) => m.rule_id);
    expect(ids(ev({ type: 'privilege_change', comm: 'sudo', new_euid: 0 }))).toEqual(['uid']);
    expect(ids(ev({ type: 'privilege_change', comm: 'su', new_euid: 0 }))).toEqual([]);
    expect(ids(ev({ type: 'ptrace', ptrace_request: 4 }))).toEqual(['pt']);
    expect(ids(ev({ type: 'ptrace', ptrace_request: 16902 }))).toEqual(['pt']);
    expect(ids(ev({ type: 'file_open', open_flags: ['write', 'truncate'], container_id: 'ee97d9c4186f' }))).toEqual(['trunc']);
    expect(ids(ev({ type: 'file_open', open_flags: ['write', 'truncate'] }))).toEqual([]);
    expect(ids(ev({ type: 'process_exec', source: 'falco' }))).toEqual(['falco']);
    expect(ids(ev({ type: 'process_exec', source: 'tetragon' }))).toEqual([]);
  });

  it('argv_regex honours a (?i) prefix and matches the argv joined by spaces', () => {
    const p = policyOf(r('rx', 'alert', `{argv_regex: ['(?i)^python3? -c .*IMPORT socket']}`));
    expect(evaluate(p, exec(['python3', '-c', 'import socket; s=socket.socket()'])).action).toBe('alert');
    expect(evaluate(p, exec(['python3', 'script.py', '-c', 'import socket'])).action).toBe('audit');
  });
});
