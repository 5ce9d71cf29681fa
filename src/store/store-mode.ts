/**
 * @module store/store-mode: the storage mode of a data dir, chosen at `agentprov init`, and the SQLite
 * triggers that make a sealed store append-only.
 *
 * - mutable: a re-evaluation replaces rows (the ledger still records every write and delete).
 * - revisioned: an update adds a new version and keeps the old one as a revision; a delete adds a tombstone.
 * - sealed: revisioned, and triggers refuse UPDATE and DELETE on every protected table, even through a raw
 *   connection. A mode only ever gets stricter: leaving sealed (or revisioned) is refused.
 *
 * Protected in sealed mode: the evidence tables below plus the `mode` row of meta. The ledger's own tables
 * (ledger, ledger_heads, ledger_anchors, redactions) are append-only in every mode (migration 002). Not
 * protected: meta's other rows and the tables of migrations 003/004 (agents, approvals, gate records,
 * containments, record_*), whose rows change state by design.
 */
import { StoreError } from '../errors.js';
import type { Db } from './open-database.js';

export const STORE_MODES = ['mutable', 'revisioned', 'sealed'] as const;
export type StoreMode = (typeof STORE_MODES)[number];

export function isStoreMode(text: string): text is StoreMode {
  return (STORE_MODES as readonly string[]).includes(text);
}

interface ProtectedTable {
  table: string;
  /** Primary key columns: a conflicting INSERT would REPLACE, i.e. delete without a DELETE trigger. */
  key: string[];
  /** ignore: the store inserts with OR IGNORE to dedupe, so a conflict is skipped; abort: never expected. */
  onConflict: 'ignore' | 'abort';
  /** Columns that may still change (an event row's current correlation kind: its history is the batches). */
  mutable?: string[];
  /** Every column, when `mutable` is set (the UPDATE trigger names the others). */
  columns?: string[];
}

export const SEALED_TABLES: readonly ProtectedTable[] = [
  { table: 'events', key: ['event_id'], onConflict: 'ignore' },
  { table: 'ingest_batches', key: ['batch_id'], onConflict: 'ignore' },
  { table: 'policies', key: ['policy_hash'], onConflict: 'ignore' },
  { table: 'dag_nodes', key: ['hash'], onConflict: 'ignore' },
  { table: 'dag_edges', key: ['hash'], onConflict: 'ignore' },
  { table: 'scopes', key: ['binding_id', 'ledger_seq'], onConflict: 'abort' },
  { table: 'correlations', key: ['event_id', 'ledger_seq'], onConflict: 'abort' },
  { table: 'decisions', key: ['decision_id', 'ledger_seq'], onConflict: 'abort' },
  { table: 'risks', key: ['risk_id', 'ledger_seq'], onConflict: 'abort' },
  { table: 'responses', key: ['response_id', 'ledger_seq'], onConflict: 'abort' },
  { table: 'run_graphs', key: ['run_id', 'ledger_seq'], onConflict: 'abort' },
  { table: 'event_blocks', key: ['block_id'], onConflict: 'abort' },
  { table: 'strings', key: ['id'], onConflict: 'abort' },
  { table: 'correlation_kinds', key: ['id'], onConflict: 'abort' },
  { table: 'correlation_batches', key: ['ledger_seq'], onConflict: 'abort' },
  { table: 'verdict_batches', key: ['ledger_seq'], onConflict: 'abort' },
  {
    table: 'event_rows',
    key: ['key'],
    onConflict: 'abort',
    mutable: ['kind'],
    columns: ['key', 'id_tail', 'time_ns', 'type', 'source', 'pid', 'process_start_ns', 'cgroup', 'container', 'batch', 'block_id', 'pos', 'kind'],
  },
];

const RANK: Record<StoreMode, number> = { mutable: 0, revisioned: 1, sealed: 2 };

