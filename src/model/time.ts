/** @module model/time: conversions between integer nanoseconds and ISO-8601 text (kept to the ns). */

/** The last whole second formatted (events come in time order, many per second: one Date per second). */
let cachedSecond: bigint | null = null;
let cachedPrefix = '';

/** ISO-8601 with nanoseconds, e.g. 2024-05-07T18:54:19.341081180Z. */
export function nsToIso(ns: bigint): string {
  const frac = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const second = (ns - frac) / 1_000_000_000n;
  if (second !== cachedSecond) {
    cachedPrefix = new Date(Number(second) * 1000).toISOString().slice(0, 19); // ...T..:..:..
    cachedSecond = second;
  }
  return `${cachedPrefix}.${frac.toString().padStart(9, '0')}Z`;
}

/**
 * Parses ISO-8601 with up to 9 fractional digits and a Z or ±hh:mm / ±hhmm offset; null if it is not one.
 * Date.parse alone would keep only milliseconds.
 */
export function isoToNs(text: string): bigint | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [, whole, frac = '', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${whole}${offset}`);
  if (Number.isNaN(ms)) return null;
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
}
