/**
 * `agentprov record` with the eBPF sensor in-process: a `sh -c` that edits files, leaves a background child
 * behind, connects to loopback, reads a fake secret and runs curl against a local HTTPS server. The DAG must
 * link tool_call -> processes -> events -> files/endpoints -> risks and verify; a run killed by policy or by
 * --timeout exits with its documented code and leaves no process of its cgroup alive.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { createServer as createNet, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EvidenceStore, edgesOfRun, fileChangesOfRun, nodesOfRun, orphansOfRun, recordCapturesOfRun } from '../../src/store/index.js';
import { findCgroup2Root } from '../../src/host/index.js';
import type { DagEdge, DagNode } from '../../src/model/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';

let sleeps = 0;
/** A sleep no other process runs, so pgrep -f finds only ours. */
const uniqueSleep = (): string => `sleep ${4000 + (process.pid % 1000)}.${Date.now() % 100000}${sleeps++}`;
const alive = (pattern: string): string[] => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
};

const KILL_POLICY = `version: 1
name: record-kill-test
default_action: audit
rules:
  - id: kill-marker
    description: a command line carries the kill marker
    severity: critical
    score: 90
    tags: [test]
    action: kill
    match:
      event_type: process_exec
      argv_contains: [agentprov-kill-marker]
`;

const policyWith = (id: string, action: string, match: string) => `version: 1
name: record-${id}
default_action: audit
rules:
  - id: ${id}
    description: ${id}
    severity: critical
    score: 90
    tags: [test]
    action: ${action}
    match:
${match}
`;

