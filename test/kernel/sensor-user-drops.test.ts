/**
 * Issue 13, point 3: when JavaScript falls further behind than the poller's queue holds, the poller keeps
 * draining the kernel ring (so the kernel drops nothing) and counts each record it discards by kind; the
 * loss reaches the stream as a telemetry_loss naming its cause, and every record the kernel emitted is
 * either delivered or counted.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { openBurst, startStalledHarness } from './sensor-harness.js';

const OPENS = 40_000;
/** A queue far smaller than the burst (a file_open record is ~400 bytes): most of it must be discarded. */
const QUEUE = 64 * 1024;

describeKernel('sensor: userspace queue full', () => {
  let h: Awaited<ReturnType<typeof startStalledHarness>>;
  beforeAll(async () => {
    // the first batch stalls the JavaScript thread for 2 s, far longer than the queue covers
    h = await startStalledHarness('user-drops', 2000, { userQueueBytes: QUEUE });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('drains the ring, counts what it discards per kind, and accounts for every record', async () => {
    const r = await h.run(...openBurst(OPENS));
    expect(r.code).toBe(0);
    expect(h.stalled()).toBe(true);
    await h.sensor.flush();
    const stats = h.sensor.stats();
    // the poller kept reading: nothing was lost in the kernel
    expect(stats.totalDropped).toBe(0n);
    expect(stats.userDropped['open']).toBeGreaterThan(0n);
    expect(stats.totalUserDropped).toBeGreaterThanOrEqual(stats.userDropped['open']!);
    // every open the kernel emitted was delivered or counted as discarded
    const delivered = h.sink.events.filter((e) => e.type === 'file_open').length;
    expect(BigInt(delivered) + stats.userDropped['open']!).toBe(stats.emitted['open']);
    const mine = h.sink.events.filter((e) => e.type === 'file_open' && e.pid === r.pid && e.path === '/dev/null').length;
    expect(mine).toBeLessThan(OPENS);
    const loss = await h.waitFor('userspace telemetry_loss', (e) => e.type === 'telemetry_loss' && e.labels?.['reason'] === 'userspace queue full', 5000);
    expect(loss.labels?.['dropped_by_kind']).toMatch(/(^|,)open=\d+/);
    expect(h.sink.events.some((e) => e.type === 'telemetry_loss' && e.labels?.['reason'] === 'ring buffer full')).toBe(false);
    // the reported losses add up to what the poller counted
    await new Promise((res) => setTimeout(res, 1200));
    const reported = h.sink.events
      .filter((e) => e.type === 'telemetry_loss' && e.labels?.['reason'] === 'userspace queue full')
      .reduce((n, e) => n + (e.lost_events ?? 0), 0);
    expect(BigInt(reported)).toBe(h.sensor.stats().totalUserDropped);
  });
});
