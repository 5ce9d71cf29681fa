/**
 * In-kernel enforcement in a tracked cgroup: a deny list (EPERM before any packet), quarantine (every connect
 * denied, every exec killed) and a deny-exec set (SIGKILL before the new image runs), each reported.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cgroupIdOf } from '../../src/host/capabilities.js';
import { spawnInCgroup } from '../../src/host/index.js';
import { describeKernel } from './require-ebpf.js';
import { collect, startHarness, type Harness } from './sensor-harness.js';
import { listenLoopback } from './loopback-listener.js';

const connectScript = (host: string, port: number) =>
  `import socket\ntry:\n  socket.create_connection(('${host}', ${port}), timeout=3).close(); print('ok')\nexcept OSError as e: print('errno', e.errno)`;

describeKernel('sensor: enforcement', () => {
  let h: Harness;
  let server: Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-enforce-'));
    ({ server, port } = await listenLoopback());
    h = await startHarness('enforce', { enforce: true });
  });
  afterAll(async () => {
    await h?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('denies connect to 127.0.0.2/32 with EPERM while 127.0.0.1 works', async () => {
    h.sensor.denyCidr(h.cgroupId, '127.0.0.2/32', 7);
    const denied = await h.run('/usr/bin/python3', ['-c', connectScript('127.0.0.2', port)]);
    expect(denied.stdout.trim()).toBe('errno 1');
    const allowed = await h.run('/usr/bin/python3', ['-c', connectScript('127.0.0.1', port)]);
    expect(allowed.stdout.trim()).toBe('ok');
    const enf = await h.waitFor('connect_denied', (e) => e.type === 'enforcement' && e.pid === denied.pid);
    expect(enf.enforcement_action).toBe('connect_denied');
    expect(enf.dst_ip).toBe('127.0.0.2');
    expect(enf.dst_port).toBe(port);
    expect(enf.enforcement_reason).toContain('rule 7');
    const seen = await h.waitFor('the denied connect', (e) => e.type === 'network_connect' && e.pid === denied.pid);
    expect(seen.result).toBe(-1);
    h.sensor.allowCidr(h.cgroupId, '127.0.0.2/32');
    const again = await h.run('/usr/bin/python3', ['-c', connectScript('127.0.0.2', port)]);
    expect(again.stdout.trim()).toBe('ok');
  });

  it('quarantine denies every connect and kills every exec in the cgroup', async () => {
    const leaf = h.newLeaf('quarantined');
    const id = cgroupIdOf(leaf.path);
    h.sensor.trackCgroup(id, leaf.path);
    // already running before the quarantine: it connects when told to
    const proc = spawnInCgroup(leaf, '/usr/bin/python3', ['-c', `input()\n${connectScript('127.0.0.1', port)}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(proc);
    await h.waitFor('python running in the leaf', (e) => e.type === 'process_exec' && e.pid === proc.pid);
    h.sensor.quarantine(id);
    proc.stdin?.end('\n');
    expect((await done).stdout.trim()).toBe('errno 1');
    const enf = await h.waitFor('connect_quarantined', (e) => e.type === 'enforcement' && e.enforcement_action === 'connect_quarantined');
    expect(enf.cgroup_id).toBe(id.toString());
    const exec = await collect(spawnInCgroup(leaf, '/bin/echo', ['never-printed'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(exec.signal).toBe('SIGKILL');
    expect(exec.stdout).toBe('');
    await h.waitFor('exec_quarantined', (e) => e.type === 'enforcement' && e.enforcement_action === 'exec_quarantined' && e.cgroup_id === id.toString());
    h.sensor.quarantine(id, false);
  });

  it('kills a denied binary with SIGKILL before its image runs, also through a symlink', async () => {
    const denied = join(dir, 'denied-touch');
    copyFileSync('/usr/bin/touch', denied);
    chmodSync(denied, 0o755);
    const link = join(dir, 'innocent-name');
    symlinkSync(denied, link);
    h.sensor.denyExec(h.cgroupId, denied, 3);
    const marker = join(dir, 'ran');
    const r = await h.run(denied, [marker]);
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(marker)).toBe(false);
    const enf = await h.waitFor('exec_killed', (e) => e.type === 'enforcement' && e.pid === r.pid);
    expect(enf.enforcement_action).toBe('exec_killed');
    expect(enf.path).toBe(denied);
    expect(enf.enforcement_reason).toContain('rule 3');
    const viaLink = await h.run(link, [marker]);
    expect(viaLink.signal).toBe('SIGKILL');
    expect(existsSync(marker)).toBe(false);
    // the same binary outside the cgroup is not affected
    const outside = await collect(spawn(denied, [marker]));
    expect(outside.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
