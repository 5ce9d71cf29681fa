/** agentprov-sensor end to end, in-process: --cgroup PATH --output jsonl:FILE, stopped by a signal. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cgroupIdOf, prepareSensorHost } from '../../src/host/capabilities.js';
import { createLeaf, removeLeaf, spawnInCgroup, type CgroupLeaf } from '../../src/host/index.js';
import { RuntimeEventSchema } from '../../src/model/index.js';
import { runSensorCli } from '../../src/sensor/index.js';
import { describeKernel } from './require-ebpf.js';
import { collect } from './sensor-harness.js';

describeKernel('agentprov-sensor CLI', () => {
  let dir: string;
  let leaf: CgroupLeaf;
  let root: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-cli-'));
    root = (await prepareSensorHost()).cgroup2Root;
    leaf = createLeaf('agentprov-test', `cli-${process.pid}`, { root });
  });
  afterAll(async () => {
    if (leaf) await removeLeaf(leaf).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI on the leaf, writing JSON lines to `name` in the test dir, stopped by `stop`; resolves once it is up. */
  async function startCli(name: string) {
    const file = join(dir, name);
    const stop = new AbortController();
    const stderr: string[] = [];
    const exit = runSensorCli(['--cgroup', leaf.path, '--output', `jsonl:${file}`, '--no-tls'], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => stderr.push(s) },
      host: { prepare: prepareSensorHost, cgroupIdOf },
      signal: stop.signal,
    });
    // the sensor is up once it says what it watches
    for (let i = 0; i < 200 && !stderr.join('').includes('watching'); i++) await new Promise((r) => setTimeout(r, 25));
    return { file, stop, stderr, exit };
  }

  it('writes JSON lines for a watched cgroup and stops cleanly on a signal', async () => {
    const { file, stop, stderr, exit } = await startCli('events.jsonl');
    expect(stderr.join('')).toContain(`watching cgroup ${leaf.path}`);
    const r = await collect(spawnInCgroup(leaf, '/bin/echo', ['cli-marker'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.stdout.trim()).toBe('cli-marker');
    let lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      lines = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean) : [];
      if (lines.some((l) => l.includes('"cli-marker"'))) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    stop.abort();
    expect(await exit).toBe(0);
    expect(stderr.join('')).toMatch(/stopped after \d+ events, 0 dropped/);
    const events = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => RuntimeEventSchema.parse(JSON.parse(l)));
    const exec = events.find((e) => e.type === 'process_exec' && e.argv?.includes('cli-marker'));
    expect(exec?.pid).toBe(r.pid);
    expect(exec?.cgroup_id).toBe(cgroupIdOf(leaf.path).toString());
    expect(exec?.cgroup_path).toBe(leaf.path);
  });

  it('stops on a signal while a storm goes on, and every event is either written or counted as lost', async () => {
    const { file, stop, stderr, exit } = await startCli('storm.jsonl');
    // opens without end: the ring never reads empty while it runs
    const storm = spawnInCgroup(leaf, '/usr/bin/python3', ['-c', "import os\nwhile True: os.close(os.open('/dev/null', os.O_RDONLY))"], { stdio: 'ignore' });
    const stormExit = new Promise((res) => storm.once('exit', res));
    try {
      for (let i = 0; i < 200 && !(existsSync(file) && readFileSync(file).includes('/dev/null')); i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 500));
      stop.abort();
      expect(await exit).toBe(0);
      // the sensor ended while the storm still ran
      expect(storm.exitCode).toBeNull();
    } finally {
      storm.kill('SIGKILL');
      await stormExit;
    }
    const text = stderr.join('');
    const m = /stopped after (\d+) events, (\d+) dropped in the kernel \(ring full\), (\d+) in userspace \(queue full\), (\d+) not decoded at stop/.exec(text);
    expect(m, text).not.toBeNull();
    const [written, kernel, user, atStop] = m!.slice(1).map(Number) as [number, number, number, number];
    const events = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => RuntimeEventSchema.parse(JSON.parse(l)));
    expect(events.length).toBe(written);
    expect(events.filter((e) => e.type === 'file_open' && e.path === '/dev/null').length).toBeGreaterThan(0);
    // each kind of loss the final line counts is in the output as a telemetry_loss of that cause
    const lossOf = (reason: string) => events.filter((e) => e.type === 'telemetry_loss' && e.labels?.['reason'] === reason).reduce((n, e) => n + (e.lost_events ?? 0), 0);
    expect(lossOf('ring buffer full')).toBe(kernel);
    expect(lossOf('userspace queue full')).toBe(user);
    expect(lossOf('sensor stopped before they were decoded')).toBe(atStop);
  });
});
