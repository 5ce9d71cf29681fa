/**
 * @module store/ledger-records: rows the ledger keeps about itself: redactions (soft forget), anchors, and
 * reads of entries, signed heads and anchors for verification (bigint-exact times).
 */
import { InputError, NotFoundError } from '../errors.js';
import { sha256Hex } from '../graph/index.js';
import { anchorToJson, type LedgerEntry, type SignedAnchor, type SignedHead } from '../ledger/index.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';
import { BlockReader, eventLeaf } from './event-blocks.js';
import { eventBody, idOfBody } from './event-rows.js';

export interface Redaction {
  object_hash: string;
  tbl: string;
  row_key: string;
  reason: string;
  ledger_seq: number;
}

/** What `ledger redact` may name: an event by id, or any object hash the ledger recorded for an event. */
export type RedactTarget = { event_id: string } | { object_hash: string };

/**
 * Records a redaction of an event's content. The event row and its ledger entry stay as they are (sealed
 * stores cannot change them, and the chain must still verify); queries show a stand-in instead.
 */
export function writeRedaction(db: Db, ledger: LedgerWriter, target: RedactTarget, reason: string): Redaction {
  ledger.flush();
  const found = 'event_id' in target ? eventObject(db, target.event_id) : eventWithObject(db, target.object_hash);
  if (!found) {
    const what = 'event_id' in target ? `event ${target.event_id}` : `event object ${target.object_hash}`;
    throw new NotFoundError(`no ledgered ${what} in this store (only event content can be redacted)`);
  }
  const row = { id: found.event_id, h: found.object_hash };
  const prior = db.prepare('SELECT ledger_seq FROM redactions WHERE object_hash = ?').get(row.h) as { ledger_seq: number } | undefined;
  if (prior) {
    throw new InputError([{ field: 'object', message: `object ${row.h} is already redacted (ledger seq ${prior.ledger_seq})` }], {
      code: 'AP_BAD_ARGS',
    });
  }
  const seq = ledger.append('redact:events', row.h);
  const r: Redaction = { object_hash: row.h, tbl: 'events', row_key: row.id, reason, ledger_seq: seq };
  db.prepare('INSERT INTO redactions (object_hash, tbl, row_key, reason, ledger_seq) VALUES (?,?,?,?,?)').run(
    r.object_hash,
    r.tbl,
    r.row_key,
    r.reason,
    r.ledger_seq,
  );
  return r;
}

/** An event's object hash: the leaf of its body in its block (what its block's ledger entry commits to). */
function eventObject(db: Db, eventId: string): { event_id: string; object_hash: string } | undefined {
  const body = eventBody(db, eventId);
  return body === undefined ? undefined : { event_id: eventId, object_hash: eventLeaf(body).toString('hex') };
}

/** The event whose leaf is `objectHash`: a scan of every block's leaves (a rare, explicit command). */
function eventWithObject(db: Db, objectHash: string): { event_id: string; object_hash: string } | undefined {
  const want = Buffer.from(objectHash, 'hex');
  if (want.byteLength !== 32) return undefined;
  let at: { block_id: number; pos: number } | undefined;
  for (const b of db.prepare('SELECT block_id, leaves FROM event_blocks').iterate() as IterableIterator<{ block_id: number; leaves: Buffer }>) {
    for (let i = 0; i + 32 <= b.leaves.byteLength && !at; i += 32) if (b.leaves.subarray(i, i + 32).equals(want)) at = { block_id: b.block_id, pos: i / 32 };
    if (at) break; // closes the iterator: the connection is free for the read below
  }
  const body = at ? new BlockReader(db, 1).body(at.block_id, at.pos) : undefined;
  const id = body === undefined ? undefined : idOfBody(body);
  return id === undefined ? undefined : { event_id: id, object_hash: objectHash };
}

export function listRedactions(db: Db): Redaction[] {
  return db.prepare('SELECT * FROM redactions ORDER BY ledger_seq').all() as Redaction[];
}

/** Event ids whose content is redacted (a small set: loaded once per query). */
export function redactedEventIds(db: Db): Map<string, Redaction> {
  const rows = db.prepare(`SELECT * FROM redactions WHERE tbl = 'events'`).all() as Redaction[];
  return new Map(rows.map((r) => [r.row_key, r]));
}

/** sha256 of the anchor's canonical JSON: exactly its signed fields (a stored row carries more). */
export function anchorObjectHash(anchor: SignedAnchor): string {
  const { v, from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns, signature } = anchor;
  return sha256Hex(anchorToJson({ v, from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns, signature }));
}

