/**
 * `agentprov-sensor --cgroup DIR --output store`, the built bin as a user runs it: an app binds a scope over
 * the unix socket, a process in the cgroup reads a fake .env secret and connects to loopback, SIGINT stops the
 * sensor, and the store holds the events attributed at 1.0 with the policy's verdicts and a verifiable DAG.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Server } from 'node:net';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLeaf, ensureCgroup2Root, removeLeaf, spawnInCgroup, type CgroupLeaf } from '../../src/host/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';
import { listenLoopback } from './loopback-listener.js';

function waitFor(child: ChildProcess, text: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms: ${err}`)), ms);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(text)) {
        clearTimeout(timer);
        resolve(err);
      }
    });
  });
}

function bindOverSocket(path: string, scope: object): Promise<any> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      s.end();
      resolve(JSON.parse(d.split('\n')[0]!));
    });
    s.on('error', reject);
    s.write(`${JSON.stringify({ op: 'bind', scope })}\n`);
  });
}

describeKernel('agentprov-sensor --output store', () => {
  const dir = tempDir('agentprov-sensor-store-');
  let leaf: CgroupLeaf;
  let listener: Server;
  let port = 0;

  beforeAll(async () => {
    const root = await ensureCgroup2Root();
    leaf = createLeaf('agentprov-test', `sensor-store-${process.pid}`, { root });
    ({ server: listener, port } = await listenLoopback('127.0.0.1'));
  });
  afterAll(async () => {
    listener?.close();
    if (leaf) await removeLeaf(leaf).catch(() => undefined);
    dir.cleanup();
  });

  it('attributes events of the bound cgroup at 1.0, judges them and stores a DAG that verifies', async () => {
    const dataDir = join(dir.path, 'data');
    const sock = join(dir.path, 'sensor.sock');
    const project = join(dir.path, 'project');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, '.env'), 'OPENAI_API_KEY=not-a-real-key\n');

    const sensor = spawn(process.execPath, ['dist/src/bin/agentprov-sensor.js', '--cgroup', leaf.path, '--output', 'store'], {
      env: { ...process.env, AGENTPROV_DATA_DIR: dataDir, AGENTPROV_SENSOR_SOCKET: sock },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await waitFor(sensor, 'watching', 60_000);
      expect(statSync(sock).mode & 0o777).toBe(0o660);
      const started = BigInt(Date.now() - 1000) * 1_000_000n;
      const bound = await bindOverSocket(sock, {
        run_id: 'live-run',
        tool_call_id: 'tc-live',
        tool_name: 'run_shell',
        started_at_ns: started.toString(),
        own_cgroup_ids: [leaf.id],
      });
      expect(bound).toMatchObject({ ok: true, tool_call_id: 'tc-live' });

      const script = `cat ${project}/.env >/dev/null; exec 3<>/dev/tcp/127.0.0.1/${port}; exec 3>&-`;
      const child = spawnInCgroup(leaf, '/bin/bash', ['-c', script], { stdio: 'ignore' });
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      sensor.kill('SIGINT');
      await new Promise((r) => sensor.on('exit', r));
    }
    expect(sensor.exitCode).toBe(0);

    const corr = (await runCli(['telemetry', 'correlations', '--run', 'live-run', '--json'], { dataDir })).json();
    expect(corr.items.length).toBeGreaterThan(0);
    expect(corr.items.every((c: any) => c.tool_call_id === 'tc-live' && c.confidence === 1)).toBe(true);

    const timeline = (await runCli(['timeline', '--run', 'live-run', '--json'], { dataDir })).json();
    const summaries: string[] = timeline.items.map((i: any) => i.summary);
    expect(summaries.some((s) => s.includes('project/.env'))).toBe(true);
    expect(summaries.some((s) => s.includes(`127.0.0.1:${port}`))).toBe(true);

    const risks = (await runCli(['security', 'risks', '--run', 'live-run', '--json'], { dataDir })).json();
    expect(risks.items.some((r: any) => r.rule_id === 'secret-file-read')).toBe(true);

    const verify = await runCli(['graph', 'verify', '--run', 'live-run'], { dataDir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
