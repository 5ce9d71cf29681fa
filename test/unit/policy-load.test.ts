import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.js';
import { evaluate, loadPolicies, loadPolicy } from '../../src/policy/index.js';
import { ev } from './fixtures/policy/make-event.js';

/** Loads and returns the PolicyError's formatted lines, failing the test if loading succeeds. */
function errorsOf(text: string, file = 'policies/x.yaml'): string[] {
  try {
    loadPolicy(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    expect((e as PolicyError).code).toBe('AP_BAD_POLICY');
    return (e as PolicyError).message.split('\n');
  }
  throw new Error('expected a PolicyError');
}

const rule = (body: string) => `version: 1
name: t
rules:
  - id: r1
    severity: high
    action: alert
${body}`;

describe('loadPolicy errors name file, line and field', () => {
  it('reports bad YAML with its line', () => {
    const lines = errorsOf('version: 1\nname: t\nrules: [\n  {id: a\n', 'policies/bad.yaml');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^policies\/bad\.yaml:\d+: bad YAML: /);
  });

  it('reports a duplicate YAML key', () => {
    expect(errorsOf('version: 1\nname: t\nname: u\nrules: []\n')).toEqual([
      expect.stringMatching(/^policies\/x\.yaml:3: bad YAML: Map keys must be unique/),
    ]);
  });

  it('reports an unknown key at the key, with a suggestion', () => {
    const lines = errorsOf(rule('    match:\n      event_type: ptrace\n      ptrace_reqest: 16\n'));
    expect(lines).toEqual(['policies/x.yaml:9: rules[0].match.ptrace_reqest: unknown key "ptrace_reqest" (did you mean "ptrace_request"?)']);
  });

  it('reports a bad CIDR at its list index', () => {
    const text = rule('    match:\n      event_type: network_connect\n      dst_cidr:\n        - 10.0.0.0/8\n        - 10.0.0/8\n');
    expect(errorsOf(text)).toEqual(['policies/x.yaml:11: rules[0].match.dst_cidr[1]: not a CIDR: "10.0.0/8"']);
  });

  it('reports a scalar given for a list without an index', () => {
    expect(errorsOf(rule('    match: { dst_cidr: 10.1.0.0/8 }\n'))).toEqual([
      'policies/x.yaml:7: rules[0].match.dst_cidr: not a CIDR: "10.1.0.0/8" (host bits set after /8)',
    ]);
  });

  it('reports a bad action with the accepted values', () => {
    const text = 'version: 1\nname: t\nrules:\n  - id: r1\n    severity: high\n    action: block\n    match: { event_type: ptrace }\n';
    expect(errorsOf(text)).toEqual([
      'policies/x.yaml:6: rules[0].action: unknown action "block": expected one of audit, alert, require_approval, deny, quarantine, kill',
    ]);
  });

  it('reports every issue of every file at once', () => {
    const bad = 'version: 2\nname: t\nrules:\n  - id: r1\n    action: nope\n    match: { argv_regex: "(unclosed", comm: averyveryverylongcomm }\n';
    try {
      loadPolicies([
        { text: bad, file: 'a.yaml' },
        { text: 'version: 1\nname: u\ndefault_action: maybe\nrules: []\n', file: 'b.yaml' },
      ]);
      expect.unreachable();
    } catch (e) {
      const issues = (e as PolicyError).issues.map((i) => `${i.file}:${i.line}: ${i.field}`);
      expect(issues).toEqual(
        expect.arrayContaining([
          'a.yaml:1: version',
          'a.yaml:4: rules[0].severity',
          'a.yaml:5: rules[0].action',
          'a.yaml:6: rules[0].match.argv_regex',
          'a.yaml:6: rules[0].match.comm',
          'b.yaml:3: default_action',
        ]),
      );
      expect((e as PolicyError).message).toContain('a.yaml:4: rules[0].severity: missing required field');
    }
  });

  it('rejects a rule with both match and sequence, an empty match, bad tags and bad globs', () => {
    const text = `version: 1
name: t
rules:
  - id: both
    severity: low
    action: audit
    match: { event_type: ptrace }
    sequence: { first: { event_type: ptrace }, then: { event_type: ptrace }, within_ms: 10 }
  - id: empty
    severity: low
    action: audit
    match: {}
  - id: tags
    severity: low
    action: audit
    tags: [OWASP-AGENTIC:T99, ISO42001:6.2]
    match: { path_glob: "/a/{b,c" }
`;
    const lines = errorsOf(text);
    expect(lines).toEqual(
      expect.arrayContaining([
        'policies/x.yaml:4: rules[0]: a rule needs exactly one of "match" or "sequence"',
        'policies/x.yaml:12: rules[1].match: no conditions: a match needs at least one field',
        expect.stringContaining('policies/x.yaml:16: rules[2].tags[0]: bad OWASP Agentic tag'),
        expect.stringContaining('policies/x.yaml:16: rules[2].tags[1]: bad ISO 42001 tag'),
        'policies/x.yaml:17: rules[2].match.path_glob: bad glob "/a/{b,c": unclosed "{"',
      ]),
    );
  });

  it('rejects duplicate rule ids across files and names the first', () => {
    const a = rule('    match: { event_type: ptrace }\n');
    expect(() => loadPolicies([{ text: a, file: 'a.yaml' }, { text: a, file: 'b.yaml' }])).toThrow(
      'b.yaml:4: id: duplicate rule id "r1" (first at a.yaml:4)',
    );
  });
});

