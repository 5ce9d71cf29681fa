/** openat (flags, path, result), a read of a fake ~/.aws/credentials, rename and unlink. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { startHarness, type Harness } from './sensor-harness.js';

describeKernel('sensor: file hooks', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-file-'));
    h = await startHarness('file');
  });
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports a file opened for writing with create/truncate flags', async () => {
    const target = join(dir, 'out.txt');
    const r = await h.run('/bin/sh', ['-c', `echo data > ${target}`]);
    expect(r.code).toBe(0);
    const ev = await h.waitFor('open for write', (e) => e.type === 'file_open' && e.pid === r.pid && e.path === target);
    expect(ev.open_flags).toEqual(expect.arrayContaining(['write', 'create', 'truncate']));
    expect(ev.open_flags).not.toContain('read');
    expect(ev.result).toBeGreaterThanOrEqual(0);
    expect(ev.syscall).toBe('openat');
  });

  it('reports a read of a fake ~/.aws/credentials', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    const creds = join(home, '.aws', 'credentials');
    writeFileSync(creds, '[default]\naws_access_key_id = AKIAFAKEFAKEFAKE\n');
    const r = await h.run('/bin/cat', [creds]);
    expect(r.stdout).toContain('AKIAFAKE');
    const ev = await h.waitFor('open of credentials', (e) => e.type === 'file_open' && e.pid === r.pid && e.path === creds);
    expect(ev.open_flags).toEqual(['read']);
    expect(ev.result).toBeGreaterThanOrEqual(0);
    expect(ev.comm).toBe('cat');
  });

  it('reports a failed open with -ENOENT', async () => {
    const missing = join(dir, 'missing.txt');
    const r = await h.run('/bin/cat', [missing]);
    expect(r.code).not.toBe(0);
    const ev = await h.waitFor('failed open', (e) => e.type === 'file_open' && e.pid === r.pid && e.path === missing);
    expect(ev.result).toBe(-2);
  });

  it('reports rename and unlink with both paths and results', async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, 'x');
    const r = await h.run('/bin/sh', ['-c', `mv ${a} ${b} && rm ${b}`]);
    expect(r.code).toBe(0);
    const ren = await h.waitFor('rename', (e) => e.type === 'file_rename' && e.path === a);
    expect(ren.new_path).toBe(b);
    expect(ren.result).toBe(0);
    expect(['rename', 'renameat', 'renameat2']).toContain(ren.syscall);
    const un = await h.waitFor('unlink', (e) => e.type === 'file_unlink' && e.path === b);
    expect(un.result).toBe(0);
    expect(['unlink', 'unlinkat']).toContain(un.syscall);
  });
});