/** The mode stored in meta; a store that never ran `init` is mutable. */
export function readMode(db: Db): StoreMode {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'mode'`).get() as { value: string } | undefined;
  if (!row) return 'mutable';
  if (!isStoreMode(row.value)) throw new StoreError(`evidence store has an unknown mode "${row.value}" in meta`);
  return row.value;
}

function sealedTriggerSql(): string {
  const out: string[] = [];
  for (const t of SEALED_TABLES) {
    const refuse = (op: string) => `SELECT RAISE(ABORT, 'agentprov: sealed store: ${op} on ${t.table} refused')`;
    const of = t.mutable ? ` OF ${(t.columns ?? []).filter((c) => !t.mutable!.includes(c)).join(', ')}` : '';
    out.push(`CREATE TRIGGER IF NOT EXISTS sealed_${t.table}_no_update BEFORE UPDATE${of} ON ${t.table} BEGIN ${refuse('UPDATE')}; END;`);
    out.push(`CREATE TRIGGER IF NOT EXISTS sealed_${t.table}_no_delete BEFORE DELETE ON ${t.table} BEGIN ${refuse('DELETE')}; END;`);
    const match = t.key.map((k) => `${k} = NEW.${k}`).join(' AND ');
    const action = t.onConflict === 'ignore' ? 'SELECT RAISE(IGNORE)' : refuse('REPLACE');
    out.push(
      `CREATE TRIGGER IF NOT EXISTS sealed_${t.table}_no_replace BEFORE INSERT ON ${t.table} ` +
        `WHEN EXISTS (SELECT 1 FROM ${t.table} WHERE ${match}) BEGIN ${action}; END;`,
    );
  }
  const refuseMode = `SELECT RAISE(ABORT, 'agentprov: sealed store: the mode of a sealed store cannot be changed')`;
  out.push(`CREATE TRIGGER IF NOT EXISTS sealed_mode_no_update BEFORE UPDATE ON meta WHEN OLD.key = 'mode' BEGIN ${refuseMode}; END;`);
  out.push(`CREATE TRIGGER IF NOT EXISTS sealed_mode_no_delete BEFORE DELETE ON meta WHEN OLD.key = 'mode' BEGIN ${refuseMode}; END;`);
  out.push(`CREATE TRIGGER IF NOT EXISTS sealed_mode_no_replace BEFORE INSERT ON meta WHEN NEW.key = 'mode' BEGIN ${refuseMode}; END;`);
  return out.join('\n');
}

/**
 * Whether a sealed store has the triggers of every protected table (one sealed before 007 or 008 lacks
 * some): the check names the trigger of the table added last.
 */
export function hasSealedTriggers(db: Db): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'sealed_verdict_batches_no_update'`).get() !== undefined;
}

/** A sealed store created before a migration added tables gets their triggers when it is next opened. */
export function ensureSealedTriggers(db: Db): void {
  if (!hasSealedTriggers(db)) db.exec(sealedTriggerSql());
}

/**
 * Records a mode (the caller holds the write transaction and ledgers the change). Returns false when the
 * store already has it. Leaving sealed, or going from revisioned back to mutable, is refused: old versions
 * would silently lose their guarantee.
 */
export function writeMode(db: Db, mode: StoreMode): boolean {
  const current = readMode(db);
  const explicit = db.prepare(`SELECT 1 FROM meta WHERE key = 'mode'`).get() !== undefined;
  if (current === mode && explicit) return false;
  if (RANK[mode] < RANK[current]) {
    throw new StoreError(
      `the store is ${current}; going back to ${mode} is refused (a mode only gets stricter: mutable -> revisioned -> sealed)`,
    );
  }
  if (explicit) db.prepare(`UPDATE meta SET value = ? WHERE key = 'mode'`).run(mode);
  else db.prepare(`INSERT INTO meta (key, value) VALUES ('mode', ?)`).run(mode);
  if (mode === 'sealed') db.exec(sealedTriggerSql());
  return true;
}
