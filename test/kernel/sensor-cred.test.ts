/** setuid(0) attempted from uid 1000 (fails with EPERM, still reported with old and new ids) and ptrace. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { startHarness, type Harness } from './sensor-harness.js';

const EPERM = 1;

describeKernel('sensor: credential and ptrace hooks', () => {
  let h: Harness;
  let dir: string;
  let helper: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-cred-'));
    chmodSync(dir, 0o755); // uid 1000 must be able to run the helper
    helper = join(dir, 'cred-ptrace');
    execFileSync('cc', ['-O1', '-o', helper, join(import.meta.dirname, 'helpers', 'cred-ptrace.c')]);
    h = await startHarness('cred');
  });
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports setuid(0) from uid 1000 with the ids before and after and the EPERM result', async () => {
    const r = await h.run(helper, ['setuid0'], { uid: 1000, gid: 1000 });
    expect(r.stdout.trim()).toBe(`-1 ${EPERM}`);
    const ev = await h.waitFor('setuid from uid 1000', (e) => e.type === 'privilege_change' && e.pid === r.pid && e.syscall === 'setuid');
    expect(ev.result).toBe(-EPERM);
    expect(ev.old_uid).toBe(1000);
    expect(ev.new_uid).toBe(1000);
    expect(ev.old_euid).toBe(1000);
    expect(ev.uid).toBe(1000);
    expect(ev.labels?.['requested']).toBe('0');
    expect(ev.cgroup_id).toBe(h.cgroupId.toString());
  });

  it('reports a successful setuid by root with the new ids', async () => {
    const r = await h.run('/usr/bin/setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', '/bin/true']);
    expect(r.code).toBe(0);
    const ev = await h.waitFor('setresuid/setreuid by setpriv', (e) => e.type === 'privilege_change' && e.pid === r.pid && e.new_uid === 1000 && e.result === 0);
    expect(ev.old_uid).toBe(0);
    expect(['setreuid', 'setresuid', 'setuid']).toContain(ev.syscall);
  });

  it('reports ptrace(PTRACE_ATTACH) with the target pid', async () => {
    const r = await h.run(helper, ['ptrace']);
    expect(r.code).toBe(0);
    const child = Number(r.stdout.trim());
    const ev = await h.waitFor('PTRACE_ATTACH', (e) => e.type === 'ptrace' && e.pid === r.pid);
    expect(ev.ptrace_request).toBe(16); // PTRACE_ATTACH
    expect(ev.target_pid).toBe(child);
    expect(ev.result).toBe(0);
  });
});
