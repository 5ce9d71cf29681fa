/** exec (argv of the image that ran, filename, result), fork and exit, observed for real in a tracked cgroup. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RuntimeEventSchema } from '../../src/model/index.js';
import { describeKernel } from './require-ebpf.js';
import { startHarness, type Harness } from './sensor-harness.js';

describeKernel('sensor: process hooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('process');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reports an exec with its arguments, pid, ppid and cgroup id', async () => {
    const r = await h.run('/bin/echo', ['hello', 'agent world', '--flag=1']);
    expect(r.code).toBe(0);
    const exec = await h.waitFor('exec of /bin/echo', (e) => e.type === 'process_exec' && e.pid === r.pid && e.exe === '/bin/echo');
    expect(exec.argv).toEqual(['/bin/echo', 'hello', 'agent world', '--flag=1']);
    expect(exec.result).toBe(0);
    expect(exec.syscall).toBe('execve');
    expect(exec.cgroup_id).toBe(h.cgroupId.toString());
    expect(exec.ppid).toBe(process.pid);
    expect(exec.uid).toBe(0);
    expect(exec.comm).toBe('echo');
    expect(exec.pid_ns).toBeGreaterThan(0);
    expect(exec.mnt_ns).toBeGreaterThan(0);
    expect(typeof exec.time_ns).toBe('bigint');
    // wall clock: within a minute of now
    const now = BigInt(Date.now()) * 1_000_000n;
    expect((exec.time_ns as bigint) > now - 60_000_000_000n && (exec.time_ns as bigint) <= now + 1_000_000_000n).toBe(true);
    expect(RuntimeEventSchema.safeParse(exec).success).toBe(true);
  });

  it('reports the exit code of the process', async () => {
    const r = await h.run('/bin/sh', ['-c', 'exit 7']);
    expect(r.code).toBe(7);
    const exit = await h.waitFor('exit of sh', (e) => e.type === 'process_exit' && e.pid === r.pid);
    expect(exit.exit_code).toBe(7);
    expect(exit.signal).toBeNull();
  });

  it('reports a fork inside the cgroup with the child pid and its parent', async () => {
    const r = await h.run('/bin/sh', ['-c', '/bin/true; echo $$']);
    const shPid = Number(r.stdout.trim());
    const fork = await h.waitFor('fork from sh', (e) => e.type === 'process_fork' && e.ppid === shPid);
    expect(fork.cgroup_id).toBe(h.cgroupId.toString());
    const childExec = await h.waitFor('exec of /bin/true', (e) => e.type === 'process_exec' && e.pid === fork.pid);
    expect(childExec.exe).toBe('/bin/true');
    expect(childExec.ppid).toBe(shPid);
  });

  it('reports a failed exec with its result and the argv the caller passed', async () => {
    const r = await h.run('/bin/sh', ['-c', 'exec /nonexistent/agentprov-missing a1 a2; exit 3']);
    expect(r.code).not.toBe(0);
    const failed = await h.waitFor('failed exec', (e) => e.type === 'process_exec' && e.exe === '/nonexistent/agentprov-missing');
    expect(failed.result).toBe(-2); // -ENOENT
    expect(failed.argv).toEqual(['/nonexistent/agentprov-missing', 'a1', 'a2']);
  });
});
