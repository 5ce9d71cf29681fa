/** A flood against a deliberately tiny ring buffer: drops are counted per kind and reported, never silent. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { openBurst, startHarness, type Harness } from './sensor-harness.js';

describeKernel('sensor: drops', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('drops', { ringBytes: 4096, tls: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('counts drops when the ring overflows and emits a telemetry_loss event', async () => {
    const r = await h.run(...openBurst(30000));
    expect(r.code).toBe(0);
    const stats = h.sensor.stats();
    expect(stats.totalDropped).toBeGreaterThan(0n);
    expect(stats.dropped['open']).toBeGreaterThan(0n);
    expect(stats.emitted['open']).toBeGreaterThan(0n);
    const loss = await h.waitFor('telemetry_loss', (e) => e.type === 'telemetry_loss', 5000);
    expect(loss.lost_events).toBeGreaterThan(0);
    expect(loss.labels?.['dropped_by_kind']).toMatch(/open=\d+/);
  });
});
