import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  CGROUP_JOIN_FAILED_EXIT,
  createLeaf,
  ensureCgroup2Root,
  findCgroup2Mounts,
  freeze,
  isFrozen,
  isPopulated,
  killCgroup,
  listPids,
  pollUntil,
  readCmdline,
  readMountInfo,
  readStatus,
  removeLeaf,
  spawnInCgroup,
  thaw,
  waitEmpty,
  type CgroupLeaf,
} from '../../src/host/index.js';
import { describeRoot } from './require-root.js';

const TOP = `agentprov-test-${process.pid}`;
const children: ChildProcess[] = [];
let tmp = '';
let root = '';

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
}

function output(child: ChildProcess): Promise<string> {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  // 'close', not 'exit': a process can exit before its pipes are drained, and its last words lost
  return new Promise((done) => child.on('close', () => done(text)));
}

function start(leaf: CgroupLeaf, cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}): ChildProcess {
  const child = spawnInCgroup(leaf, cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp });
  children.push(child);
  return child;
}

const mountsAt = (dir: string): number => readMountInfo().filter((m) => m.mountPoint === dir && m.fsType === 'cgroup2').length;

describeRoot('cgroup v2 leaves', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ap-cg2-'));
    root = await ensureCgroup2Root();
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    const top = join(root, TOP);
    if (existsSync(top)) {
      await killCgroup(top);
      await waitEmpty(top, 2000);
      await removeLeaf(top);
    }
    if (!tmp) return;
    for (const dir of [join(tmp, 'cg2'), join(tmp, 'cg2-wait')]) {
      while (mountsAt(dir) > 0) execFileSync('umount', [dir]);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('ensureCgroup2Root is idempotent and reuses the mounted hierarchy', async () => {
    const before = findCgroup2Mounts().length;
    expect(await ensureCgroup2Root()).toBe(root);
    expect(findCgroup2Mounts().length).toBe(before);
    expect(readFileSync(join(root, 'cgroup.controllers'), 'utf8')).toBeDefined();
  });

  it('mounts a private cgroup2 once, even when called twice at the same time', async () => {
    const dir = join(tmp, 'cg2');
    const [a, b] = await Promise.all([
      ensureCgroup2Root({ mountPoint: dir, useExisting: false }),
      ensureCgroup2Root({ mountPoint: dir, useExisting: false }),
    ]);
    expect([a, b]).toEqual([dir, dir]);
    expect(await ensureCgroup2Root({ mountPoint: dir, useExisting: false })).toBe(dir);
    expect(mountsAt(dir)).toBe(1);
    expect(existsSync(join(dir, 'cgroup.procs'))).toBe(true);
  });

  it('waits for another process holding the mount lock instead of mounting a second time', async () => {
    const dir = join(tmp, 'cg2-wait');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(`${dir}.lock`, String(process.ppid)); // a live pid that is not us: someone else mounting
    const pending = ensureCgroup2Root({ mountPoint: dir, useExisting: false, lockTimeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 100));
    execFileSync('mount', ['-t', 'cgroup2', 'none', dir]);
    rmSync(`${dir}.lock`);
    expect(await pending).toBe(dir);
    expect(mountsAt(dir)).toBe(1);
  });

  it('creates nested leaves whose id is the directory inode', () => {
    const leaf = createLeaf(`${TOP}/run-1`, 'tc-1');
    expect(leaf.path).toBe(join(root, TOP, 'run-1', 'tc-1'));
    expect(leaf.id).toBe(String(statSync(leaf.path).ino));
    expect(leaf.cgroupPath).toBe(`/${TOP}/run-1/tc-1`);
    expect(createLeaf(`${TOP}/run-1`, 'tc-1')).toEqual(leaf);
    expect(() => createLeaf(TOP, '../escape')).toThrow(/bad cgroup/);
    expect(() => createLeaf(TOP, 'cgroup.procs')).toThrow(/bad cgroup/);
  });

  it('runs the command inside the leaf from its start: it reads its own cgroup as the leaf', async () => {
    const leaf = createLeaf(`${TOP}/run-1`, 'self');
    const text = await output(start(leaf, 'cat', ['/proc/self/cgroup']));
    expect(text).toContain(`0::${leaf.cgroupPath}\n`);
  });

  it('puts both pids of sh -c "sleep 30 & sleep 30" in the leaf', async () => {
    const leaf = createLeaf(`${TOP}/run-1`, 'two');
    const child = start(leaf, 'sh', ['-c', 'sleep 30 & sleep 30']);
    const sleeps = (): number[] => listPids(leaf).filter((p) => readCmdline(p)?.[0] === 'sleep');
    expect(await pollUntil(() => sleeps().length === 2, { timeoutMs: 3000 })).toBe(true);
    for (const pid of listPids(leaf)) {
      expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`0::${leaf.cgroupPath}\n`);
    }
    // The parent run leaf lists its children's pids.
    expect(listPids(createLeaf(TOP, 'run-1'))).toEqual(expect.arrayContaining(sleeps()));
    expect(isPopulated(leaf)).toBe(true);

    const killed = await killCgroup(leaf);
    expect(killed.method).toBe('cgroup.kill');
    expect(killed.pids).toEqual(expect.arrayContaining(sleeps().length ? sleeps() : killed.pids));
    expect(await waitEmpty(leaf, 2000)).toBe(true);
    expect(listPids(leaf)).toEqual([]);
    expect(await exitOf(child)).toEqual({ code: null, signal: 'SIGKILL' });
    await removeLeaf(leaf);
    expect(existsSync(leaf.path)).toBe(false);
  });

  it('freezes a running loop (no progress while frozen) and thaws it', async () => {
    const leaf = createLeaf(`${TOP}/run-1`, 'freeze');
    const counter = join(tmp, 'counter');
    start(leaf, 'sh', ['-c', `i=0; while :; do i=$((i+1)); echo $i > ${counter}; sleep 0.01; done`]);
    const read = (): string => (existsSync(counter) ? readFileSync(counter, 'utf8') : '');
    expect(await pollUntil(() => Number(read()) > 2, { timeoutMs: 3000 })).toBe(true);

    expect(await freeze(leaf)).toBe(true);
    expect(isFrozen(leaf)).toBe(true);
    const frozenAt = read();
    await new Promise((r) => setTimeout(r, 200));
    expect(read()).toBe(frozenAt);

    expect(await thaw(leaf)).toBe(true);
    expect(isFrozen(leaf)).toBe(false);
    expect(await pollUntil(() => read() !== frozenAt, { timeoutMs: 2000 })).toBe(true);
  });

  it('kills a frozen leaf, and removeLeaf refuses while processes remain', async () => {
    const leaf = createLeaf(`${TOP}/run-1`, 'kill-frozen');
    const child = start(leaf, 'sleep', ['30']);
    expect(await pollUntil(() => listPids(leaf).length === 1, { timeoutMs: 2000 })).toBe(true);
    await expect(removeLeaf(leaf, { timeoutMs: 50 })).rejects.toThrow(/kill its processes first/);
    expect(await freeze(leaf)).toBe(true);
    await killCgroup(leaf);
    expect(await waitEmpty(leaf, 2000)).toBe(true);
    expect((await exitOf(child)).signal).toBe('SIGKILL');
    await removeLeaf(leaf);
  });

  it('runs a command as nobody (65534) inside the leaf', async () => {
    const leaf = createLeaf(`${TOP}/run-1`, 'nobody');
    const child = start(leaf, 'sh', ['-c', 'id -u; id -g; grep ^0:: /proc/self/cgroup; exec sleep 30'], { uid: 65534, gid: 65534 });
    let text = '';
    child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
    expect(await pollUntil(() => listPids(leaf).some((p) => readCmdline(p)?.[0] === 'sleep'), { timeoutMs: 3000 })).toBe(true);
    expect(text).toBe(`65534\n65534\n0::${leaf.cgroupPath}\n`);
    expect(readStatus(child.pid!)).toMatchObject({ uid: 65534, euid: 65534, gid: 65534 });
    await killCgroup(leaf);
    expect(await waitEmpty(leaf, 2000)).toBe(true);
  });

  it('does not run the command when it cannot join the leaf', async () => {
    const marker = join(tmp, 'ran');
    const child = start({ path: join(root, TOP, 'missing') } as CgroupLeaf, 'touch', [marker]);
    const text = await output(child);
    expect(child.exitCode).toBe(CGROUP_JOIN_FAILED_EXIT);
    expect(text).toMatch(/cannot move pid \d+ into cgroup/);
    expect(existsSync(marker)).toBe(false);
    expect(() => spawnInCgroup(createLeaf(TOP, 'x'), 'no-such-command-ap', [])).toThrow(/command not found/);
  });
});
