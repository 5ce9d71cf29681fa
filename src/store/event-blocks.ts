/**
 * @module store/event-blocks: events in content-addressed blocks (migration 007).
 *
 * Within a write transaction events are queued; every BLOCK_EVENTS of them, and at the end of the
 * transaction, the queue becomes one block: the bodies joined by '\n' and deflated, the leaf hash of each
 * body, and one ledger entry whose object hash is the RFC 9162 root over those leaves. The narrow rows are
 * written when the transaction ends, so the correlation the engine sets right after storing an event goes
 * into the row's insert instead of an update.
 */
import { hash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { RuntimeEvent } from '../model/index.js';
import { bytesToHex, leafHash, merkleRootFromLeafHashes } from '../ledger/index.js';
import { StoreError } from '../errors.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';
import type { StringIds } from './string-ids.js';
import { eventIdTail, eventKey, KEY_PROBES, lastProbeKey } from './event-keys.js';

/** Events per block: a proof is 10 hashes, and reading one event inflates ~0.5 MB at most. */
export const BLOCK_EVENTS = 1024;
/** zlib level 1: ~4x faster than the default on JSON lines for a few percent more bytes (make bench). */
const DEFLATE_LEVEL = 1;
const ROWS_PER_INSERT = 64;
const LOOKUP_CHUNK = 256;
const tailsSql = (n: number) => `SELECT key, id_tail FROM event_rows WHERE key IN (${Array.from({ length: n }, () => '?').join(',')})`;
const ROW_COLUMNS = 13;
/** RFC 9162 leaf hash of one stored body: what a block's Merkle root is built over, and what proofs start from. */
export function eventLeaf(body: string): Buffer {
  const l = leafHash(body);
  return Buffer.from(l.buffer, l.byteOffset, l.byteLength);
}

/** The object hash of a block's ledger entry: the RFC 9162 root over its leaves (32 bytes each). */
export function blockRoot(leaves: Uint8Array): string {
  const list: Uint8Array[] = [];
  for (let i = 0; i + 32 <= leaves.byteLength; i += 32) list.push(leaves.subarray(i, i + 32));
  return bytesToHex(merkleRootFromLeafHashes(list));
}

/** The most a kept scratch buffer holds: a rarer, bigger block (large bodies) gets a buffer of its own. */
const MAX_SCRATCH_BYTES = 16 << 20;
let scratchBuf = Buffer.alloc(0);
/**
 * The joined text is deflated (copied) before the next block is packed: one buffer serves them all, since
 * fresh pages cost more to touch on this VM than the copy into them.
 */
function scratch(size: number): Buffer {
  if (size > MAX_SCRATCH_BYTES) return Buffer.allocUnsafeSlow(size);
  if (scratchBuf.byteLength < size) scratchBuf = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH_BYTES, Math.max(size, 2 * scratchBuf.byteLength)));
  return scratchBuf.subarray(0, size);
}

/**
 * A block's bodies (UTF-8) packed as they are stored: the deflated text of the bodies joined by '\n' (JSON
 * text holds no raw newline), and each body's leaf hash, 32 bytes apiece in order. The bodies are copied
 * once, each behind one spare byte: set to 0x00 that byte and the body are the leaf's input, then set to
 * '\n' it is the separator the deflated text needs. No other copy is made, no string is built.
 */
export function packBlock(bodies: readonly Uint8Array[]): { body: Buffer; leaves: Buffer } {
  let size = 0;
  for (const b of bodies) size += b.byteLength + 1;
  const joined = scratch(size);
  const leaves = Buffer.allocUnsafe(bodies.length * 32);
  let at = 0;
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i]!;
    joined[at] = 0x00;
    joined.set(b, at + 1);
    leaves.set(hash('sha256', joined.subarray(at, at + 1 + b.byteLength), 'buffer'), i * 32);
    joined[at] = 0x0a;
    at += 1 + b.byteLength;
  }
  return { body: deflateRawSync(joined.subarray(Math.min(1, size)), { level: DEFLATE_LEVEL }), leaves };
}

/** A block's bodies, or undefined when the blob does not inflate (a damaged block). */
export function unpackBodies(blob: Uint8Array): string[] | undefined {
  try {
    const text = inflateRawSync(blob).toString('utf8');
    return text.length === 0 ? [] : text.split('\n');
  } catch {
    return undefined;
  }
}

