/**
 * @module store/event-block-check: do the event blocks, event rows and correlation batches (migration 007)
 * still say what the ledger recorded? Run after the chain verified, so entries are trusted.
 *
 * - A block's leaves must give the Merkle root its entry records; each body must hash to its leaf, so a
 *   changed, inserted, removed or reordered event is named (by id where its body still parses).
 * - Every leaf must have exactly one event row (a deleted row would hide an event from every query), and a
 *   row must point at a body whose id is the row's key and tail (a forged row cannot borrow a body).
 * - Correlation batches must hash to their entries; replayed in ledger order they give each event's
 *   current kind, which its row's `kind` column must equal (an event cannot be moved to another tool call).
 *
 * With a run, bodies and kinds are checked for the run's blocks and rows only; rows per block and the
 * batches are always checked store-wide (a deleted row no longer names its run).
 */
import { sha256Hex } from '../graph/index.js';
import { BlockReader, blockRoot, eventLeaf, unpackBodies } from './event-blocks.js';
import { eventIdTail, eventKey, KEY_PROBES, keyHexPrefix } from './event-keys.js';
import { idOfBody, RUN_KINDS } from './event-rows.js';
import { kindHash, kindOfRow, unpackPairs } from './correlation-log.js';
import type { Db } from './open-database.js';
import type { RowCheckResult, RowProblem } from './ledger-row-check.js';

interface BlockRow {
  block_id: number;
  ledger_seq: number;
  count: number;
  leaves: Buffer;
  body: Buffer;
  kind: string | null;
  object_hash: string | null;
}

/** Blocks are read this many at a time (each up to ~0.5 MB inflated). */
const BLOCK_PAGE = 64;

export function checkEventBlocks(db: Db, scope: { runId?: string }, out: RowCheckResult): void {
  const kinds = checkKinds(db, out);
  const current = replayBatches(db, out);
  const missingBlocks = checkRowCounts(db, out);
  const rowsSql = scope.runId === undefined
    ? 'SELECT block_id, pos, key, id_tail, kind FROM event_rows ORDER BY block_id, pos'
    : `SELECT block_id, pos, key, id_tail, kind FROM event_rows WHERE kind IN (${RUN_KINDS()}) ORDER BY block_id, pos`;
  const stmt = db.prepare(rowsSql).raw(true).safeIntegers(true);
  const rows = (scope.runId === undefined ? stmt.all() : stmt.all(scope.runId)) as bigint[][];
  const byBlock = new Map<number, bigint[][]>();
  for (const r of rows) {
    const b = Number(r[0]);
    let list = byBlock.get(b);
    if (!list) byBlock.set(b, (list = []));
    list.push(r);
  }
  const page = db.prepare(
    `SELECT b.block_id, b.ledger_seq, b.count, b.leaves, b.body, l.kind AS kind, l.object_hash AS object_hash
     FROM event_blocks b LEFT JOIN ledger l ON l.seq = b.ledger_seq WHERE b.block_id > ? ORDER BY b.block_id LIMIT ${BLOCK_PAGE}`,
  );
  const seen = new Set<number>();
  for (let after = 0; ; ) {
    const blocks = page.all(after) as BlockRow[];
    if (blocks.length === 0) break;
    after = (blocks.at(-1) as BlockRow).block_id;
    for (const b of blocks) {
      seen.add(b.block_id);
      const blockRows = byBlock.get(b.block_id);
      if (scope.runId !== undefined && !blockRows) continue;
      const bodies = checkBlock(b, out);
      if (bodies) checkRowsOfBlock(b, bodies, blockRows ?? [], current, kinds, out);
    }
  }
  // Rows of a block that is gone: a deleted block (its entry is among the missing ones), or forged rows.
  const blameSeq = missingBlocks[0] ?? Number.MAX_SAFE_INTEGER;
  for (const [blockId, list] of byBlock) {
    if (seen.has(blockId)) continue;
    for (const r of list) {
      out.rows_checked++;
      const key = keyHexPrefix(r[2] as bigint);
      out.problems.push({ seq: blameSeq, table: 'event_rows', key, problem: 'row_unledgered', message: `event row ${key}…: its block ${blockId} does not exist` });
    }
  }
}

