/**
 * `make demo` (scripts/demo.sh) end to end: the scripted agent is recorded, its misbehaviour shows up as
 * risks, its edits as diffs with the process that made them, and the evidence verifies. Loopback only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';

describeKernel('make demo', () => {
  const dir = tempDir('agentprov-demo-test-');
  afterAll(() => dir.cleanup());

  it('records the scripted agent and prints the timeline, the risks, the diffs and a verified DAG', () => {
    expect(existsSync('dist/src/bin/agentprov.js'), 'build first: npx tsc -p tsconfig.json').toBe(true);
    const r = spawnSync('bash', ['scripts/demo.sh'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, AGENTPROV_DATA_DIR: dir.path },
    });
    const all = r.stdout + r.stderr;
    expect(r.status, all).toBe(0);
    expect(all).toContain('agentprov record exited 0');
    expect(all).toContain('capture: ebpf');
    expect(all).toContain('[agent] tests pass');
    expect(all).toContain('metadata fetch failed (no network in this namespace), as intended');
    for (const rule of ['secret-file-read', 'cloud-metadata-connect', 'cloud-metadata-argv', 'llm-api-path-unlisted-host']) {
      expect(all, rule).toMatch(new RegExp(`^\\S+\\s+\\d+\\s+${rule}\\s+agent-task`, 'm'));
    }
    expect(all).toMatch(/tls_request: curl\[\d+\] TLS POST https:\/\/localhost:\d+\/v1\/chat\/completions/);
    expect(all).toMatch(/network_connect: curl\[\d+\] connect 169\.254\.169\.254:80 \(failed -101\)/);
    expect(all).toContain('-  return a - b;\n+  return a + b;');
    expect(all).toMatch(/sed\[\d+\] \/usr\/bin\/sed\s+tool call agent-task/);
    expect(all).toContain('verified run demo-run');
  });
});
