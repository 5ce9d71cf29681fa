/**
 * @module store/event-rows: reads of events and their correlations in the block layout (migration 007):
 * select narrow rows, then take their bodies from the blocks, each block inflated once per read.
 */
import type Database from 'better-sqlite3';
import type { RuntimeEvent } from '../model/index.js';
import { decodeEvent } from './codec.js';
import { BlockReader } from './event-blocks.js';
import { eventIdTail, eventKey, lastProbeKey } from './event-keys.js';
import { kindOfRow, type CorrelationKind } from './correlation-log.js';
import type { Db } from './open-database.js';

/** Where an event's body is and its current kind (bulk reads leave out the int64 key: no BigInt per row). */
export interface EventRow {
  block_id: number;
  pos: number;
  kind: number;
}

export interface KeyedEventRow extends EventRow {
  key: bigint;
}

/** SQL: the kinds (correlation_kinds ids) of a run, as a subquery over the named parameter. */
export const RUN_KINDS = (param = '?') => `SELECT id FROM correlation_kinds WHERE run_id = ${param}`;
export const BINDING_KINDS = (param = '?') => `SELECT id FROM correlation_kinds WHERE binding_id = ${param}`;

const ROW_COLS = 'e.block_id AS block_id, e.pos AS pos, e.kind AS kind';
/** Bodies are read this many rows at a time, so a million-event scan never holds all rows at once. */
const CHUNK = 4096;

/** The row of event `eventId` (a collision sits at one of the next keys, with its own tail). */
export function findEventRow(db: Db, eventId: string): KeyedEventRow | undefined {
  if (!/^[0-9a-f]{64}$/.test(eventId)) return undefined; // ids are sha256 hex: anything else names no event
  const key = eventKey(eventId);
  return findRowStatement(db).all(key, lastProbeKey(key), eventIdTail(eventId)).map(fromSafe)[0];
}

/** Prepared once per connection: a check or a verify looks up every event of a run one by one. */
const findRowStatements = new WeakMap<Db, Database.Statement>();
function findRowStatement(db: Db): Database.Statement {
  let stmt = findRowStatements.get(db);
  if (stmt === undefined) {
    stmt = db.prepare(`SELECT e.key AS key, ${ROW_COLS} FROM event_rows e WHERE e.key >= ? AND e.key <= ? AND e.id_tail = ? ORDER BY e.key LIMIT 1`).safeIntegers(true);
    findRowStatements.set(db, stmt);
  }
  return stmt;
}

function fromSafe(r: unknown): KeyedEventRow {
  const o = r as { key: bigint; block_id: bigint; pos: bigint; kind: bigint };
  return { key: o.key, block_id: Number(o.block_id), pos: Number(o.pos), kind: Number(o.kind) };
}

/** The stored body of one event (undefined: no such event, or its block is damaged). */
export function eventBody(db: Db, eventId: string, reader = new BlockReader(db, 1)): string | undefined {
  const row = findEventRow(db, eventId);
  return row ? reader.body(row.block_id, row.pos) : undefined;
}

/** Rows of a query (`sql` selects ROW_COLS: block_id, pos, kind), in its order. */
export function selectRows(db: Db, sql: string, ...params: unknown[]): EventRow[] {
  return db.prepare(sql).all(...params) as EventRow[];
}

/** The int64 keys of a query's rows (`sql` selects `e.key AS key`). */
export function selectKeys(db: Db, sql: string, ...params: unknown[]): bigint[] {
  return db.prepare(sql).pluck().safeIntegers(true).all(...params) as bigint[];
}

export { ROW_COLS };

/** The stored bodies of `rows`, in order (undefined where a block is damaged or gone). */
export function bodiesOf(db: Db, rows: readonly EventRow[], reader = new BlockReader(db)): (string | undefined)[] {
  return reader.bodiesAt(rows);
}

/** Events of `rows` lazily, CHUNK rows at a time (a damaged body is skipped: `agentprov verify` names it). */
export function* eventsOfRows(db: Db, rows: Iterable<EventRow>, decode: (body: string) => RuntimeEvent = decodeEvent): Generator<RuntimeEvent> {
  const reader = new BlockReader(db);
  let chunk: EventRow[] = [];
  const drain = function* (): Generator<RuntimeEvent> {
    for (const body of reader.bodiesAt(chunk)) if (body !== undefined) yield decode(body);
    chunk = [];
  };
  for (const r of rows) {
    chunk.push(r);
    if (chunk.length === CHUNK) yield* drain();
  }
  yield* drain();
}

/** Every kind by id (few: a kind is shared by all events one scope binds the same way). */
export function loadKinds(db: Db, runId?: string): Map<number, CorrelationKind> {
  const rows = (runId === undefined
    ? db.prepare('SELECT * FROM correlation_kinds').all()
    : db.prepare('SELECT * FROM correlation_kinds WHERE run_id = ?').all(runId)) as Record<string, unknown>[];
  return new Map(rows.map((r) => [r.id as number, kindOfRow(r)]));
}

/** The event id a stored body declares (undefined when it is not JSON or names none). */
export function idOfBody(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { event_id?: unknown }).event_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
