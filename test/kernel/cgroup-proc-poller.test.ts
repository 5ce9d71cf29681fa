import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createLeaf,
  ensureCgroup2Root,
  killCgroup,
  removeLeaf,
  spawnInCgroup,
  waitEmpty,
  type CgroupLeaf,
} from '../../src/host/index.js';
import type { RuntimeEventInput } from '../../src/model/index.js';
import { ProcPoller } from '../../src/record/index.js';
import { describeRoot } from './require-root.js';

const TOP = `agentprov-test-poller-${process.pid}`;
const children: ChildProcess[] = [];

describeRoot('ProcPoller over a cgroup leaf', () => {
  let root = '';
  let leaf: CgroupLeaf;

  beforeAll(async () => {
    root = await ensureCgroup2Root();
    leaf = createLeaf(TOP, 'tc-1');
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    const top = join(root, TOP);
    if (existsSync(top)) {
      await killCgroup(top);
      await waitEmpty(top, 2000);
      await removeLeaf(top);
    }
  });

  it('sees the exec of a child with its argv and cgroup, an orphan found only through the leaf, and exits', async () => {
    const events: RuntimeEventInput[] = [];
    // The subshell exits at once, so `sleep 0.5` is reparented away from the root: only the leaf still has it.
    const child = spawnInCgroup(leaf, 'sh', ['-c', 'sleep 0.2 0; (sleep 0.5 &); exec sleep 0.1'], { stdio: 'ignore' });
    children.push(child);
    const poller = new ProcPoller({ rootPid: child.pid!, cgroupLeaf: leaf, intervalMs: 10, onEvents: (e) => events.push(...e) });
    poller.start();
    await new Promise((r) => child.on('exit', r));
    expect(await waitEmpty(leaf, 3000)).toBe(true);
    poller.stop();

    const execOf = (argv: string[]): RuntimeEventInput | undefined =>
      events.find((e) => e.type === 'process_exec' && JSON.stringify(e.argv) === JSON.stringify(argv));
    const first = execOf(['sleep', '0.2', '0']);
    expect(first).toMatchObject({ ppid: child.pid, cgroup_id: leaf.id, cgroup_path: leaf.cgroupPath, container_id: null });
    const orphan = execOf(['sleep', '0.5']);
    expect(orphan).toMatchObject({ cgroup_id: leaf.id });
    expect(orphan?.ppid).not.toBe(child.pid);
    for (const e of [first, orphan]) {
      expect(events.some((x) => x.type === 'process_exit' && x.pid === e?.pid)).toBe(true);
    }
  });
});