const utf8 = new TextEncoder();

interface QueuedEvent {
  key: bigint;
  values: unknown[];
  judged: boolean;
}

export class EventBlockWriter {
  readonly #ledger: LedgerWriter;
  readonly #strings: StringIds;
  readonly #db: Db;
  readonly #tailAt: Database.Statement;
  readonly #tailsOf: Database.Statement;
  readonly #nextBlockId: Database.Statement;
  readonly #insertBlock: Database.Statement;
  readonly #insertRow: Database.Statement;
  readonly #insertRows: Database.Statement;
  /** This transaction's events by id: duplicates within it, and the correlation set right after storing. */
  readonly #queued = new Map<string, QueuedEvent>();
  readonly #keys = new Set<bigint>();
  #bodies: Uint8Array[] = [];
  #nextBlock = 0;

  constructor(db: Db, ledger: LedgerWriter, strings: StringIds) {
    this.#ledger = ledger;
    this.#strings = strings;
    this.#db = db;
    this.#tailAt = db.prepare('SELECT id_tail FROM event_rows WHERE key = ?').pluck();
    this.#tailsOf = db.prepare(tailsSql(LOOKUP_CHUNK)).raw(true).safeIntegers(true);
    this.#nextBlockId = db.prepare('SELECT COALESCE(MAX(block_id), 0) + 1 FROM event_blocks').pluck();
    this.#insertBlock = db.prepare('INSERT INTO event_blocks (block_id, ledger_seq, count, leaves, body) VALUES (?,?,?,?,?)');
    const cols = `(key, id_tail, time_ns, type, source, pid, process_start_ns, cgroup, container, batch, block_id, pos, kind)`;
    const one = `(${Array.from({ length: ROW_COLUMNS }, () => '?').join(',')})`;
    this.#insertRow = db.prepare(`INSERT INTO event_rows ${cols} VALUES ${one}`);
    this.#insertRows = db.prepare(`INSERT INTO event_rows ${cols} VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => one).join(',')}`);
  }

  /**
   * Queues each event (stored as its body: text, or its UTF-8 bytes as the storage thread gets it); returns
   * which were new (false: already stored). Inside the store's write transaction. Stored ids are looked up LOOKUP_CHUNK keys per query, not one query each.
   */
  addMany(items: readonly { event: RuntimeEvent; body: string | Uint8Array }[], batchId: string | null): boolean[] {
    const keys = items.map((it) => eventKey(it.event.event_id!));
    const stored = new Map<bigint, number>();
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const chunk = keys.slice(i, i + LOOKUP_CHUNK);
      const stmt = chunk.length === LOOKUP_CHUNK ? this.#tailsOf : this.#db.prepare(tailsSql(chunk.length)).raw(true).safeIntegers(true);
      for (const [k, t] of stmt.all(...chunk) as [bigint, bigint][]) stored.set(k, Number(t));
    }
    return items.map((it, i) => this.#add(it.event, it.body, batchId, keys[i]!, stored));
  }

