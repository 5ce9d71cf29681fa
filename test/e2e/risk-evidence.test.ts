import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

// 2026-01-01T00:00:00Z in ns, plus ms offsets.
const T0 = 1_767_225_600_000_000_000n;
const at = (ms: number) => String(T0 + BigInt(ms) * 1_000_000n);
const ev = (ms: number, fields: Record<string, unknown>) =>
  JSON.stringify({ source: 'native_jsonl', host: 'runner-1', time_ns: at(ms), ...fields });

/** An agent shell (5000) and its children, each touching one kind of subject, and a sensor gap. */
const LINES = [
  ev(100, { type: 'process_exec', pid: 5000, ppid: 1, comm: 'sh', exe: '/bin/sh', argv: ['sh', '-c', 'agent-task'] }),
  ev(200, { type: 'process_exec', pid: 5001, ppid: 5000, comm: 'cat', exe: '/usr/bin/cat', argv: ['cat', '/home/dev/.aws/credentials'] }),
  ev(210, { type: 'file_open', pid: 5001, ppid: 5000, comm: 'cat', exe: '/usr/bin/cat', path: '/home/dev/.aws/credentials', open_flags: ['read'] }),
  ev(300, { type: 'process_exec', pid: 7112, ppid: 5000, comm: 'curl', exe: '/usr/bin/curl', argv: ['curl', '-s', 'http://169.254.169.254/'] }),
  ev(310, { type: 'network_connect', pid: 7112, ppid: 5000, comm: 'curl', exe: '/usr/bin/curl', family: 'inet', dst_ip: '169.254.169.254', dst_port: 80 }),
  ev(400, { type: 'process_exec', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3', argv: ['python3', 'agent.py'] }),
  ev(410, { type: 'network_connect', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3', family: 'unix', path: '/run/docker.sock' }),
  ev(420, { type: 'network_connect', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3', family: 'unix', path: '@dbus-abstract' }),
  ev(430, {
    type: 'tls_request', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3',
    tls: { direction: 'write', method: 'POST', host: 'llm.evil.example', path: '/v1/chat/completions', bytes: 300 },
    labels: { ssl: '0x5a1', http_kind: 'request' },
  }),
  ev(440, {
    type: 'tls_request', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3',
    tls: { direction: 'read', bytes: 900 }, labels: { ssl: '0x5a1', http_kind: 'response', http_status: '200' },
  }),
  ev(500, { type: 'privilege_change', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3', syscall: 'setuid', old_uid: 1000, new_uid: 0, old_euid: 1000, new_euid: 0 }),
  ev(600, { type: 'ptrace', pid: 5003, ppid: 5000, comm: 'python3', exe: '/usr/bin/python3', ptrace_request: 16, target_pid: 88 }),
  // a host-level loss marker: no process, so no tool call to attribute it to; it falls in the run's window
  JSON.stringify({ type: 'telemetry_loss', source: 'agentprov_ebpf', host: 'runner-1', time_ns: at(700), lost_events: 26022 }),
].join('\n') + '\n';

const BIND = [
  'telemetry', 'bind', '--run', 'r1', '--tool-call', 'tc-1', '--tool-name', 'run_shell', '--pid', '5000',
  '--started-at', '2026-01-01T00:00:00Z', '--ended-at', '2026-01-01T00:00:10Z',
];

describe('risks, responses and the timeline name what they are about', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    dir = tempDir();
    const file = join(dir.path, 'agent.jsonl');
    writeFileSync(file, LINES);
    const ing = await runCli(['telemetry', 'ingest-jsonl', '--format', 'native', '--file', file], { dataDir: join(dir.path, 'data') });
    expect(ing.code, ing.stderr).toBe(0);
    const bind = await runCli(BIND, { dataDir: join(dir.path, 'data') });
    expect(bind.code, bind.stderr).toBe(0);
  });
  afterEach(() => dir.cleanup());
  const cli = (args: string[]) => runCli(args, { dataDir: join(dir.path, 'data') });

  it('security risks --json gives every risk its evidence, and the table shows the subject on the risk line', async () => {
    const r = await cli(['security', 'risks', '--run', 'r1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const body = r.json();
    expect(body.schema_version).toBe('agentprov.risks/v1');
    const byRule = new Map<string, any>(body.items.map((x: any) => [x.rule_id, x]));
    expect(body.items.every((x: any) => x.evidence && x.evidence.event_id === x.event_id)).toBe(true);

    expect(byRule.get('cloud-metadata-connect')?.evidence).toMatchObject({
      type: 'network_connect', pid: 7112, exe: '/usr/bin/curl',
      subject: { dst_ip: '169.254.169.254', dst_port: 80 },
      subject_text: 'curl[7112] connect 169.254.169.254:80',
    });
    expect(byRule.get('secret-file-read')?.evidence).toMatchObject({
      type: 'file_open', pid: 5001, subject: { path: '/home/dev/.aws/credentials' },
    });
    expect(byRule.get('setuid-to-root')?.evidence).toMatchObject({
      type: 'privilege_change', subject: { old_uid: 1000, new_uid: 0 }, subject_text: 'python3[5003] setuid uid 1000 -> 0',
    });
    expect(byRule.get('ptrace-attach')?.evidence).toMatchObject({ type: 'ptrace', subject: { target_pid: 88 } });
    expect(byRule.get('llm-api-path-unlisted-host')?.evidence).toMatchObject({
      type: 'tls_request', subject: { tls_host: 'llm.evil.example', tls_path: '/v1/chat/completions', tls_method: 'POST' },
    });
    const exec = body.items.find((x: any) => x.evidence.type === 'process_exec');
    if (exec) expect(exec.evidence.argv).toEqual(expect.arrayContaining([expect.any(String)]));

    const table = await cli(['security', 'risks', '--run', 'r1']);
    const line = (rule: string) => table.stdout.split('\n').find((l) => l.includes(`  ${rule}  `)) ?? '';
    expect(line('cloud-metadata-connect')).toContain('curl[7112] connect 169.254.169.254:80');
    expect(line('secret-file-read')).toContain('/home/dev/.aws/credentials');
    expect(line('setuid-to-root')).toContain('setuid uid 1000 -> 0');
    expect(line('ptrace-attach')).toContain('target pid 88');
    expect(line('llm-api-path-unlisted-host')).toContain('TLS POST https://llm.evil.example/v1/chat/completions');
  });

  it('security responses carry the evidence of the event they answered, in --json and on the table line', async () => {
    const r = await cli(['security', 'responses', '--run', 'r1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const deny = r.json().items.find((x: any) => x.action === 'deny');
    expect(deny, r.stdout).toBeDefined();
    expect(deny.evidence).toMatchObject({ event_id: deny.event_id, subject: { dst_ip: '169.254.169.254', dst_port: 80 } });
    const table = await cli(['security', 'responses', '--run', 'r1']);
    const line = table.stdout.split('\n').find((l) => /\bdeny\b/.test(l)) ?? '';
    expect(line).toContain('curl[7112] connect 169.254.169.254:80');
  });

  const timelineItems = async (): Promise<any[]> => {
    const r = await cli(['timeline', '--run', 'r1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return r.json().items;
  };

  it('timeline: a risk line names its subject and carries its evidence', async () => {
    const items = await timelineItems();
    const risk = items.find((i) => i.kind === 'risk' && i.summary.includes('cloud-metadata-connect'));
    expect(risk.summary).toContain('[curl[7112] connect 169.254.169.254:80]');
    expect(risk.evidence).toMatchObject({ subject: { dst_ip: '169.254.169.254', dst_port: 80 } });
    const response = items.find((i) => i.kind === 'response' && i.summary.startsWith('response deny'));
    expect(response.summary).toContain('[curl[7112] connect 169.254.169.254:80]');
  });

  it('timeline: an AF_UNIX connect shows the socket path or @abstract name, not ?:?', async () => {
    const events = (await timelineItems()).filter((i) => i.kind === 'event').map((i) => i.summary as string);
    expect(events).toContain('network_connect: python3[5003] connect unix:/run/docker.sock');
    expect(events).toContain('network_connect: python3[5003] connect unix:@dbus-abstract');
    expect(events.some((s) => s.includes('?:?'))).toBe(false);
    expect((await cli(['timeline', '--run', 'r1'])).stdout).toContain('connect unix:/run/docker.sock');
  });

  it('timeline: a TLS response is shown on the line of the request it answers', async () => {
    const items = await timelineItems();
    const events = items.filter((i) => i.kind === 'event').map((i) => i.summary as string);
    const tls = events.filter((s) => s.startsWith('tls_request:'));
    expect(tls).toEqual(['tls_request: python3[5003] TLS POST https://llm.evil.example/v1/chat/completions -> 200']);
    const request = items.find((i) => i.kind === 'event' && i.summary.startsWith('tls_request:'));
    expect(request.folded_event_ids).toHaveLength(1);
    expect((await cli(['timeline', '--run', 'r1'])).stdout).not.toContain('https://?');
  });

  it('observe summary counts the telemetry gap the timeline shows', async () => {
    const tl = (await cli(['timeline', '--run', 'r1', '--json'])).json().items as any[];
    const gaps = tl.filter((i) => i.kind === 'telemetry_loss');
    expect(gaps.map((g) => g.summary)).toEqual(['telemetry gap: 26022 events lost by agentprov_ebpf']);

    const s = await cli(['observe', 'summary', '--run', 'r1', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.json().items[0]).toMatchObject({ telemetry_gaps: gaps.length, events_lost: 26022 });
    expect(s.json().items[0].events).toBe(tl.filter((i) => i.kind === 'event').length + 1); // +1: the folded TLS read
    const text = (await cli(['observe', 'summary', '--run', 'r1'])).stdout;
    expect(text).toContain('telemetry gaps: 1 (26022 events lost)');
  });
});
