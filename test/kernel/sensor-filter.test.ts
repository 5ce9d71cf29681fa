/** In-kernel filtering: only tracked cgroups (and tracked pids with their children) produce events. */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { collect, runUntracked, startHarness, type Harness } from './sensor-harness.js';

describeKernel('sensor: filtering by cgroup and pid', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('filter');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reports a child forked inside the tracked cgroup and nothing from outside it', async () => {
    const outside = await runUntracked('/bin/echo', ['outside-marker']);
    const other = h.newLeaf('untracked');
    const sibling = await h.run('/bin/echo', ['sibling-marker'], { leaf: other });
    const inside = await h.run('/bin/sh', ['-c', '/bin/echo inside-marker; echo $$']);
    const shPid = Number(inside.stdout.trim().split('\n').pop());
    const child = await h.waitFor('exec of the child', (e) => e.type === 'process_exec' && (e.argv ?? []).includes('inside-marker'));
    expect(child.ppid).toBe(shPid);
    expect(child.cgroup_id).toBe(h.cgroupId.toString());
    await h.sensor.flush();
    const leaked = h.sink.events.filter((e) => e.pid === outside.pid || e.pid === sibling.pid);
    expect(leaked).toEqual([]);
    expect(h.sink.events.every((e) => e.cgroup_id === h.cgroupId.toString())).toBe(true);
  });

  it('tracks a pid and the children it forks after it is tracked', async () => {
    // untracked until we add its pid; it forks a child only after reading a line
    const proc = spawn('/bin/sh', ['-c', 'read x; /bin/echo tracked-pid-child; /bin/true'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(proc);
    const pid = proc.pid as number;
    h.sensor.trackPid(pid);
    proc.stdin?.end('go\n');
    const r = await done;
    expect(r.stdout.trim()).toBe('tracked-pid-child');
    const child = await h.waitFor('exec by a child of the tracked pid', (e) => e.type === 'process_exec' && (e.argv ?? []).includes('tracked-pid-child'));
    expect(child.ppid).toBe(pid);
    const unrelated = await runUntracked('/bin/echo', ['unrelated-marker']);
    await h.sensor.flush();
    expect(h.sink.events.filter((e) => e.pid === unrelated.pid)).toEqual([]);
    h.sensor.untrackPid(pid);
  });
});
