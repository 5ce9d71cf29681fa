/** agentprov-sensor argument handling and refusals, in-process and without root (host and store are ports). */
import { describe, expect, it } from 'vitest';
import { PermissionError, SensorError } from '../../src/errors.js';
import { runSensorCli, type SensorCliHost, type SensorCliIo } from '../../src/sensor/index.js';

function io(host: Partial<SensorCliHost> = {}, extra: Partial<SensorCliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let prepared = 0;
  const value: SensorCliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    host: {
      prepare: async () => {
        prepared++;
        return { cgroup2Root: '/nonexistent' };
      },
      cgroupIdOf: () => 1n,
      ...host,
    },
    ...extra,
  };
  return { value, out, err, prepared: () => prepared };
}

describe('runSensorCli', () => {
  it('asks for a target when none is given, before touching the host', async () => {
    const t = io();
    expect(await runSensorCli([], t.value)).toBe(2);
    expect(t.err.join('')).toContain('nothing to watch: pass --all, --cgroup PATH or --pid N');
    expect(t.prepared()).toBe(0);
  });

  it('rejects bad numbers, bad outputs and --policy without the store', async () => {
    const a = io();
    expect(await runSensorCli(['--pid', 'abc'], a.value)).toBe(2);
    expect(a.err.join('')).toContain('--pid must be a positive integer, got "abc"');
    const b = io();
    expect(await runSensorCli(['--all', '--policy', 'p.yaml', '--output', '-'], b.value)).toBe(2);
    expect(b.err.join('')).toContain('--policy applies to --output store only');
    const c = io();
    expect(await runSensorCli(['--all', '--output', 'store'], c.value)).toBe(2);
    expect(c.err.join('')).toContain('--output store is not available here');
  });

  it('refuses with the not-root message and exit code 10', async () => {
    const t = io({
      prepare: async () => {
        throw new PermissionError('agentprov-sensor needs root to load eBPF programs: run it with sudo', { code: 'AP_NOT_ROOT' });
      },
    });
    expect(await runSensorCli(['--all'], t.value)).toBe(10);
    expect(t.err.join('')).toBe('agentprov-sensor: agentprov-sensor needs root to load eBPF programs: run it with sudo\n');
  });

  it('prints the tail of a verifier log carried by a SensorError', async () => {
    const t = io({
      prepare: async () => {
        throw new SensorError('load and verify BPF programs: Permission denied', { detail: 'line1\nR2 min value is negative\n', errno: 13 });
      },
    });
    expect(await runSensorCli(['--all'], t.value)).toBe(13);
    expect(t.err.join('')).toContain('R2 min value is negative');
  });

  it('prints help on stdout and exits 0', async () => {
    const t = io();
    expect(await runSensorCli(['--help'], t.value)).toBe(0);
    expect(t.out.join('')).toContain('--cgroup <path...>');
  });
});
