/**
 * @module store/versioned-rows: writes to the (id, ledger_seq)-keyed tables under the store's mode.
 *
 * A write whose object hash equals the current version's is a no-op (re-evaluating an unchanged event
 * writes nothing and appends nothing). Otherwise: mutable deletes the old version and appends
 * `replace:<table>`; revisioned and sealed keep it and append `revise:<table>`; a first write is
 * `put:<table>`. Removing a row is `delete:<table>` (mutable) or a tombstone row plus `tombstone:<table>`.
 */
import type Database from 'better-sqlite3';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';
import { bodyHash, VERSIONED_KEYS, type VersionedTable } from './row-objects.js';
import type { StoreMode } from './store-mode.js';
import type { BatchedVerdictTable, VerdictBatch } from './verdict-batch.js';

export interface CurrentVersion {
  id: string;
  ledger_seq: number;
  object_hash: string | null;
  tombstone: number;
}

/**
 * The select list of a current-version lookup of `alias` joined to its ledger entry `l`. A batched row's
 * entry records its batch's root, so its own object hash is its body's (see objectHashOf).
 */
export function currentVersionColumns(key: string, alias: string, batched: boolean): string {
  const hash = batched ? `CASE WHEN ${alias}.batch_pos IS NULL THEN l.object_hash END AS object_hash, ${alias}.batch_pos AS batch_pos, ${alias}.body AS body` : 'l.object_hash AS object_hash';
  return `${alias}.${key} AS id, ${alias}.ledger_seq AS ledger_seq, ${alias}.tombstone AS tombstone, ${hash}`;
}

/** A looked-up version with its object hash filled in for a batched row (and the helper columns dropped). */
export function objectHashOf(row: CurrentVersion & { batch_pos?: number | null; body?: string }): CurrentVersion {
  const { batch_pos, body, ...cur } = row;
  if (batch_pos !== null && batch_pos !== undefined && body !== undefined) cur.object_hash = bodyHash(body);
  return cur;
}

/** SQL that keeps only the current, live version of rows of `table` aliased `alias`. */
export function currentRowSql(table: VersionedTable, alias: string): string {
  const key = VERSIONED_KEYS[table];
  return `${alias}.tombstone = 0 AND ${alias}.ledger_seq = (SELECT MAX(v.ledger_seq) FROM ${table} v WHERE v.${key} = ${alias}.${key})`;
}

export class VersionedRows {
  readonly table: VersionedTable;
  readonly #key: string;
  readonly #ledger: LedgerWriter;
  readonly #insert: Database.Statement;
  readonly #current: Database.Statement;
  readonly #deleteAll: Database.Statement;
  readonly #tombstone: Database.Statement;
  readonly #batch: VerdictBatch | null;
  readonly #insertBatched: Database.Statement | null;

  /**
   * `columns` in the order `insert` values come, without ledger_seq and tombstone. With `batch`, a first
   * version of a row whose event is new (`fresh`) goes into the batch instead of an entry of its own.
   */
  constructor(db: Db, ledger: LedgerWriter, table: VersionedTable, columns: readonly string[], batch: VerdictBatch | null = null) {
    this.table = table;
    this.#key = VERSIONED_KEYS[table];
    this.#ledger = ledger;
    this.#batch = batch;
    const cols = columns.join(', ');
    const marks = columns.map(() => '?').join(',');
    this.#insert = db.prepare(`INSERT INTO ${table} (${cols}, ledger_seq, tombstone) VALUES (${marks}, ?, 0)`);
    this.#insertBatched = batch ? db.prepare(`INSERT INTO ${table} (${cols}, ledger_seq, tombstone, batch_pos) VALUES (${marks}, ?, 0, ?)`) : null;
    this.#current = db.prepare(
      `SELECT ${currentVersionColumns(this.#key, 't', batch !== null)}
       FROM ${table} t LEFT JOIN ledger l ON l.seq = t.ledger_seq
       WHERE t.${this.#key} = ? ORDER BY t.ledger_seq DESC LIMIT 1`,
    );
    this.#deleteAll = db.prepare(`DELETE FROM ${table} WHERE ${this.#key} = ?`);
    this.#tombstone = db.prepare(
      `INSERT INTO ${table} (${cols}, ledger_seq, tombstone) SELECT ${cols}, ?, 1 FROM ${table} WHERE ${this.#key} = ? AND ledger_seq = ?`,
    );
  }

  current(id: string): CurrentVersion | undefined {
    // the join reads entries (and rows) this transaction may still hold in its buffers
    this.#batch?.seal();
    this.#ledger.flush();
    const row = this.#current.get(id) as CurrentVersion | undefined;
    return row && objectHashOf(row);
  }

  /**
   * Writes `values` (first value is the id) as the new current version. `fresh` skips the lookup when the
   * caller knows no version exists (the event was inserted in this same transaction).
   */
  put(values: readonly unknown[], objectHash: string, mode: StoreMode, fresh = false): 'put' | 'revise' | 'replace' | 'same' {
    if (fresh && this.#batch && this.#insertBatched) {
      this.#batch.add(this.table as BatchedVerdictTable, this.#insertBatched, values, objectHash);
      return 'put';
    }
    const id = values[0] as string;
    const cur = fresh ? undefined : this.current(id);
    if (cur && cur.tombstone === 0 && cur.object_hash === objectHash) return 'same';
    let op: 'put' | 'revise' | 'replace' = 'put';
    if (cur) {
      if (mode === 'mutable') {
        this.#deleteAll.run(id);
        op = 'replace';
      } else {
        op = 'revise';
      }
    }
    const seq = this.#ledger.append(`${op}:${this.table}`, objectHash);
    this.#insert.run(...values, seq);
    return op;
  }

  /** Removes the current version of `id` (a known live version, from `current` or a set query). */
  remove(cur: CurrentVersion, mode: StoreMode): void {
    const hash = cur.object_hash ?? '0'.repeat(64);
    if (mode === 'mutable') {
      this.#deleteAll.run(cur.id);
      this.#ledger.append(`delete:${this.table}`, hash);
      return;
    }
    const seq = this.#ledger.append(`tombstone:${this.table}`, hash);
    this.#tombstone.run(seq, cur.id, cur.ledger_seq);
  }
}
