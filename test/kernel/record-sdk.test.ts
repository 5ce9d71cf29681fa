/**
 * The SDK with the eBPF sensor: two tool calls of one run running at the same time, each in its own cgroup
 * leaf beneath the run's, get every one of their events attributed to the right one at confidence 1.0; one
 * can be killed without touching the other; a process started elsewhere is covered with bindPid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRecorder, type Recorder } from '../../src/sdk/index.js';
import { EvidenceStore, correlationsOfRun, eventsOfRun } from '../../src/store/index.js';
import { findCgroup2Root } from '../../src/host/index.js';
import { tempDir } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';

describeKernel('SDK: one cgroup per tool call', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let recorder: Recorder;
  beforeAll(async () => {
    dir = tempDir('agentprov-sdk-');
    data = join(dir.path, 'data');
    mkdirSync(join(dir.path, 'a'));
    mkdirSync(join(dir.path, 'b'));
    recorder = await openRecorder({ dataDir: data });
  });
  afterAll(async () => {
    await recorder?.close();
    dir?.cleanup();
  });

  it('attributes every event of two concurrent tool calls to the right one', async () => {
    expect(recorder.capture.kind).toBe('ebpf');
    const run = recorder.run({ run_id: 'concurrent', session: 's1' });
    const a = run.toolCall({ tool_call: 'tc-a', tool_name: 'bash', args: { cmd: 'loop a' }, workdir: join(dir.path, 'a') });
    const b = run.toolCall({ tool_call: 'tc-b', tool_name: 'bash', args: { cmd: 'loop b' }, workdir: join(dir.path, 'b') });
    expect(a.cgroup!.path).toMatch(/^\/agentprov\/runs\/concurrent-[0-9a-f]{6}\/tc-a$/);
    expect(b.cgroup!.path).toBe(a.cgroup!.path.replace(/tc-a$/, 'tc-b'));
    // interleaved on purpose: both write, fork and exec for the same 0.6 s
    const loop = (tag: string) => `for i in 1 2 3 4 5 6; do echo $i > ${tag}-$i.txt; cat ${tag}-$i.txt > /dev/null; sleep 0.1; done`;
    const pa = a.spawn('sh', ['-c', loop('a')], { cwd: join(dir.path, 'a') });
    const pb = b.spawn('sh', ['-c', loop('b')], { cwd: join(dir.path, 'b') });
    expect(await pa.exited).toEqual({ code: 0, signal: null });
    expect(await pb.exited).toEqual({ code: 0, signal: null });
    const [ra, rb] = [await a.end(), await b.end()];
    expect(ra).toMatchObject({ capture: 'ebpf', outcome: 'ended', exit_code: 0 });
    expect(ra.files.filter((f) => f.change === 'created')).toHaveLength(6);
    expect(rb.files.filter((f) => f.change === 'created')).toHaveLength(6);
    expect(existsSync(join(findCgroup2Root()!, a.cgroup!.path))).toBe(false);

    const store = new EvidenceStore(data, { mustExist: true });
    try {
      const corr = new Map(correlationsOfRun(store.db, 'concurrent').map((c) => [c.event_id, c]));
      const events = eventsOfRun(store.db, 'concurrent');
      expect(events.length).toBe(ra.events + rb.events);
      const leafOf: Record<string, string> = { 'tc-a': a.cgroup!.id, 'tc-b': b.cgroup!.id };
      let writes = { a: 0, b: 0 };
      for (const e of events) {
        const c = corr.get(e.event_id!)!;
        expect(c.confidence).toBe(1);
        expect(c.tier).toBe('own_cgroup');
        expect(e.cgroup_id).toBe(leafOf[c.tool_call_id!]);
        const m = /^([ab])-\d\.txt$/.exec(e.path ?? '');
        if (m) {
          expect(c.tool_call_id).toBe(`tc-${m[1]}`);
          writes = { ...writes, [m[1]!]: writes[m[1] as 'a' | 'b'] + 1 };
        }
      }
      expect(writes.a).toBeGreaterThanOrEqual(12);
      expect(writes.b).toBeGreaterThanOrEqual(12);
    } finally {
      store.close();
    }
    const res = await run.end();
    expect(res.verify.ok).toBe(true);
  });

  it('kills one tool call without touching the other or the agent', async () => {
    const run = recorder.run({ run_id: 'kill-one' });
    const victim = run.toolCall({ tool_call: 'victim' });
    const other = run.toolCall({ tool_call: 'other' });
    const v = victim.spawn('sh', ['-c', 'sleep 30 & exec sleep 31']);
    const o = other.spawn('sh', ['-c', 'sleep 0.8; echo survived']);
    await v.started;
    await new Promise((r) => setTimeout(r, 200));
    await victim.kill();
    expect(await v.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const child = await o.started;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await o.exited).toEqual({ code: 0, signal: null });
    expect(out).toBe('survived\n');
    const r = await run.end();
    expect(r.tool_calls.map((t) => t.orphans.length)).toEqual([0, 0]);
  });

  it('covers a process started elsewhere through bindPid (pid ancestry, 0.85)', async () => {
    const run = recorder.run({ run_id: 'bound' });
    const tc = run.toolCall({ tool_call: 'external' });
    const marker = join(dir.path, 'bound-marker.txt');
    writeFileSync(marker, 'x');
    const child = spawn('sh', ['-c', `sleep 0.3; cat ${marker} > /dev/null`], { stdio: 'ignore' });
    tc.bindPid(child.pid!);
    await new Promise((r) => child.once('exit', r));
    const res = await tc.end();
    expect(res.cgroup).not.toBeNull(); // the leaf exists, the process simply is not in it
    const store = new EvidenceStore(data, { mustExist: true });
    try {
      const corr = new Map(correlationsOfRun(store.db, 'bound').map((c) => [c.event_id, c]));
      const read = eventsOfRun(store.db, 'bound').find((e) => e.type === 'file_open' && e.path === marker);
      expect(read, 'the cat of the marker, seen through pid tracking').toBeDefined();
      expect(corr.get(read!.event_id!)).toMatchObject({ tool_call_id: 'external', tier: 'pid_ancestry', confidence: 0.85 });
    } finally {
      store.close();
    }
  });

  it('runs the README example (fixtures/demo/sdk-example.mjs) against the built package', () => {
    expect(existsSync(resolve('dist/src/sdk/index.js')), 'build first: npx tsc -p tsconfig.json').toBe(true);
    const r = spawnSync(process.execPath, ['fixtures/demo/sdk-example.mjs'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, AGENTPROV_DATA_DIR: join(dir.path, 'example') },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('capture: ebpf');
    expect(r.stdout).toMatch(/tc-1: cgroup \/agentprov\/runs\/sdk-example-\d+-[0-9a-f]{6}\/tc-1, capture ebpf, \d+ events/);
    expect(r.stdout).toContain('graph verify: ok');
  });
});