describeKernel('agentprov record (eBPF)', () => {
  let dir: ReturnType<typeof tempDir>;
  let https: HttpsServer;
  let tcp: NetServer;
  let httpsPort = 0;
  let tcpPort = 0;
  beforeAll(async () => {
    dir = tempDir('agentprov-record-k-');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', join(dir.path, 'key.pem'), '-out', join(dir.path, 'cert.pem'),
    ], { stdio: 'ignore' });
    https = createHttps({ key: readFileSync(join(dir.path, 'key.pem')), cert: readFileSync(join(dir.path, 'cert.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}'));
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    httpsPort = (https.address() as { port: number }).port;
    tcp = createNet((s) => s.end('hello\n'));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    tcpPort = (tcp.address() as { port: number }).port;
  });
  afterAll(() => {
    https?.close();
    tcp?.close();
    dir?.cleanup();
  });

  it('links tool_call -> processes -> events -> files/endpoints -> risks, and graph verify passes', async () => {
    const work = join(dir.path, 'work');
    const data = join(dir.path, 'data');
    mkdirSync(join(dir.path, 'secrets'), { recursive: true });
    mkdirSync(work);
    writeFileSync(join(work, 'app.py'), 'print("v1")\n');
    writeFileSync(join(work, 'old.log'), 'old\n');
    const secret = join(dir.path, 'secrets', '.env');
    writeFileSync(secret, 'AWS_SECRET_ACCESS_KEY=fake-for-test\n');
    const bg = uniqueSleep();
    const script = [
      `sed -i s/v1/v2/ app.py`,
      `echo 'def test(): pass' > test_app.py`,
      `rm old.log`,
      `(${bg} &)`,
      `cat ${secret} > /dev/null`,
      `curl -s http://127.0.0.1:${tcpPort}/ --max-time 2 -o /dev/null || true`,
      `curl -sk https://localhost:${httpsPort}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"m"}' -o /dev/null`,
    ].join('; ');
    const r = await runCli(
      ['record', '--run', 'acc', '--tool-call', 'tc-1', '--tool-name', 'shell', '--workdir', work, '--json', '--', 'sh', '-c', script],
      { dataDir: data },
    );
    expect(r.code, r.stderr).toBe(0);
    const s = r.json().items[0];
    expect(s).toMatchObject({ capture: 'ebpf', outcome: 'exited', exit_code: 0, verify: { ok: true } });
    expect(s.by_tier).toEqual({ own_cgroup: s.events });
    expect(s.files).toMatchObject({ created: 1, modified: 1, deleted: 1 });
    expect(s.orphans).toEqual([expect.objectContaining({ argv: bg.split(' '), fate: 'killed' })]);
    expect(alive(bg)).toEqual([]);

    const store = new EvidenceStore(data, { mustExist: true });
    try {
      const [cap] = recordCapturesOfRun(store.db, 'acc');
      expect(cap).toMatchObject({ capture: 'ebpf', cgroup: 'v2', enforce: false, orphans: 1 });
      const root = findCgroup2Root()!;
      expect(existsSync(join(root, cap!.cgroup_path!))).toBe(false); // removed at the end

      const nodes = nodesOfRun(store.db, 'acc');
      const edges = edgesOfRun(store.db, 'acc');
      const byHash = new Map(nodes.map((n) => [n.hash, n]));
      const out = (from: DagNode, name: DagEdge['name']) => edges.filter((e) => e.from === from.hash && e.name === name).map((e) => byHash.get(e.to)!);
      const tc = nodes.find((n) => n.kind === 'tool_call')!;
      const procs = out(tc, 'tool_call_spawned');
      expect(procs.map((p) => p.body['comm'])).toEqual(expect.arrayContaining(['sh', 'sed', 'rm', 'cat', 'curl', 'sleep']));
      // judged events are nodes of their own; what no rule judged is an edge from its process to the object
      const events = procs.flatMap((p) => out(p, 'process_emitted'));
      const files = [...events.flatMap((e) => out(e, 'event_touched_file')), ...procs.flatMap((p) => out(p, 'process_touched_file'))].map((f) => f.body['path']);
      expect(files).toEqual(expect.arrayContaining([secret, 'test_app.py', 'old.log']));
      const endpoints = [...events.flatMap((e) => out(e, 'event_connected')), ...procs.flatMap((p) => out(p, 'process_connected'))].map((n) => n.body['endpoint']);
      expect(endpoints).toEqual(expect.arrayContaining([`127.0.0.1:${tcpPort}`, `127.0.0.1:${httpsPort}`]));
      // curl's request through libssl: the TLS uprobe sees the plaintext path, and policy flags the LLM API call
      const tls = events.find((e) => (e.body['event'] as { type: string; tls?: { path?: string } }).tls?.path === '/v1/chat/completions');
      expect(tls, 'a tls_request event for /v1/chat/completions').toBeDefined();
      // the secret read is a risk, reached from the event through its decision
      const readSecret = events.find((e) => (e.body['event'] as { path?: string }).path === secret)!;
      const decision = nodes.find((n) => n.kind === 'policy_decision' && edges.some((e) => e.name === 'decision_on' && e.from === n.hash && e.to === readSecret.hash))!;
      const risk = nodes.find((n) => n.kind === 'risk_signal' && edges.some((e) => e.name === 'risk_from' && e.from === n.hash && e.to === decision.hash))!;
      expect((risk.body['risk'] as { rule_id: string }).rule_id).toBe('secret-file-read');

      const changes = fileChangesOfRun(store.db, 'acc');
      const created = changes.find((c) => c.path === 'test_app.py')!;
      expect(created.writers[0]).toMatchObject({ comm: 'sh', match: 'cwd_relative', tool_call_id: 'tc-1' });
      expect(changes.find((c) => c.path === 'old.log')!.writers[0]).toMatchObject({ comm: 'rm', event_types: ['file_unlink'] });
      expect(changes.find((c) => c.path === 'app.py')!.diff).toContain('-print("v1")\n+print("v2")');
      expect(orphansOfRun(store.db, 'acc')).toHaveLength(1);
    } finally {
      store.close();
    }
    const verify = await runCli(['graph', 'verify', '--run', 'acc'], { dataDir: data });
    expect(verify.code, verify.stdout).toBe(0);
    const blame = await runCli(['graph', 'blame', '--run', 'acc', '--file', 'app.py'], { dataDir: data });
    expect(blame.stdout).toMatch(/sed\[\d+\]/);
  });

  it('kills the run on a kill decision with --enforce: exit 70 and no process of its cgroup survives', async () => {
    const data = join(dir.path, 'data-kill');
    const policy = join(dir.path, 'kill.yaml');
    writeFileSync(policy, KILL_POLICY);
    const bg = uniqueSleep();
    const r = await runCli(
      ['record', '--run', 'killed', '--enforce', '--policy', policy, '--workdir', dir.path, '--no-snapshot', '--json', '--',
        'sh', '-c', `${bg} & sleep 0.3; echo agentprov-kill-marker; exec ${bg}`],
      { dataDir: data },
    );
    expect(r.code, r.stderr).toBe(70);
    expect(r.json().items[0]).toMatchObject({ outcome: 'killed_by_policy', agentprov_exit: 70 });
    expect(r.json().items[0].responses.some((x: string) => /^kill done: wrote 1 to cgroup\.kill of cgroup v2 /.test(x))).toBe(true);
    expect(alive(bg)).toEqual([]);
  });

  it('kills the run when --timeout expires: exit 71, nothing left in the cgroup', async () => {
    const bg = uniqueSleep();
    const r = await runCli(['record', '--run', 'slow', '--timeout', '1', '--no-snapshot', '--workdir', dir.path, '--json', '--', 'sh', '-c', `${bg} & exec ${bg}`], {
      dataDir: join(dir.path, 'data-timeout'),
    });
    expect(r.code, r.stderr).toBe(71);
    expect(r.json().items[0]).toMatchObject({ outcome: 'timeout', capture: 'ebpf' });
    expect(alive(bg)).toEqual([]);
  });

  it('quarantines on a quarantine decision: exit 72, the cgroup frozen then killed, one response acting', async () => {
    const policy = join(dir.path, 'quarantine.yaml');
    writeFileSync(policy, policyWith('quarantine-marker', 'quarantine', '      event_type: process_exec\n      argv_contains: [agentprov-quarantine-marker]'));
    const bg = uniqueSleep();
    const r = await runCli(
      ['record', '--run', 'frozen', '--enforce', '--policy', policy, '--no-snapshot', '--workdir', dir.path, '--json', '--',
        'sh', '-c', `${bg} & sleep 0.3; echo agentprov-quarantine-marker; sleep 20; echo not-$((1+1))-reached`],
      { dataDir: join(dir.path, 'data-quarantine') },
    );
    expect(r.code, r.stderr).toBe(72);
    expect(r.stderr).not.toContain('not-2-reached');
    const s = r.json().items[0];
    expect(s.outcome).toBe('quarantined');
    expect(s.responses.filter((x: string) => /^quarantine done: wrote 1 to cgroup\.freeze of cgroup v2 /.test(x))).toHaveLength(1);
    expect(alive(bg)).toEqual([]);
  });

  it('kills through the sensor ring thread when a kill rule on a destination fires: exit 70, the record says so', async () => {
    const policy = join(dir.path, 'kill-dst.yaml');
    writeFileSync(policy, policyWith('kill-127-0-0-3', 'kill', '      event_type: network_connect\n      dst_ip: 127.0.0.3'));
    const connect = `python3 -c "import socket\ntry: socket.create_connection(('127.0.0.3', ${tcpPort}), timeout=2)\nexcept OSError: pass"`;
    const r = await runCli(
      ['record', '--run', 'killed-dst', '--enforce', '--policy', policy, '--no-snapshot', '--workdir', dir.path, '--json', '--', 'sh', '-c', `${connect}; echo not-reached; sleep 5`],
      { dataDir: join(dir.path, 'data-kill-dst') },
    );
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).not.toMatch(/^not-reached$/m);
    const s = r.json().items[0];
    expect(s.outcome).toBe('killed_by_policy');
    expect(s.responses[0]).toMatch(/^kill done: the sensor's ring thread wrote 1 to cgroup\.kill .* after the kernel refused the connect\(\)/);
  });

  it('refuses a denied destination in the kernel from the first connect: the entry is written when the tool call is bound', async () => {
    const policy = join(dir.path, 'deny.yaml');
    writeFileSync(policy, policyWith('deny-127-0-0-2', 'deny', '      event_type: network_connect\n      dst_cidr: [127.0.0.2/32]'));
    const connect = `python3 -c "import socket,sys\ntry: socket.create_connection(('127.0.0.2', ${tcpPort}), timeout=2).close(); print('connected')\nexcept OSError as e: print('errno', e.errno)"`;
    const r = await runCli(
      ['record', '--run', 'denied', '--enforce', '--policy', policy, '--no-snapshot', '--workdir', dir.path, '--json', '--', 'sh', '-c', `${connect}; sleep 0.5; ${connect}`],
      { dataDir: join(dir.path, 'data-deny') },
    );
    expect(r.code, r.stderr).toBe(0);
    // a destination-only rule is decided in the kernel: both connects fail with EPERM, the first included
    expect(r.stderr).toMatch(/errno 1\n[\s\S]*errno 1\n/);
    expect(r.stderr).not.toMatch(/^connected$/m);
    const s = r.json().items[0];
    expect(s.responses).toHaveLength(2);
    expect(s.responses[0]).toMatch(/^deny done: the kernel refused this connect to 127\.0\.0\.2\/32 before it happened \(EPERM\)/);
    expect(s.responses[1]).toMatch(/^deny skipped: 127\.0\.0\.2\/32 is already in the cgroup's deny list \(decision [0-9a-f]{12}\): the kernel refused this connect/);
    const tl = await runCli(['timeline', '--run', 'denied', '--limit', '100000', '--json'], { dataDir: join(dir.path, 'data-deny') });
    expect(tl.json().items.some((i: { summary: string }) => i.summary.startsWith('enforcement:') && i.summary.includes('ENFORCED connect_denied'))).toBe(true);
  });
});
