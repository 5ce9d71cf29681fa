/** start/stop loops, idempotent stop, option checks, and use after stop. */
import { spawnSync } from 'node:child_process';
import { pbkdf2 as pbkdf2cb } from 'node:crypto';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { AgentprovError, SensorError } from '../../src/errors.js';
import { Sensor } from '../../src/sensor/index.js';
import { loadAddon } from '../../src/sensor/addon.js';
import { describeKernel } from './require-ebpf.js';

const pbkdf2 = promisify(pbkdf2cb);

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

  it('load() verifies off the JavaScript thread: timers run while it loads, then it traces as start() does', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const events: { type: string; pid?: number | null }[] = [];
    const loading = Sensor.load({ tls: false, onBatch: (batch) => events.push(...batch) });
    let s: Sensor;
    try {
      s = await loading;
    } finally {
      clearInterval(timer);
    }
    // a load on this thread would have held every timer until it returned
    expect(ticks).toBeGreaterThan(5);
    try {
      s.trackPid(process.pid);
      const tracked = spawnSync('/bin/true', [], { stdio: 'ignore' });
      await s.flush();
      expect(events.some((e) => e.type === 'process_exec' && e.pid === tracked.pid)).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it('load() rejects bad options as start() throws; a stop while the kernel still verifies waits for it', async () => {
    await expect(Sensor.load({ ringBytes: 5000, onBatch: () => {} })).rejects.toThrow(AgentprovError);
    // the native object before the load resolves (the wrapper never hands it out): stop must not free the
    // skeleton under the libuv thread that is loading it
    const native = new (loadAddon().Sensor)({ ringBytes: 1 << 20, traceAll: false, selfTgid: process.pid, enforce: false, cgroupRoot: null, deferLoad: true });
    const loaded = native.load().then(() => 'loaded', (err: Error) => err.message);
    expect(() => native.start(() => {})).toThrow(/still loading/);
    await native.stop();
    // the stop either waited for the verification or came before it began (then nothing was loaded)
    expect(await loaded).toMatch(/^loaded$|stopped before its programs were loaded/);
    expect(() => native.start(() => {})).toThrow(/stopped/);
    // a stop that certainly comes first: the load is queued behind libuv's pool, kept busy meanwhile
    for (let i = 0; i < 5; i++) {
      const n = new (loadAddon().Sensor)({ ringBytes: 1 << 20, traceAll: false, selfTgid: process.pid, enforce: false, cgroupRoot: null, deferLoad: true });
      const busy = Array.from({ length: 8 }, () => pbkdf2(Buffer.from('x'), Buffer.from('y'), 20_000, 32, 'sha256'));
      const l = n.load().then(() => 'loaded', (err: Error) => err.message);
      await n.stop();
      expect(await l).toMatch(/^loaded$|stopped before its programs were loaded/);
      await Promise.all(busy);
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
