/**
 * Raw reads of the correlation side of the event layout of migration 007 (event_rows.kind, correlation_kinds,
 * correlation_batches), for tests that check what a write left on disk or tamper with it behind the store's back.
 * Works on any better-sqlite3 connection to evidence.db (a read-only one for reads).
 */
import type Database from 'better-sqlite3';
import { findEventRow } from '../../src/store/event-rows.js';
import { unpackPairs } from '../../src/store/correlation-log.js';
import { rawEvents } from './stored-events.js';

type Db = Database.Database;

/** The narrow row of one event: its key, where its body is, and the id of its current correlation kind. */
export function rowOf(db: Db, eventId: string): { key: bigint; block_id: number; pos: number; kind: number } {
  const row = findEventRow(db, eventId);
  if (!row) throw new Error(`rowOf: no event row for ${eventId}`);
  return row;
}

/** The (event key, kind id) pairs of every correlation batch, by ledger seq, in ledger order. */
export function batches(db: Db): { seq: number; pairs: { key: bigint; kind: number }[] }[] {
  const rows = db.prepare('SELECT ledger_seq AS seq, pairs FROM correlation_batches ORDER BY ledger_seq').all() as { seq: number; pairs: Buffer }[];
  return rows.map((r) => {
    const pairs = unpackPairs(r.pairs);
    if (!pairs) throw new Error(`batches: batch ${r.seq} is not a whole number of pairs`);
    return { seq: r.seq, pairs };
  });
}

/** The event id stored at (block, pos): what verify names an event row by. */
export function eventIdAt(db: Db, blockId: number, pos: number): string {
  // Number(): on a connection with safe integers, block ids come back as bigint
  const hit = rawEvents(db).find((r) => Number(r.block_id) === blockId && r.pos === pos);
  if (!hit) throw new Error(`eventIdAt: nothing at block ${blockId} #${pos}`);
  return String(hit.event.event_id);
}

/** The id of the correlation kind of a tool call (the first one, when it has several reasons). */
export function kindOfToolCall(db: Db, toolCallId: string): number {
  const id = db.prepare('SELECT id FROM correlation_kinds WHERE tool_call_id = ? ORDER BY id LIMIT 1').pluck().get(toolCallId) as number | undefined;
  if (id === undefined) throw new Error(`kindOfToolCall: no correlation kind names tool call ${toolCallId}`);
  return id;
}
