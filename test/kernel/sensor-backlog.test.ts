/**
 * Issue 12 (0 events lost at default buffers): while JavaScript is busy (a store commit, a graph), the native
 * poller keeps draining the kernel ring into its own byte-bounded queue, so a burst far larger than the
 * ring is delivered whole once JavaScript is back, instead of being dropped in the kernel.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { openBurst, startStalledHarness } from './sensor-harness.js';

const OPENS = 60_000;
const RING = 1 << 20; // 1 MiB: a few thousand records, an order of magnitude less than the burst

describeKernel('sensor: a burst while JavaScript is busy', () => {
  let h: Awaited<ReturnType<typeof startStalledHarness>>;
  beforeAll(async () => {
    // the first batch stalls the JavaScript thread for 2 s, as a long store write would
    h = await startStalledHarness('backlog', 2000, { ringBytes: RING });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('delivers every event of a burst 10x the ring, and the kernel drops none', async () => {
    const r = await h.run(...openBurst(OPENS));
    expect(r.code).toBe(0);
    expect(h.stalled()).toBe(true);
    await h.sensor.flush();
    const stats = h.sensor.stats();
    expect(stats.totalDropped).toBe(0n);
    const opens = h.sink.events.filter((e) => e.type === 'file_open' && e.pid === r.pid && e.path === '/dev/null').length;
    expect(opens).toBe(OPENS);
    expect(h.sink.events.some((e) => e.type === 'telemetry_loss')).toBe(false);
  });
});
