/**
 * `agentprov record --capture proc` end to end, in-process: the /proc polling capture needs no privilege, so
 * this runs everywhere (as root a cgroup leaf is made too; without root the run has none). What a user
 * checks: the exit code, the summary, the stored file changes, `graph diff|blame`, `graph verify`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

function alive(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** A sleep whose command line no other process has, so pgrep -f finds only ours. */
let sleeps = 0;
const uniqueSleep = (): string => `sleep ${3000 + (process.pid % 1000)}.${Date.now() % 100000}${sleeps++}`;

describe('agentprov record --capture proc', () => {
  let dir: ReturnType<typeof tempDir>;
  let work: string;
  let data: string;
  beforeEach(() => {
    dir = tempDir('agentprov-record-');
    work = join(dir.path, 'work');
    data = join(dir.path, 'data');
    mkdirSync(work);
    writeFileSync(join(work, 'notes.md'), 'first line\n');
  });
  afterEach(() => dir.cleanup());

  it("records a command's processes and file changes and exits with the command's code", async () => {
    // The write fd stays open across polls: polling sees open files, not instant writes.
    const script = 'echo second line >> notes.md; exec 3>report.txt; echo done >&3; sleep 0.4; exit 3';
    const r = await runCli(
      ['record', '--run', 'r-proc', '--tool-call', 'tc-1', '--tool-name', 'shell', '--capture', 'proc', '--workdir', work, '--json', '--timings', '--', 'sh', '-c', script],
      { dataDir: data },
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('capture: proc_poll (/proc polling (asked for with --capture proc))');
    const s = r.json().items[0];
    expect(r.json().schema_version).toBe('agentprov.record/v1');
    expect(s).toMatchObject({ run_id: 'r-proc', tool_call_id: 'tc-1', capture: 'proc_poll', outcome: 'exited', exit_code: 3, agentprov_exit: 3 });
    expect(s.processes).toBeGreaterThanOrEqual(1);
    expect(s.files).toMatchObject({ created: 1, modified: 1, deleted: 0 });
    const report = s.files.items.find((f: any) => f.path === 'report.txt');
    expect(report.writers.some((w: string) => w.startsWith('sh['))).toBe(true);
    expect(s.verify.ok).toBe(true);
    // where the wall time went: every phase in order, the command's own one holding its 0.4 s sleep
    expect(Object.keys(s.phases_ms)).toEqual(['load', 'store', 'sensor', 'snapshot', 'command', 'flush', 'end', 'output', 'verify', 'close']);
    expect(Object.values(s.phases_ms).every((ms) => typeof ms === 'number' && ms >= 0)).toBe(true);
    expect(s.phases_ms.command).toBeGreaterThanOrEqual(390);
    expect(r.stderr).toMatch(/timings: load \d+ ms, store \d+ ms, sensor \d+ ms, .*command (\d+) ms, .*close \d+ ms \(total \d+ ms\)/);

    const diff = await runCli(['graph', 'diff', '--run', 'r-proc', '--file', 'notes.md'], { dataDir: data });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('+second line');
    expect(diff.stdout).toContain(`# modified ${join(work, 'notes.md')} in tool call tc-1`);
    const list = await runCli(['graph', 'diff', '--run', 'r-proc'], { dataDir: data });
    expect(list.stdout).toMatch(/created\s+report\.txt\s+\+1 -0/);

    const blame = await runCli(['graph', 'blame', '--run', 'r-proc', '--file', join(work, 'report.txt'), '--json'], { dataDir: data });
    expect(blame.code, blame.stderr).toBe(0);
    const item = blame.json().items[0];
    expect(item).toMatchObject({ change: 'created', tool_call_id: 'tc-1' });
    const sh = item.writers.find((w: any) => w.comm === 'sh');
    expect(sh.match).toBe('exact');
    expect(sh.dag_nodes.every((h: string | null) => typeof h === 'string')).toBe(true);

    const verify = await runCli(['graph', 'verify', '--run', 'r-proc'], { dataDir: data });
    expect(verify.code, verify.stdout).toBe(0);
    const missing = await runCli(['graph', 'blame', '--run', 'r-proc', '--file', 'nope.txt'], { dataDir: data });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('did not change nope.txt (changed: notes.md, report.txt)');
  });

  it('kills the run after --timeout, exits 71 and leaves no process of it behind', async () => {
    const marker = uniqueSleep();
    const r = await runCli(
      ['record', '--run', 'r-timeout', '--capture', 'proc', '--workdir', work, '--timeout', '0.5', '--json', '--', 'sh', '-c', `${marker} & exec ${marker}`],
      { dataDir: data },
    );
    expect(r.code, r.stderr).toBe(71);
    expect(r.json().items[0]).toMatchObject({ outcome: 'timeout', agentprov_exit: 71 });
    expect(r.stderr).toContain('timeout after 0.5 s: killing the run');
    expect(alive(marker)).toEqual([]);
  });

  it('records a process that outlives the command as an orphan and kills it at the end', async () => {
    const marker = uniqueSleep();
    const r = await runCli(['record', '--run', 'r-orphan', '--capture', 'proc', '--workdir', work, '--json', '--', 'sh', '-c', `(${marker} &); sleep 0.3`], {
      dataDir: data,
    });
    expect(r.code, r.stderr).toBe(0);
    const orphans = r.json().items[0].orphans;
    expect(orphans).toHaveLength(1);
    expect(orphans[0]).toMatchObject({ argv: marker.split(' '), fate: 'killed' });
    expect(alive(marker)).toEqual([]);
  });

  it('refuses graph diff on a run that was not recorded', async () => {
    const bind = await runCli(['telemetry', 'bind', '--run', 'declared-only', '--tool-call', 't'], { dataDir: data });
    expect(bind.code, bind.stderr).toBe(0);
    const r = await runCli(['graph', 'diff', '--run', 'declared-only'], { dataDir: data });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('was not recorded by agentprov record or the SDK');
  });
});
