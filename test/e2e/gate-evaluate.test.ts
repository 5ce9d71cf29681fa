/**
 * `agentprov gate evaluate|show`: a declared action is judged (policy + agent registration) and stored
 * before it runs; a refused one exits 20; an allowed one is later linked to its tool call's runtime events,
 * where behaviour it did not declare is a risk of its own.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const T0 = 1_800_000_000_000_000_000n;
const ns = (ms: number) => (T0 + BigInt(ms) * 1_000_000n).toString();

describe('gate evaluate', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());
  const cli = (args: string[], env?: Record<string, string>) => runCli(args, { dataDir: dir.path, ...(env ? { env } : {}) });
  const request = (over: Record<string, unknown>) =>
    JSON.stringify({ agent_id: 'coder', tool_name: 'run_shell', intent: 'check the repo state', action: { kind: 'command', argv: ['git', 'status'] }, ...over });

  it('refuses a denied action before anything runs, and the refusal is on record', async () => {
    await cli(['agents', 'add', 'coder', '--owner', 'alice', '--autonomy', 'autonomous']);
    const res = await cli(['gate', 'evaluate', '--json', '--input', request({ tool_call_id: 'tc-1', intent: 'read instance credentials', action: { kind: 'http', url: 'http://169.254.169.254/latest/meta-data/iam/' } })]);
    expect(res.code, res.stderr).toBe(20);
    const out = res.json();
    expect(out).toMatchObject({ schema_version: 'agentprov.gate-decision/v1', decision: 'deny', status: 'denied' });
    expect(out.rules).toContain('cloud-metadata-connect');
    expect(out.reasons.join('\n')).toContain('cloud-metadata-connect (deny)');
    const shown = (await cli(['gate', 'show', out.record_id, '--json'])).json();
    expect(shown.record).toMatchObject({ decision: 'deny', status: 'denied', agent_id: 'coder', owner: 'alice', tool_call_id: 'tc-1', action_kind: 'http' });
    expect(shown.linked_events).toEqual([]);
    // the agent and the gate record are ledger entries too, and the ledger still verifies
    const kinds = (await cli(['ledger', 'log', '--limit', '100', '--json'])).json().items.map((e: any) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['put:agents', 'put:gate_records']));
    expect((await cli(['ledger', 'verify'])).code).toBe(0);
  });

  it('decides from the agent registration: recommend-only and foreign tools are denied, unknown agents need approval', async () => {
    await cli(['agents', 'add', 'advisor', '--owner', 'bob', '--autonomy', 'recommend-only']);
    await cli(['agents', 'add', 'coder', '--owner', 'alice', '--autonomy', 'autonomous', '--tool', 'read_file']);
    const advisor = await cli(['gate', 'evaluate', '--json', '--input', request({ agent_id: 'advisor', tool_name: undefined })]);
    expect(advisor.code).toBe(20);
    expect(advisor.json().reasons.join()).toContain('recommend-only');
    const tool = await cli(['gate', 'evaluate', '--json', '--input', request({})]);
    expect(tool.code).toBe(20);
    expect(tool.json().reasons.join()).toContain('tool run_shell is not among');
    const owner = await cli(['gate', 'evaluate', '--json', '--input', request({ tool_name: 'read_file', owner: 'mallory' })]);
    expect(owner.code).toBe(20);
    const ok = await cli(['gate', 'evaluate', '--json', '--input', request({ tool_name: 'read_file' })]);
    expect(ok.code).toBe(0);
    expect(ok.json().decision).toBe('allow');
    const stranger = await cli(['gate', 'evaluate', '--json', '--input', request({ agent_id: 'stranger' })]);
    expect(stranger.code).toBe(21);
    expect(stranger.json()).toMatchObject({ decision: 'require_approval', status: 'pending' });
    expect(stranger.json().approval_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('waits for a person: approve lets the action go (exit 0), silence past the deadline denies (exit 20); the webhook hears of both', async () => {
    const posts: any[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => {
        posts.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    try {
      await cli(['agents', 'add', 'careful', '--owner', 'carol', '--autonomy', 'act-with-approval']);
      const waiting = cli(['gate', 'evaluate', '--wait', '--json', '--webhook', url, '--input', request({ agent_id: 'careful' })]);
      let pending: any[] = [];
      for (let i = 0; i < 100 && pending.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pending = (await cli(['approvals', 'list', '--json'])).json().items;
      }
      expect(pending).toHaveLength(1);
      const approve = await cli(['approvals', 'approve', pending[0].approval_id, '--reason', 'looks fine'], { USER: 'carol' });
      expect(approve.code, approve.stderr).toBe(0);
      const done = await waiting;
      expect(done.code, done.stderr).toBe(0);
      expect(done.json()).toMatchObject({ decision: 'allow', status: 'approved' });

      const silent = await cli(['gate', 'evaluate', '--wait', '--json', '--approval-timeout', '300', '--webhook', url, '--input', request({ agent_id: 'careful', intent: 'again' })]);
      expect(silent.code).toBe(20);
      expect(silent.json()).toMatchObject({ decision: 'deny', status: 'expired' });
      const steps = (await cli(['approvals', 'show', silent.json().approval_id, '--json'])).json().steps.map((s: any) => s.step);
      expect(steps).toEqual(['requested', 'held', 'notified', 'expired']);

      expect(posts).toHaveLength(2);
      expect(posts[0]).toMatchObject({ schema_version: 'agentprov.approval-request/v1', agent_id: 'careful', owner: 'carol', status: 'pending', on_timeout: 'deny' });
      expect(posts[0].approve).toBe(`agentprov approvals approve ${posts[0].approval_id}`);
    } finally {
      server.close();
    }
  });

  it('links an allowed action to its tool call and flags what the tool call did but never declared', async () => {
    await cli(['agents', 'add', 'coder', '--owner', 'alice', '--autonomy', 'autonomous']);
    const res = await cli(['gate', 'evaluate', '--json', '--input', request({ run_id: 'r9', tool_call_id: 'tc-9' })]);
    expect(res.code, res.stderr).toBe(0);
    const recordId = res.json().record_id;
    const events = [
      { type: 'process_exec', time_ns: ns(10), pid: 5000, ppid: 4000, comm: 'git', exe: '/usr/bin/git', argv: ['git', 'status'] },
      { type: 'process_exec', time_ns: ns(20), pid: 5001, ppid: 5000, comm: 'curl', exe: '/usr/bin/curl', argv: ['curl', 'https://paste.example/x'] },
      { type: 'network_connect', time_ns: ns(30), pid: 5001, ppid: 5000, comm: 'curl', exe: '/usr/bin/curl', family: 'inet', dst_ip: '203.0.113.7', dst_port: 443 },
    ].map((e) => JSON.stringify({ source: 'native_jsonl', host: 'h', ...e }));
    const file = join(dir.path, 'events.jsonl');
    writeFileSync(file, `${events.join('\n')}\n`);
    expect((await cli(['telemetry', 'ingest-jsonl', '--file', file])).code).toBe(0);
    const bind = await cli(['telemetry', 'bind', '--run', 'r9', '--tool-call', 'tc-9', '--tool-name', 'run_shell', '--agent-id', 'coder', '--pid', '5000', '--started-at', ns(0), '--ended-at', ns(1000)]);
    expect(bind.code, bind.stderr).toBe(0);

    const shown = (await cli(['gate', 'show', recordId, '--json'])).json();
    expect(shown.linked_events.map((e: any) => e.type)).toEqual(['process_exec', 'process_exec', 'network_connect']);
    const undeclared = shown.undeclared.map((r: any) => r.reason);
    expect(undeclared).toHaveLength(2);
    expect(undeclared[0]).toContain('exec of /usr/bin/curl was not declared');
    expect(undeclared[1]).toContain('connection to 203.0.113.7:443 was not declared');
    expect(undeclared[0]).toContain('"check the repo state"');
    const risks = (await cli(['security', 'risks', '--run', 'r9', '--json'])).json().items.map((r: any) => r.rule_id);
    expect(risks.filter((r: string) => r === 'undeclared-behaviour')).toHaveLength(2);
  });

  it('reports bad input with the field that is wrong', async () => {
    const bad = await cli(['gate', 'evaluate', '--input', JSON.stringify({ agent_id: 'x', intent: 'y', action: { kind: 'command', argv: [] } })]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('action.argv: a command needs argv[0]');
    const notJson = await cli(['gate', 'evaluate', '--input', '{nope']);
    expect(notJson.code).toBe(3);
    expect(notJson.stderr).toContain('not JSON');
  });
});
