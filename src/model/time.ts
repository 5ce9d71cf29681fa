/** @module model/time: conversions between integer nanoseconds and ISO-8601 text (kept to the ns). */

/** ISO-8601 with nanoseconds, e.g. 2024-05-07T18:54:19.341081180Z. */
export function nsToIso(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const base = new Date(Number(ms)).toISOString(); // ...T..:..:..mmmZ
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  return `${base.slice(0, 19)}.${frac}Z`;
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
