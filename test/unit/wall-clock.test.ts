// The evidence clock: on the wall clock, finer than a millisecond, never backwards between calls.
import { describe, expect, it } from 'vitest';
import { wallClockNs } from '../../src/clock.js';

describe('wallClockNs', () => {
  it('tracks Date.now(), resolves below a millisecond and never goes backwards', () => {
    const stamps: bigint[] = [];
    const start = Date.now();
    while (Date.now() - start < 20) stamps.push(wallClockNs());
    const end = Date.now();
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! >= stamps[i - 1]!).toBe(true);
    const ms = (ns: bigint) => Number(ns / 1_000_000n);
    expect(ms(stamps[0]!)).toBeGreaterThanOrEqual(start - 2);
    expect(ms(stamps.at(-1)!)).toBeLessThanOrEqual(end + 2);
    // sub-millisecond digits: not every stamp a whole millisecond, and many distinct values within one
    expect(stamps.some((s) => s % 1_000_000n !== 0n)).toBe(true);
    expect(new Set(stamps).size).toBeGreaterThan(100);
  });
});
