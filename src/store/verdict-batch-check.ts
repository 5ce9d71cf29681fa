/**
 * @module store/verdict-batch-check: do the verdict batches (migration 008) and their rows still say what the
 * ledger recorded? Run after the chain verified, so entries are trusted.
 *
 * - A batch's leaves must give the root its entry records (an edited leaf list cannot cover a forged row).
 * - Each batched row must hash to the leaf at its batch_pos: a changed decision, risk or response is named.
 * - Store-wide, every leaf must still have its row, unless the store is mutable and a later version replaced
 *   it (as for rows with entries of their own); a row pointing at no batch, or at a taken position, is named.
 */
import { bodyHash } from './row-objects.js';
import { blockRoot } from './event-blocks.js';
import { BATCHED_VERDICT_TABLES, VERDICT_BATCH_KIND, verdictLeaf } from './verdict-batch.js';
import { VERSIONED_KEYS } from './row-objects.js';
import type { Db } from './open-database.js';
import type { RowCheckResult } from './ledger-row-check.js';

interface BatchRow {
  seq: number;
  count: number;
  leaves: Buffer;
  kind: string | null;
  object_hash: string | null;
}

/** `keptFrom`: the first seq from which superseded versions are kept (see ledger-row-check). */
export function checkVerdictBatches(db: Db, scope: { runId?: string }, keptFrom: number, out: RowCheckResult): void {
  const batches = new Map<number, BatchRow>();
  const trusted = new Set<number>();
  const rows = db
    .prepare(`SELECT b.ledger_seq AS seq, b.count, b.leaves, l.kind AS kind, l.object_hash AS object_hash
              FROM verdict_batches b LEFT JOIN ledger l ON l.seq = b.ledger_seq`)
    .all() as BatchRow[];
  for (const b of rows) {
    out.rows_checked++;
    batches.set(b.seq, b);
    const at = `verdict batch ${b.seq}`;
    if (b.kind !== VERDICT_BATCH_KIND) {
      const why = b.kind === null ? `there is no ledger entry ${b.seq}` : `ledger entry ${b.seq} records a ${b.kind}`;
      out.problems.push({ seq: b.seq, table: 'verdict_batches', key: String(b.seq), problem: b.kind === null ? 'row_unledgered' : 'row_kind_mismatch', message: `${at}: ${why}` });
    } else if (b.leaves.byteLength !== b.count * 32 || blockRoot(b.leaves) !== b.object_hash) {
      out.problems.push({ seq: b.seq, table: 'verdict_batches', key: String(b.seq), problem: 'row_modified', message: `${at}: its leaves differ from what ledger entry ${b.seq} recorded` });
    } else {
      trusted.add(b.seq);
    }
  }
  const missing = db
    .prepare(`SELECT l.seq AS seq FROM ledger l WHERE l.kind = ? AND NOT EXISTS (SELECT 1 FROM verdict_batches b WHERE b.ledger_seq = l.seq) ORDER BY l.seq`)
    .pluck()
    .all(VERDICT_BATCH_KIND) as number[];
  for (const seq of missing) {
    out.problems.push({ seq, table: 'verdict_batches', key: '?', problem: 'row_missing', message: `ledger entry ${seq} (${VERDICT_BATCH_KIND}) has no row in verdict_batches: it was deleted` });
  }

  const taken = new Map<number, Set<number>>();
  for (const table of BATCHED_VERDICT_TABLES) {
    const key = VERSIONED_KEYS[table];
    // positions are counted store-wide (a deleted row names no run), bodies checked for the run only
    const all = db.prepare(`SELECT ledger_seq AS seq, batch_pos AS pos, ${key} AS id, run_id, body FROM ${table} WHERE batch_pos IS NOT NULL`).iterate() as IterableIterator<{
      seq: number;
      pos: number;
      id: string;
      run_id: string | null;
      body: string;
    }>;
    for (const r of all) {
      const at = `${table} ${r.id}`;
      const b = batches.get(r.seq);
      const used = taken.get(r.seq) ?? taken.set(r.seq, new Set()).get(r.seq)!;
      const inRun = scope.runId === undefined || r.run_id === scope.runId;
      if (inRun) out.rows_checked++;
      if (!b || r.pos < 0 || r.pos >= b.count || used.has(r.pos)) {
        const why = !b ? `verdict batch ${r.seq} does not exist` : used.has(r.pos) ? `another row holds leaf #${r.pos} of verdict batch ${r.seq}` : `verdict batch ${r.seq} has no leaf #${r.pos}`;
        out.problems.push({ seq: r.seq, table, key: r.id, problem: 'row_unledgered', message: `${at}: ${why}` });
        continue;
      }
      used.add(r.pos);
      if (!inRun || !trusted.has(r.seq)) continue;
      const want = b.leaves.subarray(r.pos * 32, r.pos * 32 + 32);
      if (!verdictLeaf(table, bodyHash(r.body)).equals(want)) {
        out.problems.push({ seq: r.seq, table, key: r.id, problem: 'row_modified', message: `${at} differs from what ledger entry ${r.seq} recorded (verdict batch leaf #${r.pos})` });
      }
    }
  }
  for (const b of batches.values()) {
    // a mutable store drops a row's old version when it writes a new one: only kept versions must all be there
    if (b.seq <= keptFrom) continue;
    const used = taken.get(b.seq)?.size ?? 0;
    if (used < b.count) {
      out.problems.push({ seq: b.seq, table: 'verdict_batches', key: String(b.seq), problem: 'row_missing', message: `verdict batch ${b.seq} holds ${b.count} rows and ${b.count - used} of them are gone: they were deleted` });
    }
  }
}
