/**
 * `agentprov respond` by hand on real targets: a tool call's cgroup v2 leaf (by --tool-call and --run),
 * a cgroup v1 freezer group, and a single process; dry run touches nothing; every action is a stored
 * ResponseAction that appears in the run's DAG.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cgroupIdOf, findCgroupV1Mount, isFrozen, isPopulated, readProcStat } from '../../src/host/index.js';
import { edgesOfRun, nodesOfRun } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { describeRoot } from './require-root.js';
import { exitOf, startPipeline, until, type Pipeline } from './respond-harness.js';

const POLICY = 'version: 1\nname: manual\nrules: []\n';

describeRoot('respond: manual kill, quarantine, release', () => {
  let p: Pipeline;
  const extra: ChildProcess[] = [];
  beforeAll(async () => {
    p = await startPipeline('manual', POLICY);
  });
  afterAll(async () => {
    for (const c of extra) c.kill('SIGKILL');
    await p?.close();
  });
  const cli = (args: string[]) => runCli(args, { dataDir: p.dataDir, env: { USER: 'oncall' } });

  it('quarantines, releases and kills a tool call by id; dry run changes nothing; the DAG holds each action', async () => {
    const leaf = p.leaf('tc-m');
    p.bind({ run_id: 'rm', tool_call_id: 'tc-m', own_cgroup_ids: [cgroupIdOf(leaf.path).toString()] });
    const child = p.spawn(leaf, '/bin/sleep', ['60']);
    await until('sleep to run', () => isPopulated(leaf));

    const dry = await cli(['respond', 'kill', '--tool-call', 'tc-m', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().items[0]).toMatchObject({ result: 'dry_run', target: leaf.path, tool_call_id: 'tc-m', decision_id: null });
    expect(dry.json().items[0].detail).toContain('would write 1 to cgroup.kill');
    expect(isPopulated(leaf)).toBe(true);

    const q = await cli(['respond', 'quarantine', '--tool-call', 'tc-m', '--reason', 'suspicious', '--json']);
    expect(q.code, q.stderr).toBe(0);
    const qa = q.json().items[0];
    expect(qa).toMatchObject({ action: 'quarantine', result: 'done', target_kind: 'cgroup', run_id: 'rm' });
    expect(qa.detail).toContain('manual (oncall: suspicious)');
    expect(qa.detail).toContain('network NOT cut');
    expect(isFrozen(leaf)).toBe(true);
    // idempotent: a second quarantine is harmless and says so
    expect((await cli(['respond', 'quarantine', '--tool-call', 'tc-m', '--json'])).json().items[0].detail).toContain('already frozen');

    const rel = await cli(['respond', 'release', '--run', 'rm', '--json']);
    expect(rel.code, rel.stderr).toBe(0);
    expect(rel.json().items[0]).toMatchObject({ action: 'release', result: 'done' });
    expect(isFrozen(leaf)).toBe(false);

    const kill = await cli(['respond', 'kill', '--cgroup', cgroupIdOf(leaf.path).toString(), '--json']);
    expect(kill.json().items[0]).toMatchObject({ action: 'kill', result: 'done', tool_call_id: 'tc-m' });
    expect((await exitOf(child)).signal).toBe('SIGKILL');
    const again = await cli(['respond', 'kill', '--tool-call', 'tc-m', '--json']);
    expect(again.json().items[0].detail).toContain('already empty');

    const nodes = nodesOfRun(p.store.db, 'rm');
    const tc = nodes.find((n) => n.kind === 'tool_call')!;
    const responses = nodes.filter((n) => n.kind === 'response_action');
    expect(responses.length).toBe(6);
    expect(responses.every((n) => n.parents.includes(tc.hash))).toBe(true);
    expect(edgesOfRun(p.store.db, 'rm').filter((e) => e.name === 'response_to' && e.to === tc.hash)).toHaveLength(6);
    expect((await cli(['graph', 'verify', '--run', 'rm'])).code).toBe(0);
  });

  it('stops, continues and kills a single process by pid', async () => {
    const child = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    extra.push(child);
    await until('sleep to start', () => readProcStat(child.pid!) !== null);
    expect((await cli(['respond', 'quarantine', '--pid', String(child.pid)])).code).toBe(0);
    expect(readProcStat(child.pid!)?.state).toBe('T');
    expect((await cli(['respond', 'release', '--pid', String(child.pid)])).code).toBe(0);
    expect(readProcStat(child.pid!)?.state).not.toBe('T');
    const kill = await cli(['respond', 'kill', '--pid', String(child.pid), '--json']);
    expect(kill.json().items[0]).toMatchObject({ target_kind: 'process', result: 'done' });
    expect((await exitOf(child)).signal).toBe('SIGKILL');
    expect((await cli(['respond', 'kill', '--pid', String(child.pid)])).code).toBe(5);
  });

  it('freezes, thaws and kills a cgroup v1 freezer group', async () => {
    const mount = findCgroupV1Mount('freezer');
    if (mount === null) return; // pure v2 host: nothing to test here
    const dir = join(mount.mountPoint, `agentprov-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const child = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    extra.push(child);
    writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
    try {
      const q = await cli(['respond', 'quarantine', '--cgroup', dir, '--json']);
      expect(q.json().items[0]).toMatchObject({ result: 'done', target_kind: 'cgroup', target: dir });
      expect(readFileSync(join(dir, 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
      expect((await cli(['respond', 'release', '--cgroup', dir])).code).toBe(0);
      expect(readFileSync(join(dir, 'freezer.state'), 'utf8').trim()).toBe('THAWED');
      const kill = await cli(['respond', 'kill', '--cgroup', dir, '--json']);
      expect(kill.json().items[0].detail).toContain('sent SIGKILL to 1 tasks');
      expect((await exitOf(child)).signal).toBe('SIGKILL');
    } finally {
      await until('the v1 group to empty', () => readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === '');
      rmdirSync(dir);
    }
  });

  it('refuses to act on the cgroup agentprov runs in, and on a missing target', async () => {
    const self = await cli(['respond', 'kill', '--pid', String(process.pid), '--json']);
    expect(self.code).toBe(8);
    expect(self.json().items[0].detail).toContain('agentprov itself');
    const root = await cli(['respond', 'quarantine', '--cgroup', p.cgroup2Root, '--json']);
    expect(root.code).toBe(8);
    expect(root.json().items[0].detail).toContain('refusing to act on');
    expect((await cli(['respond', 'kill', '--tool-call', 'nope'])).code).toBe(5);
    expect((await cli(['respond', 'kill'])).code).toBe(2);
  });
});
