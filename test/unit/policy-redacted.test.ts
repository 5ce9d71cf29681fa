/**
 * Redaction keeps what rules match on: the same rules fire on an event as it was captured and on the event
 * finalizeEvent stores (redacted), with the default policy's metadata rule and custom Authorization rules.
 */
import { describe, expect, it } from 'vitest';
import { finalizeEvent } from '../../src/engine/index.js';
import { keyedFingerprint } from '../../src/model/index.js';
import { evaluate, loadPolicy } from '../../src/policy/index.js';
import { exec, ev, loadDefaultPolicy } from './fixtures/policy/make-event.js';

const fp = keyedFingerprint(Buffer.alloc(32, 3));
const custom = loadPolicy(
  `version: 1
name: t
rules:
  - {id: auth-header-in-argv, severity: medium, action: alert, match: {event_type: process_exec, argv_contains: [Authorization]}}
  - {id: bearer-in-argv, severity: medium, action: alert, match: {event_type: process_exec, argv_regex: '(?i)authorization:\\s*bearer\\s'}}
  - {id: openai-key-in-argv, severity: medium, action: alert, match: {event_type: process_exec, argv_regex: '\\bsk-proj-'}}
  - {id: metadata-in-argv, severity: high, action: deny, match: {event_type: process_exec, argv_contains: [169.254.169.254]}}
  - {id: tls-models, severity: low, action: audit, match: {event_type: tls_request, tls_path_glob: [/v1/models]}}
`,
  't.yaml',
);

const rulesOf = (policy: typeof custom, e: ReturnType<typeof ev>): string[] => evaluate(policy, e).matches.map((m) => m.rule_id).sort();

describe('policy on redacted events', () => {
  const argv = [
    'curl',
    '-H',
    'Authorization: Bearer sk-proj-Abc123Def456Ghi789Jkl',
    '-u',
    'admin:hunter2hunter2',
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  ];

  it('fires the same rules on the captured and the stored (redacted) exec', () => {
    const clear = exec(argv);
    const stored = finalizeEvent(exec(argv), fp);
    expect(stored.argv!.join(' ')).not.toMatch(/Abc123Def456|hunter2/);
    expect(rulesOf(custom, stored)).toEqual(['auth-header-in-argv', 'bearer-in-argv', 'metadata-in-argv', 'openai-key-in-argv']);
    expect(rulesOf(custom, stored)).toEqual(rulesOf(custom, clear));
    const def = loadDefaultPolicy();
    expect(rulesOf(def, stored)).toContain('cloud-metadata-argv');
    expect(rulesOf(def, stored)).toEqual(rulesOf(def, clear));
  });

  it('fires a TLS path rule on a path whose query secret was redacted', () => {
    const tls = (): ReturnType<typeof ev> => ev({ type: 'tls_request', tls: { method: 'GET', host: 'api.example.com', path: '/v1/models?api_key=qq11ww22ee33' } });
    const stored = finalizeEvent(tls(), fp);
    expect(stored.tls!.path).toMatch(/^\/v1\/models\?api_key=\[REDACTED:fp=[0-9a-f]{12}\]$/);
    expect(rulesOf(custom, stored)).toEqual(rulesOf(custom, tls()));
  });

  it('stores the redacted event under the hash of its redacted content', () => {
    const a = finalizeEvent(exec(argv), fp);
    const b = finalizeEvent(exec(argv), fp);
    expect(a.event_id).toBe(b.event_id);
    expect(finalizeEvent(exec(argv), keyedFingerprint(Buffer.alloc(32, 4))).event_id).not.toBe(a.event_id);
  });
});
