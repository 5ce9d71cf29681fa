/**
 * `agentprov record` run by `nobody` (the built CLI under setpriv): no eBPF and no cgroup it may create, so it
 * falls back to /proc polling and pid binding, says so while it runs, and records which capture it used.
 * Needs root only to become nobody, and a build (`npx tsc -p tsconfig.json`) for dist/.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EvidenceStore, recordCapturesOfRun, correlationsOfRun } from '../../src/store/index.js';
import { tempDir } from '../helpers/cli.js';
import { describeRoot } from './require-root.js';

const NOBODY = 65534;
const BIN = resolve('dist/src/bin/agentprov.js');

describeRoot('agentprov record as an unprivileged user', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir('agentprov-nobody-');
    chmodSync(dir.path, 0o755);
    mkdirSync(join(dir.path, 'work'));
    mkdirSync(join(dir.path, 'data'));
    writeFileSync(join(dir.path, 'work', 'main.c'), 'int main(void) { return 0; }\n');
    for (const p of ['work', 'data', 'work/main.c']) chownSync(join(dir.path, p), NOBODY, NOBODY);
  });
  afterAll(() => dir?.cleanup());

  it('falls back to /proc polling without a cgroup, says so, and records the capture it used', () => {
    expect(existsSync(BIN), `${BIN} is missing: build first (npx tsc -p tsconfig.json)`).toBe(true);
    const r = spawnSync(
      'setpriv',
      [
        `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--',
        process.execPath, BIN, '--data-dir', join(dir.path, 'data'), 'record', '--run', 'as-nobody', '--tool-call', 'build',
        '--workdir', join(dir.path, 'work'), '--json', '--',
        'sh', '-c', 'id -u; echo "int x;" >> main.c; exec 3>build.log; echo ok >&3; sleep 0.4',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('capture: proc_poll (/proc polling fallback: not root (uid 65534)');
    expect(r.stderr).toMatch(/cgroup: none \(.*\): processes are bound by pid, confidence 0\.85/);
    expect(r.stderr).toContain(`${NOBODY}\n`); // the command ran as nobody (its stdout goes to stderr with --json)
    const s = JSON.parse(r.stdout).items[0];
    expect(s).toMatchObject({ capture: 'proc_poll', cgroup: 'none', outcome: 'exited', exit_code: 0, verify: { ok: true } });
    expect(s.files).toMatchObject({ created: 1, modified: 1 });

    const store = new EvidenceStore(join(dir.path, 'data'), { mustExist: true });
    try {
      const [cap] = recordCapturesOfRun(store.db, 'as-nobody');
      expect(cap).toMatchObject({ capture: 'proc_poll', cgroup: 'none', cgroup_id: null });
      expect(cap!.capture_reason).toContain('not root');
      const tiers = new Set(correlationsOfRun(store.db, 'as-nobody').map((c) => `${c.tier} ${c.confidence}`));
      expect([...tiers]).toEqual(['pid_ancestry 0.85']);
    } finally {
      store.close();
    }
  });

  it('falls back the same way as root when the sensor addon is missing, and says why', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, '--data-dir', join(dir.path, 'data-root'), 'record', '--run', 'no-addon', '--no-snapshot', '--json', '--', 'sh', '-c', `exec 3>${join(dir.path, 'held.txt')}; sleep 0.3`],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, AGENTPROV_SENSOR_ADDON: '/nonexistent/agentprov_sensor.node' } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('capture: proc_poll (/proc polling fallback: the sensor addon is not built (/nonexistent/agentprov_sensor.node)');
    const s = JSON.parse(r.stdout).items[0];
    // root still gets a cgroup leaf: polled events carry its id, so attribution stays at 1.0
    expect(s.capture).toBe('proc_poll');
    expect(s.cgroup).toMatch(/^\/agentprov\/runs\/no-addon-[0-9a-f]{6}\/cmd \(id \d+\)$/);
    expect(s.by_tier).toEqual({ own_cgroup: s.events });
  });
});
