/**
 * @module store/correlation-log: correlations without a row per event (migration 007).
 *
 * A correlation minus its event id (binding, run, tool call, tier, confidence, keys, reason) is a kind,
 * stored and ledgered once and shared by every event it fits. An event row names its current kind; each
 * transaction that sets kinds appends one batch: the (event key, kind id) pairs it set, as a blob, under a
 * `put:correlation_batches` entry over that blob. Replaying the batches in ledger order gives every event's
 * current kind, so a changed `kind` column is caught, and every earlier attribution stays on record.
 */
import type Database from 'better-sqlite3';
import type { Correlation } from '../model/index.js';
import { sha256Hex } from '../graph/index.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';

export type CorrelationKind = Omit<Correlation, 'event_id'>;

const PAIR_BYTES = 12;

/** The interning key and object hash of a kind: RFC 8785-equal JSON of an array of strings and numbers. */
export function kindText(c: CorrelationKind): string {
  return JSON.stringify(['agentprov.correlation-kind/v1', c.binding_id, c.run_id, c.tool_call_id, c.tier, c.confidence, c.keys_matched, c.reason]);
}

export function kindHash(c: CorrelationKind): string {
  return sha256Hex(kindText(c));
}

export function kindOfRow(r: Record<string, unknown>): CorrelationKind {
  return {
    binding_id: r.binding_id as string | null,
    run_id: r.run_id as string | null,
    tool_call_id: r.tool_call_id as string | null,
    tier: r.tier as Correlation['tier'],
    confidence: r.confidence as number,
    keys_matched: JSON.parse(r.keys_matched as string) as string[],
    reason: r.reason as string,
  };
}

export function packPairs(pairs: readonly { key: bigint; kind: number }[]): Buffer {
  const buf = Buffer.allocUnsafe(pairs.length * PAIR_BYTES);
  pairs.forEach((p, i) => {
    buf.writeBigInt64LE(p.key, i * PAIR_BYTES);
    buf.writeInt32LE(p.kind, i * PAIR_BYTES + 8);
  });
  return buf;
}

/** undefined when the blob is not a whole number of pairs. */
export function unpackPairs(blob: Uint8Array): { key: bigint; kind: number }[] | undefined {
  if (blob.byteLength % PAIR_BYTES !== 0) return undefined;
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: { key: bigint; kind: number }[] = [];
  for (let o = 0; o < buf.byteLength; o += PAIR_BYTES) out.push({ key: buf.readBigInt64LE(o), kind: buf.readInt32LE(o + 8) });
  return out;
}

/** A binding's events fall into a few kinds (tier, keys, reason): past this many, the text cache serves. */
const MAX_KINDS_PER_BINDING = 32;

/** Field by field: cheaper than building and comparing each correlation's kind text. */
export function sameKind(a: CorrelationKind, b: CorrelationKind): boolean {
  if (a.run_id !== b.run_id || a.tool_call_id !== b.tool_call_id || a.tier !== b.tier || a.confidence !== b.confidence) return false;
  if (a.reason !== b.reason || a.keys_matched.length !== b.keys_matched.length) return false;
  for (let i = 0; i < a.keys_matched.length; i++) if (a.keys_matched[i] !== b.keys_matched[i]) return false;
  return a.binding_id === b.binding_id;
}

function copyKind(c: CorrelationKind): CorrelationKind {
  return {
    binding_id: c.binding_id,
    run_id: c.run_id,
    tool_call_id: c.tool_call_id,
    tier: c.tier,
    confidence: c.confidence,
    keys_matched: [...c.keys_matched],
    reason: c.reason,
  };
}

export class CorrelationLog {
  readonly #ledger: LedgerWriter;
  readonly #ids = new Map<string, number>();
  /** Kinds seen per binding, compared field by field: cheaper than building each verdict's kind text. */
  readonly #byBinding = new Map<string | null, { kind: CorrelationKind; id: number }[]>();
  readonly #find: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #insertBatch: Database.Statement;
  #pairs: { key: bigint; kind: number }[] = [];

  constructor(db: Db, ledger: LedgerWriter) {
    this.#ledger = ledger;
    this.#find = db.prepare('SELECT id FROM correlation_kinds WHERE hash = ?').pluck();
    this.#insert = db.prepare(
      `INSERT INTO correlation_kinds (binding_id, run_id, tool_call_id, tier, confidence, keys_matched, reason, hash, ledger_seq)
       VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
    ).pluck();
    this.#insertBatch = db.prepare('INSERT INTO correlation_batches (ledger_seq, pairs) VALUES (?, ?)');
  }

  /** The id of `c`'s kind, stored and ledgered the first time it is seen (inside the write transaction). */
  kindId(c: CorrelationKind): number {
    const seen = this.#byBinding.get(c.binding_id);
    if (seen) for (const k of seen) if (sameKind(k.kind, c)) return k.id;
    const id = this.#kindIdOfText(c);
    if (!seen) this.#byBinding.set(c.binding_id, [{ kind: copyKind(c), id }]);
    else if (seen.length < MAX_KINDS_PER_BINDING) seen.push({ kind: copyKind(c), id });
    return id;
  }

  #kindIdOfText(c: CorrelationKind): number {
    const text = kindText(c);
    let id = this.#ids.get(text);
    if (id !== undefined) return id;
    const hash = sha256Hex(text);
    id = this.#find.get(hash) as number | undefined;
    if (id === undefined) {
      const seq = this.#ledger.append('put:correlation_kinds', hash);
      id = this.#insert.get(c.binding_id, c.run_id, c.tool_call_id, c.tier, c.confidence, JSON.stringify(c.keys_matched), c.reason, hash, seq) as number;
    }
    this.#ids.set(text, id);
    return id;
  }

  /** Records that the event at `key` now has kind `kind` (the caller writes the row's column). */
  set(key: bigint, kind: number): void {
    this.#pairs.push({ key, kind });
  }

  /** Writes this transaction's pairs as one ledgered batch; the store calls it just before the ledger signs. */
  seal(): void {
    if (this.#pairs.length === 0) return;
    const blob = packPairs(this.#pairs);
    const seq = this.#ledger.append('put:correlation_batches', sha256Hex(blob));
    this.#insertBatch.run(seq, blob);
    this.#pairs = [];
  }

  reset(): void {
    this.#pairs = [];
  }

  /** After a failed transaction: kinds it created were rolled back. */
  clear(): void {
    this.#ids.clear();
    this.#byBinding.clear();
    this.#pairs = [];
  }
}
