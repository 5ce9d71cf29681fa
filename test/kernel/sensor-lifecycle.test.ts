/** start/stop loops, idempotent stop, option checks, and use after stop. */
import { expect, it } from 'vitest';
import { AgentprovError, SensorError } from '../../src/errors.js';
import { Sensor } from '../../src/sensor/index.js';
import { describeKernel } from './require-ebpf.js';

describeKernel('sensor: lifecycle', () => {
  it('starts and stops five times in a row, and stop is idempotent', async () => {
    for (let i = 0; i < 5; i++) {
      const s = Sensor.start({ tls: false, onBatch: () => {} });
      s.trackPid(process.pid);
      await s.flush();
      await Promise.all([s.stop(), s.stop()]);
      await s.stop();
    }
  });

  it('refuses bad options before touching the kernel', () => {
    expect(() => Sensor.start({ ringBytes: 5000, onBatch: () => {} })).toThrow(AgentprovError);
    expect(() => Sensor.start({ all: true, pids: [1], onBatch: () => {} })).toThrow(/cannot be combined/);
    expect(() => Sensor.start({ enforce: true, onBatch: () => {} })).toThrow(/cgroup v2 root/);
  });

  it('says the sensor is stopped when used after stop (stats keep the final counts), and enforcement needs --enforce', async () => {
    const s = Sensor.start({ tls: false, onBatch: () => {} });
    expect(() => s.quarantine(1n)).toThrow(/without enforcement/);
    await s.stop();
    expect(() => s.trackPid(1)).toThrow(SensorError);
    expect(() => s.flush()).not.toThrow();
    // the final counts stay readable, and no longer move
    const final = s.stats();
    expect(final.totalStopDropped).toBe(0n);
    expect(final.totalUserDropped).toBe(0n);
    expect(s.stats()).toEqual(final);
  });
});
