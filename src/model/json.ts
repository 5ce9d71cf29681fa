/** @module model/json: JSON text with 64-bit values intact: bigint (ns times, cgroup ids) as decimal strings. */

export function bigintAsString(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export function toJsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, bigintAsString, indent);
}
