import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  findCgroupV1Mount,
  freezeV1,
  killPidsV1,
  listTasksV1,
  pollUntil,
  readFreezerStateV1,
  readProcStat,
  resolveV1Dir,
  thawV1,
} from '../../src/host/index.js';
import { describeRoot } from './require-root.js';

const freezer = findCgroupV1Mount('freezer');
const NAME = `/agentprov-test-${process.pid}`;
const children: ChildProcess[] = [];

describeRoot('cgroup v1 responder fallbacks', () => {
  let dir = '';

  beforeAll(() => {
    if (!freezer) return;
    dir = join(freezer.mountPoint, NAME);
    mkdirSync(dir);
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (dir && existsSync(dir)) {
      await thawV1(dir);
      await killPidsV1(dir, { controller: 'freezer' });
      await pollUntil(() => listTasksV1(dir, { controller: 'freezer' }).length === 0, { timeoutMs: 2000 });
      rmdirSync(dir);
    }
  });

  // Like every kernel skip, a missing freezer fails the run where AGENTPROV_REQUIRE_EBPF=1 (CI).
  it.skipIf(!freezer && process.env['AGENTPROV_REQUIRE_EBPF'] !== '1')('(needs the v1 freezer hierarchy) freezes, thaws and kills the tasks of a v1 freezer cgroup', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    const exit = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));

    expect(resolveV1Dir(NAME, 'freezer')).toBe(dir);
    expect(listTasksV1(NAME, { controller: 'freezer' })).toEqual([child.pid]);
    expect(listTasksV1(dir)).toEqual([child.pid]); // an absolute directory needs no controller

    expect(await freezeV1(NAME)).toBe(true);
    expect(readFreezerStateV1(NAME)).toBe('FROZEN');
    expect(await thawV1(dir)).toBe(true);
    expect(readFreezerStateV1(dir)).toBe('THAWED');
    expect(readProcStat(child.pid!)?.state).toBe('S');

    expect(await killPidsV1(NAME, { controller: 'freezer' })).toEqual([child.pid]);
    expect(await exit).toBe('SIGKILL');
    expect(listTasksV1(dir, { controller: 'freezer' })).toEqual([]);
  });
});
