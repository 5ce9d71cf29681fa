/**
 * @module store/event-keys: an event id (64 hex) -> the int64 row key and the 52-bit tail that tells two
 * ids with the same key apart.
 *
 * The key is the id's first 8 bytes with the sign bit flipped, so SQLite's signed order of keys is the hex
 * order of ids (`ORDER BY time_ns, key` sorts ties as `ORDER BY time_ns, event_id` did). Two distinct ids
 * share a key with probability n^2 / 2^65 (3e-8 for a million events); the second one is stored at the next
 * free key (store/event-blocks probes), and lookups scan the few keys after the first (KEY_PROBES).
 */

/** How many keys after an id's own a colliding event may sit at. */
export const KEY_PROBES = 8;
const INT64_MAX = (1n << 63n) - 1n;

/** The last key an event whose own key is `key` may sit at (never past the int64 range). */
export function lastProbeKey(key: bigint): bigint {
  const last = key + BigInt(KEY_PROBES - 1);
  return last > INT64_MAX ? INT64_MAX : last;
}

export function eventKey(eventId: string): bigint {
  const hi = (parseInt(eventId.slice(0, 8), 16) ^ 0x80000000) | 0;
  const lo = parseInt(eventId.slice(8, 16), 16);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function eventIdTail(eventId: string): number {
  return parseInt(eventId.slice(16, 29), 16);
}

/** The first 16 hex digits of the ids a key may belong to (for messages about a row whose body is gone). */
export function keyHexPrefix(key: bigint): string {
  return (BigInt.asUintN(64, key) ^ (1n << 63n)).toString(16).padStart(16, '0');
}