/** The block against its entry, then each body against its leaf; the bodies, or null when none can be trusted. */
function checkBlock(b: BlockRow, out: RowCheckResult): string[] | null {
  out.rows_checked++;
  const at = `event block ${b.block_id}`;
  const problem = (p: Omit<RowProblem, 'seq' | 'table'>, table = 'event_blocks'): void => {
    out.problems.push({ seq: b.ledger_seq, table, ...p });
  };
  if (b.kind === null) {
    problem({ key: String(b.block_id), problem: 'row_unledgered', message: `${at}: there is no ledger entry ${b.ledger_seq}` });
    return null;
  }
  if (b.kind !== 'put:event_blocks') {
    problem({ key: String(b.block_id), problem: 'row_kind_mismatch', message: `${at}: ledger entry ${b.ledger_seq} records a ${b.kind}, not this block` });
    return null;
  }
  if (b.leaves.byteLength !== b.count * 32 || blockRoot(b.leaves) !== b.object_hash) {
    problem({ key: String(b.block_id), problem: 'row_modified', message: `${at}: its leaves differ from what ledger entry ${b.ledger_seq} recorded` });
    return null;
  }
  const bodies = unpackBodies(b.body);
  if (!bodies) {
    problem({ key: String(b.block_id), problem: 'row_modified', message: `${at}: its body does not inflate (it was changed after ledger entry ${b.ledger_seq})` });
    return null;
  }
  const leaves: string[] = [];
  for (let i = 0; i < b.count; i++) leaves.push(b.leaves.subarray(i * 32, i * 32 + 32).toString('hex'));
  const got = bodies.map((body) => eventLeaf(body).toString('hex'));
  const ledgered = new Set(leaves);
  const stored = new Set(got);
  for (let i = 0; i < Math.max(got.length, leaves.length); i++) {
    if (got[i] === leaves[i]) continue;
    const body = bodies[i];
    const id = body === undefined ? undefined : (idOfBody(body) ?? `#${i}`);
    if (body !== undefined && got[i] !== undefined && ledgered.has(got[i] as string)) {
      problem({ key: id as string, problem: 'row_modified', message: `event ${id} (${at}, #${i}) is out of the order ledger entry ${b.ledger_seq} recorded` }, 'events');
    } else if (body !== undefined) {
      problem({ key: id as string, problem: 'row_modified', message: `event ${id} (${at}, #${i}) differs from what ledger entry ${b.ledger_seq} recorded, or was inserted` }, 'events');
    }
    if (leaves[i] !== undefined && !stored.has(leaves[i] as string)) {
      problem({ key: `leaf ${leaves[i]}`, problem: 'row_missing', message: `the event with leaf ${leaves[i]} (${at}, #${i}, ledger entry ${b.ledger_seq}) is gone from the block` }, 'events');
    }
  }
  return bodies;
}

/** Rows of one block: each points at a body with its own id; its kind is the one the batches last set. */
function checkRowsOfBlock(
  b: BlockRow,
  bodies: string[],
  rows: bigint[][],
  current: Map<bigint, number>,
  kinds: Set<number>,
  out: RowCheckResult,
): void {
  for (const [, posB, key, tail, kindB] of rows) {
    out.rows_checked++;
    const pos = Number(posB);
    const kind = Number(kindB);
    const body = bodies[pos];
    const id = body === undefined ? undefined : idOfBody(body);
    const k = key as bigint;
    const name = id ?? `${keyHexPrefix(k)}…`;
    const first = id === undefined ? undefined : eventKey(id);
    if (id === undefined || first === undefined || k < first || k >= first + BigInt(KEY_PROBES) || Number(tail) !== eventIdTail(id)) {
      out.problems.push({ seq: b.ledger_seq, table: 'event_rows', key: name, problem: 'row_modified', message: `event row ${name} points at block ${b.block_id} #${pos}, which holds ${id ?? 'no event'}` });
      continue;
    }
    const want = current.get(k) ?? 0;
    if (kind !== want || (kind !== 0 && !kinds.has(kind))) {
      out.problems.push({ seq: b.ledger_seq, table: 'correlations', key: id, problem: 'row_modified', message: `event ${id}: its correlation (kind ${kind}) is not the one its correlation batches set (kind ${want})` });
    }
  }
}

/**
 * Every block must have as many rows as events (a deleted row hides its event from every query), and every
 * ledgered block and batch must still exist. Returns the seqs of the block entries whose block is gone.
 */
function checkRowCounts(db: Db, out: RowCheckResult): number[] {
  const rows = db
    .prepare('SELECT block_id, ledger_seq AS seq, count FROM event_blocks')
    .all() as { block_id: number; seq: number; count: number }[];
  const counts = new Map<number, number>();
  for (const r of db.prepare('SELECT block_id, COUNT(*) AS n FROM event_rows GROUP BY block_id').all() as { block_id: number; n: number }[]) {
    counts.set(r.block_id, r.n);
  }
  for (const r of rows) {
    const n = counts.get(r.block_id) ?? 0;
    if (n !== r.count) {
      out.problems.push({
        seq: r.seq,
        table: 'event_rows',
        key: String(r.block_id),
        problem: n < r.count ? 'row_missing' : 'row_unledgered',
        message: `event block ${r.block_id} holds ${r.count} events and ${n} rows point at it: ${n < r.count ? `${r.count - n} event rows were deleted` : `${n - r.count} rows were added`}`,
      });
    }
  }
  const gone: number[] = [];
  for (const [kind, table] of [['put:event_blocks', 'event_blocks'], ['put:correlation_batches', 'correlation_batches']] as const) {
    const missing = db
      .prepare(`SELECT l.seq AS seq FROM ledger l WHERE l.kind = ? AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.ledger_seq = l.seq) ORDER BY l.seq`)
      .all(kind) as { seq: number }[];
    for (const m of missing) out.problems.push({ seq: m.seq, table, key: '?', problem: 'row_missing', message: `ledger entry ${m.seq} (${kind}) has no row in ${table}: it was deleted` });
    if (table === 'event_blocks') gone.push(...missing.map((m) => m.seq));
  }
  return gone;
}

