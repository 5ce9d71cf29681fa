/**
 * Raw reads and raw tampering of the event layout of migration 007 (event_rows + compressed event_blocks),
 * for tests that look at, or change, what is on disk behind the store's back. Works on any better-sqlite3
 * connection to evidence.db (a read-only one for reads).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from 'better-sqlite3';

type Db = Database.Database;

export interface RawEvent {
  block_id: number;
  pos: number;
  body: string;
  /** parsed body */
  event: Record<string, unknown>;
}

function blockBodies(blob: Buffer): string[] {
  const text = inflateRawSync(blob).toString('utf8');
  return text.length === 0 ? [] : text.split('\n');
}

/** Every stored event body, block by block, in the order they were written. */
export function rawEvents(db: Db): RawEvent[] {
  const out: RawEvent[] = [];
  for (const b of db.prepare('SELECT block_id, body FROM event_blocks ORDER BY block_id').all() as { block_id: number; body: Buffer }[]) {
    blockBodies(b.body).forEach((body, pos) => out.push({ block_id: b.block_id, pos, body, event: JSON.parse(body) as Record<string, unknown> }));
  }
  return out;
}

/** Stored bodies whose event matches `pred` (e.g. by type or pid). */
export function rawBodies(db: Db, pred: (e: Record<string, unknown>) => boolean = () => true): string[] {
  return rawEvents(db).filter((r) => pred(r.event)).map((r) => r.body);
}

/** How many events are stored (one narrow row each). */
export function eventCount(db: Db, where = ''): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM event_rows ${where}`).get() as { n: number }).n;
}

/**
 * Rewrites the body blob of the block holding the first event that matches `pred`, as a tamperer with write
 * access to the file would: `edit` gets the block's bodies and returns the new list. Leaves, rows and the
 * ledger are left as they were. Returns the block id and the ledger seq of its entry.
 */
export function tamperBlock(db: Db, pred: (e: Record<string, unknown>) => boolean, edit: (bodies: string[], pos: number) => string[]): { block_id: number; ledger_seq: number; pos: number } {
  const hit = rawEvents(db).find((r) => pred(r.event));
  if (!hit) throw new Error('tamperBlock: no stored event matches');
  const b = db.prepare('SELECT body, ledger_seq FROM event_blocks WHERE block_id = ?').get(hit.block_id) as { body: Buffer; ledger_seq: number };
  const bodies = edit(blockBodies(b.body), hit.pos);
  db.prepare('UPDATE event_blocks SET body = ? WHERE block_id = ?').run(deflateRawSync(Buffer.from(bodies.join('\n'))), hit.block_id);
  return { block_id: hit.block_id, ledger_seq: b.ledger_seq, pos: hit.pos };
}