  /** One event (see addMany); `stored`: tails of stored keys already looked up (others are asked for). */
  #add(e: RuntimeEvent, body: string | Uint8Array, batchId: string | null, own: bigint, stored: ReadonlyMap<bigint, number>): boolean {
    const id = e.event_id!;
    if (this.#queued.has(id)) return false;
    const tail = eventIdTail(id);
    let key = own;
    const last = lastProbeKey(key);
    for (; ; key++) {
      if (key > last) throw new StoreError(`event ${id}: ${KEY_PROBES} events share its key (the store is damaged)`);
      if (this.#keys.has(key)) continue;
      const t = key === own ? stored.get(key) : (this.#tailAt.get(key) as number | undefined);
      if (t === undefined) break;
      if (t === tail) return false;
    }
    if (this.#nextBlock === 0) this.#nextBlock = this.#nextBlockId.get() as number;
    const s = this.#strings;
    const values = [
      key, tail, e.time_ns, s.idOf(e.type), s.idOf(e.source), e.pid ?? null, e.process_start_ns ?? null,
      s.idOrNull(e.cgroup_id), s.idOrNull(e.container_id), s.idOrNull(batchId), this.#nextBlock, this.#bodies.length, 0,
    ];
    this.#queued.set(id, { key, values, judged: false });
    this.#keys.add(key);
    this.#bodies.push(typeof body === 'string' ? utf8.encode(body) : body);
    if (this.#bodies.length === BLOCK_EVENTS) this.#sealBlock();
    return true;
  }

  /**
   * Sets the correlation kind of an event queued in this transaction: its key, and whether this is its first
   * verdict (which has no earlier rows to look up); undefined if the event is not queued.
   */
  setQueuedKind(eventId: string, kind: number): { key: bigint; first: boolean; changed: boolean } | undefined {
    const q = this.#queued.get(eventId);
    if (!q) return undefined;
    const changed = q.values[ROW_COLUMNS - 1] !== kind;
    q.values[ROW_COLUMNS - 1] = kind;
    const first = !q.judged;
    q.judged = true;
    return { key: q.key, first, changed };
  }

  /** Writes the open block and every queued row; the store calls it just before the ledger signs. */
  seal(): void {
    if (this.#bodies.length > 0) this.#sealBlock();
    const rows = [...this.#queued.values()];
    let i = 0;
    for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
      const flat: unknown[] = [];
      for (let j = i; j < i + ROWS_PER_INSERT; j++) for (const v of (rows[j] as QueuedEvent).values) flat.push(v);
      this.#insertRows.run(...flat);
    }
    for (; i < rows.length; i++) this.#insertRow.run(...(rows[i] as QueuedEvent).values);
    this.reset();
  }

  /** Forgets the queue (after seal, or when the transaction failed). */
  reset(): void {
    this.#queued.clear();
    this.#keys.clear();
    this.#bodies = [];
    this.#nextBlock = 0;
  }

  #sealBlock(): void {
    const bodies = this.#bodies;
    const packed = packBlock(bodies);
    const seq = this.#ledger.append('put:event_blocks', blockRoot(packed.leaves));
    this.#insertBlock.run(this.#nextBlock, seq, bodies.length, packed.leaves, packed.body);
    this.#bodies = [];
    this.#nextBlock++;
  }
}

export interface StoredBlock {
  block_id: number;
  ledger_seq: number;
  count: number;
  leaves: Buffer;
  /** undefined: the body does not inflate. */
  bodies: string[] | undefined;
}

/** Reads blocks, keeping the last few inflated (a timeline reads its events block after block). */
export class BlockReader {
  readonly #get: Database.Statement;
  readonly #cache = new Map<number, StoredBlock>();
  readonly #max: number;

  constructor(db: Db, cacheBlocks = 16) {
    this.#get = db.prepare('SELECT block_id, ledger_seq, count, leaves, body FROM event_blocks WHERE block_id = ?');
    this.#max = cacheBlocks;
  }

  block(blockId: number): StoredBlock | undefined {
    const hit = this.#cache.get(blockId);
    if (hit) return hit;
    const row = this.#get.get(blockId) as { block_id: number; ledger_seq: number; count: number; leaves: Buffer; body: Buffer } | undefined;
    if (!row) return undefined;
    const b: StoredBlock = { block_id: row.block_id, ledger_seq: row.ledger_seq, count: row.count, leaves: row.leaves, bodies: unpackBodies(row.body) };
    if (this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value as number);
    this.#cache.set(blockId, b);
    return b;
  }

  body(blockId: number, pos: number): string | undefined {
    return this.block(blockId)?.bodies?.[pos];
  }

  /** Bodies at (block, pos) in the order given, each block inflated once however the rows interleave. */
  bodiesAt(rows: readonly { block_id: number; pos: number }[]): (string | undefined)[] {
    const out = new Array<string | undefined>(rows.length);
    const byBlock = new Map<number, number[]>();
    rows.forEach((r, i) => {
      let list = byBlock.get(r.block_id);
      if (!list) byBlock.set(r.block_id, (list = []));
      list.push(i);
    });
    for (const [blockId, idx] of byBlock) {
      const bodies = this.block(blockId)?.bodies;
      for (const i of idx) out[i] = bodies?.[(rows[i] as { pos: number }).pos];
    }
    return out;
  }
}