/** Each batch against its entry, replayed in ledger order: the current kind of every event key. */
function replayBatches(db: Db, out: RowCheckResult): Map<bigint, number> {
  const current = new Map<bigint, number>();
  const batches = db
    .prepare('SELECT b.ledger_seq AS seq, b.pairs AS pairs, l.kind AS kind, l.object_hash AS h FROM correlation_batches b LEFT JOIN ledger l ON l.seq = b.ledger_seq ORDER BY b.ledger_seq')
    .iterate() as IterableIterator<{ seq: number; pairs: Buffer; kind: string | null; h: string | null }>;
  for (const b of batches) {
    out.rows_checked++;
    const pairs = unpackPairs(b.pairs);
    const at = `correlation batch ${b.seq}`;
    if (b.kind !== 'put:correlation_batches') {
      const why = b.kind === null ? `there is no ledger entry ${b.seq}` : `ledger entry ${b.seq} records a ${b.kind}`;
      out.problems.push({ seq: b.seq, table: 'correlation_batches', key: String(b.seq), problem: b.kind === null ? 'row_unledgered' : 'row_kind_mismatch', message: `${at}: ${why}` });
      continue;
    }
    if (!pairs || sha256Hex(b.pairs) !== b.h) {
      out.problems.push({ seq: b.seq, table: 'correlation_batches', key: String(b.seq), problem: 'row_modified', message: `${at} differs from what ledger entry ${b.seq} recorded` });
      continue;
    }
    for (const p of pairs) current.set(p.key, p.kind);
  }
  return current;
}

/** Kinds whose interning hash is their content's (the ledger row check covers the content itself). */
function checkKinds(db: Db, out: RowCheckResult): Set<number> {
  const ids = new Set<number>();
  for (const r of db.prepare('SELECT * FROM correlation_kinds').iterate() as IterableIterator<Record<string, unknown>>) {
    ids.add(r.id as number);
    if (kindHash(kindOfRow(r)) !== r.hash) {
      out.problems.push({ seq: r.ledger_seq as number, table: 'correlation_kinds', key: String(r.id), problem: 'row_modified', message: `correlation kind ${String(r.id)}: its hash column is not its content's` });
    }
  }
  return ids;
}

export interface ColumnProblem {
  table: string;
  key: string;
  problem: string;
  message: string;
}

/** Columns of an event row and the body fields they repeat (string columns hold strings.id). */
const EVENT_COLUMNS = [
  ['time_ns', 'time_ns', false],
  ['type', 'type', true],
  ['source', 'source', true],
  ['pid', 'pid', false],
  ['process_start_ns', 'process_start_ns', false],
  ['cgroup', 'cgroup_id', true],
  ['container', 'container_id', true],
] as const;

/**
 * Every event row's columns must equal its body's fields: a query filtering on `type` or `time_ns` reads
 * the truth, not an edited copy. Returns how many rows were checked.
 */
export function checkEventColumns(db: Db, problems: ColumnProblem[]): number {
  const strings = new Map((db.prepare('SELECT id, value FROM strings').all() as { id: number; value: string }[]).map((r) => [r.id, r.value]));
  const cols = EVENT_COLUMNS.map(([c]) => c).join(', ');
  const rows = db.prepare(`SELECT block_id, pos, ${cols} FROM event_rows ORDER BY block_id, pos`).raw(true).safeIntegers(true).all() as (bigint | null)[][];
  const reader = new BlockReader(db, 2);
  let checked = 0;
  for (const r of rows) {
    checked++;
    const body = reader.body(Number(r[0]), Number(r[1]));
    if (body === undefined) continue; // the ledgered-rows check names a missing or damaged block
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(body) as Record<string, unknown>;
    } catch {
      continue;
    }
    EVENT_COLUMNS.forEach(([col, field, interned], i) => {
      const v = r[i + 2] ?? null;
      const column = v === null ? null : interned ? (strings.get(Number(v)) ?? `#${String(v)}`) : String(v);
      const want = e[field] === undefined || e[field] === null ? null : String(e[field]);
      if (column !== want) {
        const id = String(e.event_id);
        problems.push({ table: 'event_rows', key: id, problem: 'column_mismatch', message: `event_rows ${id}: column ${col} disagrees with the event's body` });
      }
    });
  }
  return checked;
}
