/**
 * Quarantine on a real cgroup v2 with the real sensor: the policy's quarantine freezes the tool call and sets
 * the sensor's in-kernel flag (every connect denied); thawing alone shows the network is still cut; release
 * restores both.
 */
import { expect, it } from 'vitest';
import { cgroupIdOf, isFrozen } from '../../src/host/index.js';
import { ResponseStore, responsesOfRun } from '../../src/store/index.js';
import { describeKernel } from './require-ebpf.js';
import { lines, sensorPipelineForSuite, until } from './respond-harness.js';

const POLICY = `
version: 1
name: quarantine-test
rules:
  - id: exfil-address
    severity: critical
    action: quarantine
    match:
      event_type: network_connect
      dst_ip: 127.0.0.3
`;

describeKernel('respond: quarantine and release', () => {
  const suite = sensorPipelineForSuite('quarantine', POLICY);

  it('freezes and cuts the network; release restores both', async () => {
    const { p, port } = suite;
    const leaf = p.leaf('tc-q');
    const id = cgroupIdOf(leaf.path).toString();
    p.bind({ run_id: 'rq', tool_call_id: 'tc-q', own_cgroup_ids: [id] });
    // Connects to 127.0.0.1 every 50 ms and prints the outcome; once, early, it touches the exfil address.
    const child = p.spawn(leaf, '/usr/bin/python3', [
      '-u',
      '-c',
      `import socket, time
def attempt(host):
  try:
    socket.create_connection((host, ${port}), timeout=1).close(); return 'ok'
  except OSError as e:
    return 'errno %d' % e.errno
for i in range(3): print(attempt('127.0.0.1')); time.sleep(0.05)
attempt('127.0.0.3')
while True:
  print(attempt('127.0.0.1')); time.sleep(0.05)`,
    ]);
    const out = lines(child);
    await until('the quarantine to freeze the leaf', () => isFrozen(leaf), 10_000);
    // The sensor's ring thread freezes before the engine judges the connect: wait for the record too.
    await until('the quarantine to be recorded', () => responsesOfRun(p.store.db, 'rq').some((r) => r.action === 'quarantine' && r.detail.includes('confirmed:')), 10_000);
    await p.live.settled();
    expect(out.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
    const q = responsesOfRun(p.store.db, 'rq').find((r) => r.action === 'quarantine');
    expect(q?.result).toBe('done');
    expect(q?.detail).toContain('sensor quarantine flag set');
    expect(q?.latency_ns).toBeGreaterThan(0n);
    const held = new ResponseStore(p.store.db).getContainment('cgroup', leaf.path);
    expect(held).toMatchObject({ state: 'quarantined', body: { sensor_cgroup_id: id } });

    // Frozen: nothing more is printed.
    const frozenAt = out.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(out.length).toBe(frozenAt);

    // Thawed but still quarantined: the process runs again, its connects are denied in the kernel (EPERM).
    const thawed = p.live.actuator.apply('thaw', { kind: 'cgroup2', path: leaf.path, id });
    expect((await thawed.confirmed).result).toBe('done');
    await until('denied connects after the thaw', () => out.slice(frozenAt).includes('errno 1'));
    expect(out.slice(frozenAt).filter((l) => l !== 'errno 1'), JSON.stringify({ frozenAt, out })).toEqual([]);

    // Release: the flag goes, the network is back.
    p.live.actuator.apply('freeze', { kind: 'cgroup2', path: leaf.path, id });
    await until('frozen again', () => isFrozen(leaf));
    const released = p.live.actuator.apply('release', { kind: 'cgroup2', path: leaf.path, id }, held!.body);
    expect((await released.confirmed).result).toBe('done');
    expect(isFrozen(leaf)).toBe(false);
    const mark = out.length;
    await until('connects to succeed after release', () => out.slice(mark).includes('ok'));
    expect(child.exitCode).toBeNull();
  });
});