describe('AgentProvenance rule files', () => {
  const apText = 'rules: [{id: ap-meta, match: {source: falco, event_type: network_connect, dst_ip: 169.254.169.254}, decision: block, reason: metadata, mode: enforce, controls: [ISO42001:A.8.4]}]\n';

  it('load unchanged and keep their meaning (block -> deny, reason, controls -> tags)', () => {
    const p = loadPolicy(apText, 'ap.yaml');
    expect(p.default_action).toBe('audit');
    expect(p.rules[0]).toMatchObject({ id: 'ap-meta', action: 'deny', mode: 'enforce', description: 'metadata', tags: ['ISO42001:A.8.4'] });
    const hit = evaluate(p, ev({ type: 'network_connect', source: 'falco', dst_ip: '169.254.169.254', dst_port: 80 }));
    expect(hit.action).toBe('deny');
    expect(hit.matches).toEqual([
      { rule_id: 'ap-meta', action: 'deny', mode: 'enforce', severity: 'medium', score: 50, tags: ['ISO42001:A.8.4'], reason: 'metadata' },
    ]);
    // source and event type must both hold, as in AgentProvenance.
    expect(evaluate(p, ev({ type: 'network_connect', source: 'tetragon', dst_ip: '169.254.169.254' })).matches).toEqual([]);
  });

  it('load a file with comments, detect mode, allow, and event types we lack (as warnings)', () => {
    const file = new URL('./fixtures/policy/agentprovenance-rules.yaml', import.meta.url);
    const p = loadPolicy(readFileSync(file, 'utf8'), 'agentprovenance-rules.yaml');
    expect(p.rules.map((r) => [r.id, r.action, r.mode])).toEqual([
      ['ap-meta', 'deny', 'enforce'],
      ['ap-private', 'deny', 'enforce'],
      ['ap-secret', 'kill', 'enforce'],
      ['ap-install', 'quarantine', 'detect'],
      ['ap-ptrace', 'quarantine', 'enforce'],
      ['ap-tree', 'quarantine', 'detect'],
      ['ap-allow-proxy', 'audit', 'enforce'],
    ]);
    expect(p.warnings.map((w) => `${w.line}: ${w.field}: ${w.message}`)).toEqual([
      '37: rules[5].match: event type "abnormal_process_tree" has no agentprov equivalent: the rule loads but never matches',
      '43: rules[6].match: source "egress_proxy" is not one agentprov reads: the rule loads but never matches',
    ]);
    const install = evaluate(p, ev({ type: 'process_exec', argv: ['pip', 'install', 'requests'] }));
    expect(install).toMatchObject({ action: 'audit', would_action: 'quarantine' });
    expect(evaluate(p, ev({ type: 'file_open', path: '/app/.env' })).action).toBe('kill');
    expect(evaluate(p, ev({ type: 'network_connect', dst_ip: '192.168.0.4' })).action).toBe('deny');
    expect(evaluate(p, ev({ type: 'network_connect', dst_ip: '8.8.8.8' })).matches).toEqual([]);
  });

  it('still reports unknown keys and bad decisions with lines', () => {
    expect(errorsOf('rules:\n  - id: a\n    match: {dst_ip: 10.0.0.1}\n    decision: maybe\n    why: x\n', 'ap.yaml')).toEqual([
      'ap.yaml:4: rules[0].decision: unknown decision "maybe": expected one of allow, audit, alert, deny, block, kill, quarantine, require_approval',
      'ap.yaml:5: rules[0].why: unknown key "why"',
    ]);
  });
});

describe('policy hash and merging', () => {
  const a = rule('    match: { event_type: ptrace }\n');

  it('hashes rules, not formatting or file names', () => {
    const reformatted = '# comment\nversion: 1\nname: t\nrules: [{id: r1, severity: high, action: alert, mode: enforce, match: {event_type: [ptrace]}}]\n';
    expect(loadPolicy(a, 'a.yaml').hash).toMatch(/^[0-9a-f]{64}$/);
    expect(loadPolicy(reformatted, 'elsewhere.yaml').hash).toBe(loadPolicy(a, 'a.yaml').hash);
    expect(loadPolicy(a.replace('alert', 'deny'), 'a.yaml').hash).not.toBe(loadPolicy(a, 'a.yaml').hash);
    expect(loadPolicy(a.replace('name: t', 'name: t\ndefault_action: deny'), 'a.yaml').hash).not.toBe(loadPolicy(a, 'a.yaml').hash);
  });

  it('merges files: rules in order, the most severe stated default action', () => {
    const b = 'version: 1\nname: u\ndefault_action: deny\nrules:\n  - {id: r2, severity: low, action: audit, match: {event_type: ptrace}}\n';
    const p = loadPolicies([{ text: a, file: 'a.yaml' }, { text: b, file: 'b.yaml' }]);
    expect(p.name).toBe('t+u');
    expect(p.files).toEqual(['a.yaml', 'b.yaml']);
    expect(p.default_action).toBe('deny');
    expect(p.rules.map((r) => `${r.id}@${r.file}:${r.line}`)).toEqual(['r1@a.yaml:4', 'r2@b.yaml:5']);
  });

  it('ignores top-level x-* keys, where shared YAML anchors live', () => {
    const text = 'version: 1\nname: t\nx-lists:\n  - &hosts [a.example, b.example]\nrules:\n  - {id: r, severity: low, action: alert, match: {tls_host: *hosts}}\n';
    const p = loadPolicy(text, 't.yaml');
    expect(evaluate(p, ev({ type: 'tls_request', tls: { host: 'b.example' } })).action).toBe('alert');
  });
});
