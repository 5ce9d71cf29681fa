/** @module graph/canonical-json: RFC 8785 style canonical JSON and the sha256 content address over it. */
import * as crypto from 'node:crypto';

/**
 * Canonical JSON (RFC 8785 style): object keys sorted by UTF-16 code units, no whitespace, numbers in
 * ECMAScript shortest form, strings JSON-escaped. bigint is written as a decimal string so that 64-bit
 * nanosecond times survive hashing exactly; undefined members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      // Loops rather than filter/map/join: every event and DAG node is hashed through here.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i] ?? null);
        return `${out}]`;
      }
      return objectJson(value as Record<string, unknown>);
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

/** Sorted keys and their quoted forms, per object shape (key list in insertion order). */
interface Shape {
  keys: string[];
  order: string[];
  quoted: string[];
}
const shapes = new Map<string, Shape>();
/** Events and DAG nodes come in a few dozen shapes; a bound keeps odd inputs from growing the cache. */
const MAX_SHAPES = 4096;

// Sorting the keys and quoting them cost more than the rest of an event's encoding: done once per shape.
function objectJson(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj);
  const sig = keys.join('\u0000');
  let shape = shapes.get(sig);
  // keys may themselves hold the separator: a cached shape is used only for exactly its key list
  if (shape === undefined || !sameKeys(shape.keys, keys)) {
    const order = keys.slice().sort();
    const fresh = { keys, order, quoted: order.map((k) => `${JSON.stringify(k)}:`) };
    if (shape === undefined && shapes.size < MAX_SHAPES) shapes.set(sig, fresh);
    shape = fresh;
  }
  const { order, quoted } = shape;
  let out = '{';
  let first = true;
  for (let i = 0; i < order.length; i++) {
    const v = obj[order[i] as string];
    if (v === undefined) continue;
    out += (first ? '' : ',') + (quoted[i] as string) + canonicalJson(v);
    first = false;
  }
  return `${out}}`;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One-shot crypto.hash (Node >= 20.12) is ~3x cheaper than createHash per call: it is on every hot path. */
const oneShot = (crypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'hex') => string }).hash;

export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}

/** The content address of a value: sha256 over its canonical JSON. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/**
 * The id of a runtime event: for a line-oriented source, sha256 over the source name and the exact line
 * bytes (re-ingesting a file yields the same ids, so a second run is idempotent); for a kernel record,
 * over the boot id and the record bytes. Domain-separated so a line can never collide with a DAG node.
 */
export function eventIdFor(source: string, rawSha256: string): string {
  return sha256Hex(`agentprov.event/v1\n${source}\n${rawSha256}`);
}
