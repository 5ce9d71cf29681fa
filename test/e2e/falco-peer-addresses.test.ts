import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/** An AgentProvenance rule file (no version, `decision` instead of action/severity), as its users write it. */
const AP_RULES = `rules:
  - id: metadata-ip
    match:
      event_type: network_connect
      dst_ip: ["169.254.169.254"]
    decision: quarantine
    reason: cloud instance-metadata endpoint
  - id: private-network
    match:
      event_type: network_connect
      private_cidr: true
    decision: deny
    reason: connection into a private network
  - id: dotenv-read
    match:
      event_type: file_read
      path_contains: [".env"]
    decision: kill
    reason: an agent read a .env file
`;

const alert = (time: string, fields: Record<string, unknown>) =>
  JSON.stringify({ rule: 'agent trace', priority: 'Notice', source: 'syscall', hostname: 'sandbox-1', time, output_fields: { 'proc.pid': 5100, 'proc.name': 'node', ...fields } });

/** Three peer-shaped lines: fd.rip as "ip:port", fd.name with "->" only, and an open of a .env file. */
const LINES = [
  alert('2026-11-25T10:00:02.000000000Z', { 'evt.type': 'connect', 'fd.rip': '169.254.169.254:80' }),
  alert('2026-11-25T10:00:03.000000000Z', { 'evt.type': 'connect', 'fd.name': '10.0.0.2:40512->10.0.0.5:5432' }),
  alert('2026-11-25T10:00:04.000000000Z', { 'evt.type': 'openat', 'fd.name': '/work/app/.env', 'evt.arg.flags': 'O_RDONLY' }),
].join('\n') + '\n';

const BIND = ['telemetry', 'bind', '--run', 'r1', '--tool-call', 'tc-1', '--pid', '5100', '--started-at', '2026-11-25T10:00:01Z', '--ended-at', '2026-11-25T10:00:10Z'];

describe('Falco-shaped peer addresses reach the policy', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  async function ingest(policy?: string): Promise<void> {
    const file = join(dir.path, 'trace.jsonl');
    writeFileSync(file, LINES);
    const args = ['telemetry', 'ingest-falco', '--file', file, '--strict', ...(policy ? ['--policy', policy] : [])];
    const r = await runCli(args, { dataDir: join(dir.path, 'data') });
    expect(r.code, r.stderr).toBe(0);
    // bind re-evaluates what it attributes, so it is given the same rules.
    const b = await runCli([...BIND, ...(policy ? ['--policy', policy] : [])], { dataDir: join(dir.path, 'data') });
    expect(b.code, b.stderr).toBe(0);
  }

  const query = async (what: 'risks' | 'responses') => {
    const r = await runCli(['security', what, '--run', 'r1', '--json'], { dataDir: join(dir.path, 'data') });
    expect(r.code, r.stderr).toBe(0);
    return r.json().items as any[];
  };

  it('an AgentProvenance rule file decides quarantine, deny and kill for metadata, private-CIDR and .env', async () => {
    const rules = join(dir.path, 'agentprovenance-rules.yaml');
    writeFileSync(rules, AP_RULES);
    await ingest(rules);
    const timeline = (await runCli(['timeline', '--run', 'r1', '--json'], { dataDir: join(dir.path, 'data') })).json().items as any[];
    const risks = await query('risks');
    const responses = await query('responses');
    /** The action taken on the event whose timeline line names `subject`, found as a user would. */
    const actionFor = (subject: string): { rules: string[]; action: string } => {
      const ev = timeline.find((i) => i.kind === 'event' && i.summary.includes(subject));
      expect(ev, `no event naming ${subject}: ${JSON.stringify(timeline.map((i) => i.summary))}`).toBeDefined();
      const own = risks.filter((r) => r.event_id === ev.id);
      expect(own.length, `no risk for ${subject}`).toBeGreaterThan(0);
      const acts = responses.filter((r) => r.decision_id === own[0].decision_id);
      expect(acts.length, `no response for ${subject}`).toBeGreaterThan(0);
      // After the fact: the response is recorded, not carried out.
      expect(acts.every((r) => r.result === 'skipped')).toBe(true);
      return { rules: own.map((r) => r.rule_id).sort(), action: acts.map((r) => r.action).join(',') };
    };
    // 169.254.169.254 is link-local, so private-network matches too; the most severe decision wins.
    expect(actionFor('169.254.169.254:80')).toEqual({ rules: ['metadata-ip', 'private-network'], action: 'quarantine' });
    expect(actionFor('10.0.0.5:5432')).toEqual({ rules: ['private-network'], action: 'deny' });
    expect(actionFor('/work/app/.env')).toEqual({ rules: ['dotenv-read'], action: 'kill' });
  });

  it("the default policy's metadata rule fires for fd.rip written as ip:port", async () => {
    await ingest();
    const risks = await query('risks');
    expect(risks.map((r) => r.rule_id)).toContain('cloud-metadata-connect');
  });
});
