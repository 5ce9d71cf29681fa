/**
 * @module store/row-seal: ledger entries for rows that change in place (approvals, gate records,
 * containments, agents) and for the record tables.
 *
 * These rows have no body to content-address, and some change after they are written. So every write reads
 * its row back as stored, hashes every column but `ledger_seq` (RFC 8785 JSON; integers as decimal strings,
 * since ns values pass 2^53), appends `put:<table>` with that hash and stores the entry's seq in the row. A
 * verifier recomputes the hash the same way from what it reads: any changed byte of a sealed row differs.
 */
import { canonicalJson, sha256Hex } from '../graph/index.js';
import type { Db } from './open-database.js';

/** Each sealed table and the columns that identify a row. */
export const SEALED_ROW_TABLES = {
  agents: ['agent_id'],
  approvals: ['approval_id'],
  approval_steps: ['approval_id', 'seq'],
  gate_records: ['record_id'],
  containments: ['target_kind', 'target'],
  record_captures: ['binding_id'],
  record_orphans: ['binding_id', 'pid', 'start_ns'],
} as const satisfies Record<string, readonly string[]>;
export type SealedRowTable = keyof typeof SEALED_ROW_TABLES;

/** Appends a ledger entry and returns its seq (inside the caller's write transaction). */
export type LedgerAppend = (kind: string, objectHash: string) => number;

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (Buffer.isBuffer(v)) return { hex: v.toString('hex') };
  return v;
}

/** The object hash of a sealed row as read from SQLite (with or without safe integers: both hash alike). */
export function sealedRowHash(table: SealedRowTable, row: Record<string, unknown>): string {
  const columns: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k !== 'ledger_seq' && !k.startsWith('_')) columns[k] = jsonValue(v);
  return sha256Hex(canonicalJson({ v: 'agentprov.row/v1', table, columns }));
}

/** The row's identity for messages: its key columns joined by '/'. */
export function sealedRowKey(table: SealedRowTable, row: Record<string, unknown>): string {
  return SEALED_ROW_TABLES[table].map((c) => String(row[c])).join('/');
}

/**
 * Seals the row of `table` with key `key` as it is now stored. Call inside the write transaction that wrote
 * it, after the write. Returns the entry's seq, or null when no such row is stored.
 */
export function sealRow(db: Db, append: LedgerAppend, table: SealedRowTable, key: readonly unknown[]): number | null {
  return sealWhere(db, append, table, SEALED_ROW_TABLES[table].map((c) => `${c} = ?`).join(' AND '), key);
}

/** Seals the row a statement just inserted, found by its rowid (for keys SQL computes, like a step's seq). */
export function sealInsertedRow(db: Db, append: LedgerAppend, table: SealedRowTable, rowid: number | bigint): number | null {
  return sealWhere(db, append, table, 'rowid = ?', [rowid]);
}

function sealWhere(db: Db, append: LedgerAppend, table: SealedRowTable, where: string, args: readonly unknown[]): number | null {
  const row = db.prepare(`SELECT * FROM ${table} WHERE ${where}`).safeIntegers(true).get(...args) as Record<string, unknown> | undefined;
  if (!row) return null;
  const seq = append(`put:${table}`, sealedRowHash(table, row));
  db.prepare(`UPDATE ${table} SET ledger_seq = ? WHERE ${where}`).run(seq, ...args);
  return seq;
}
