/**
 * @module store/sealed-row-check: do the sealed rows (store/row-seal) still say what the ledger recorded?
 *
 * Each row names the entry that sealed it; the entry must be a `put:<table>` and its hash must equal the
 * row's hash recomputed from what is stored. Append-only tables (approval steps) are also checked the other
 * way: an entry whose row is gone names a deleted row. Run only after the chain verified.
 */
import { SEALED_ROW_TABLES, sealedRowHash, sealedRowKey, type Db, type SealedRowTable } from './index.js';
import type { CheckResult } from './data-dir-checks.js';
import { judgeRow } from './ledger-row-check.js';

/** Tables whose rows are never replaced or deleted once written: each of their entries must keep its row. */
const APPEND_ONLY: readonly SealedRowTable[] = ['approval_steps'];

export function checkSealedRows(db: Db): CheckResult {
  const out: CheckResult = { checked: 0, problems: [] };
  for (const table of Object.keys(SEALED_ROW_TABLES) as SealedRowTable[]) {
    const rows = db
      .prepare(`SELECT t.*, l.kind AS _kind, l.object_hash AS _object_hash FROM ${table} t LEFT JOIN ledger l ON l.seq = t.ledger_seq`)
      .safeIntegers(true)
      .iterate() as IterableIterator<Record<string, unknown>>;
    for (const row of rows) {
      out.checked++;
      const problem = judgeRow(table, sealedRowKey(table, row), row, {
        kindOk: (kind) => kind === `put:${table}`,
        rowHash: () => sealedRowHash(table, row),
        unnamed: 'it names no ledger entry (written unsealed, or before migration 006)',
      });
      if (problem) out.problems.push(problem);
    }
  }
  for (const table of APPEND_ONLY) {
    const missing = db
      .prepare(`SELECT l.seq AS seq FROM ledger l WHERE l.kind = ? AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.ledger_seq = l.seq) ORDER BY l.seq`)
      .pluck()
      .all(`put:${table}`) as number[];
    for (const seq of missing) out.problems.push({ table, key: '?', problem: 'row_missing', message: `ledger entry ${seq} (put:${table}) has no row in ${table}: it was deleted`, seq });
  }
  return out;
}
