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

  it('writes JSON lines for a watched cgroup and stops cleanly on a signal', async () => {
    const file = join(dir, 'events.jsonl');
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
});
