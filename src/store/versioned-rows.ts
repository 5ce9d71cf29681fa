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
import { VERSIONED_KEYS, type VersionedTable } from './row-objects.js';
import type { StoreMode } from './store-mode.js';

export interface CurrentVersion {
  id: string;
  ledger_seq: number;
  object_hash: string | null;
  tombstone: number;
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

  /** `columns` in the order `insert` values come, without ledger_seq and tombstone. */
  constructor(db: Db, ledger: LedgerWriter, table: VersionedTable, columns: readonly string[]) {
    this.table = table;
    this.#key = VERSIONED_KEYS[table];
    this.#ledger = ledger;
    const cols = columns.join(', ');
    this.#insert = db.prepare(
      `INSERT INTO ${table} (${cols}, ledger_seq, tombstone) VALUES (${columns.map(() => '?').join(',')}, ?, 0)`,
    );
    this.#current = db.prepare(
      `SELECT t.${this.#key} AS id, t.ledger_seq AS ledger_seq, t.tombstone AS tombstone, l.object_hash AS object_hash
       FROM ${table} t LEFT JOIN ledger l ON l.seq = t.ledger_seq
       WHERE t.${this.#key} = ? ORDER BY t.ledger_seq DESC LIMIT 1`,
    );
    this.#deleteAll = db.prepare(`DELETE FROM ${table} WHERE ${this.#key} = ?`);
    this.#tombstone = db.prepare(
      `INSERT INTO ${table} (${cols}, ledger_seq, tombstone) SELECT ${cols}, ?, 1 FROM ${table} WHERE ${this.#key} = ? AND ledger_seq = ?`,
    );
  }

  current(id: string): CurrentVersion | undefined {
    this.#ledger.flush(); // the join reads entries this transaction may still hold in its buffer
    return this.#current.get(id) as CurrentVersion | undefined;
  }

  /**
   * Writes `values` (first value is the id) as the new current version. `fresh` skips the lookup when the
   * caller knows no version exists (the event was inserted in this same transaction).
   */
  put(values: readonly unknown[], objectHash: string, mode: StoreMode, fresh = false): 'put' | 'revise' | 'replace' | 'same' {
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