export function writeAnchor(db: Db, ledger: LedgerWriter, anchor: SignedAnchor, target: string): number {
  const seq = ledger.append('anchor', anchorObjectHash(anchor));
  db.prepare(
    `INSERT INTO ledger_anchors (from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns, signature, target, ledger_seq)
     VALUES (?,?,?,?,?,?,?,?,?)`,
  ).run(anchor.from_seq, anchor.to_seq, anchor.tree_size, anchor.root, anchor.key_fingerprint, anchor.signed_at_ns, anchor.signature, target, seq);
  return seq;
}

export function listAnchors(db: Db): (SignedAnchor & { target: string; ledger_seq: number })[] {
  const rows = db.prepare('SELECT * FROM ledger_anchors ORDER BY anchor_id').safeIntegers(true).all() as Record<string, bigint | string>[];
  return rows.map((r) => ({
    v: 'agentprov.ledger-anchor/v1',
    from_seq: Number(r.from_seq),
    to_seq: Number(r.to_seq),
    tree_size: Number(r.tree_size),
    root: r.root as string,
    key_fingerprint: r.key_fingerprint as string,
    signed_at_ns: r.signed_at_ns as bigint,
    signature: r.signature as string,
    target: r.target as string,
    ledger_seq: Number(r.ledger_seq),
  }));
}

export function listSignedHeads(db: Db): SignedHead[] {
  const rows = db.prepare('SELECT * FROM ledger_heads ORDER BY seq').safeIntegers(true).all() as Record<string, bigint | string>[];
  return rows.map((r) => ({
    seq: Number(r.seq),
    entry_hash: r.entry_hash as string,
    key_fingerprint: r.key_fingerprint as string,
    signature: r.signature as string,
    signed_at_ns: r.signed_at_ns as bigint,
  }));
}

export function latestSignedHead(db: Db): SignedHead | null {
  const r = db.prepare('SELECT * FROM ledger_heads ORDER BY seq DESC LIMIT 1').safeIntegers(true).get() as
    | Record<string, bigint | string>
    | undefined;
  if (!r) return null;
  return {
    seq: Number(r.seq),
    entry_hash: r.entry_hash as string,
    key_fingerprint: r.key_fingerprint as string,
    signature: r.signature as string,
    signed_at_ns: r.signed_at_ns as bigint,
  };
}

function toEntry(r: Record<string, bigint | string>): LedgerEntry {
  return {
    seq: Number(r.seq),
    prev_hash: r.prev_hash as string,
    object_hash: r.object_hash as string,
    kind: r.kind as string,
    time_ns: r.time_ns as bigint,
    entry_hash: r.entry_hash as string,
  };
}

/** Every entry in seq order, lazily (a million entries never sit in memory as rows). */
export function* iterateLedger(db: Db, fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): Generator<LedgerEntry> {
  const stmt = db
    .prepare('SELECT seq, prev_hash, object_hash, kind, time_ns, entry_hash FROM ledger WHERE seq BETWEEN ? AND ? ORDER BY seq')
    .safeIntegers(true);
  for (const r of stmt.iterate(fromSeq, toSeq) as IterableIterator<Record<string, bigint | string>>) yield toEntry(r);
}

export function ledgerEntryAt(db: Db, seq: number): LedgerEntry | null {
  const r = db.prepare('SELECT * FROM ledger WHERE seq = ?').safeIntegers(true).get(seq) as Record<string, bigint | string> | undefined;
  return r ? toEntry(r) : null;
}

export function ledgerHead(db: Db): { seq: number; entry_hash: string } | null {
  const r = db.prepare('SELECT seq, entry_hash FROM ledger ORDER BY seq DESC LIMIT 1').get() as
    | { seq: number; entry_hash: string }
    | undefined;
  return r ?? null;
}

export function ledgerCount(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n;
}

/** `seq, entry_hash` of the entries from..to in seq order, streamed (a Merkle range reads 32 bytes an entry). */
export function iterateEntryHashes(db: Db, fromSeq: number, toSeq: number): IterableIterator<{ seq: number; entry_hash: string }> {
  return db.prepare('SELECT seq, entry_hash FROM ledger WHERE seq BETWEEN ? AND ? ORDER BY seq').iterate(fromSeq, toSeq) as IterableIterator<{
    seq: number;
    entry_hash: string;
  }>;
}
