/**
 * @module store/verdict-batch: one ledger entry per verdict batch (migration 008; issue 12, point 2).
 *
 * The decision, risks and planned responses of a new event have no earlier version to look up or retire,
 * and an ingest of alerts brings one of each per event: an entry per row would double the ledger. So these
 * rows are buffered while a batch of verdicts is written, then inserted under a single `put:verdict_batches`
 * entry whose object hash is the RFC 9162 root over one leaf per row. The leaves are kept (verdict_batches),
 * so each row is checked against its own leaf and a deleted row is named by the leaf it left behind.
 */
import type Database from 'better-sqlite3';
import { leafHash } from '../ledger/index.js';
import { blockRoot } from './event-blocks.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';

export const VERDICT_BATCH_KIND = 'put:verdict_batches';
/** The tables whose new rows are batched (each has a batch_pos column since 008). */
export const BATCHED_VERDICT_TABLES = ['decisions', 'risks', 'responses'] as const;
export type BatchedVerdictTable = (typeof BATCHED_VERDICT_TABLES)[number];

/** A row's leaf: its table and the object hash a per-row entry would have recorded (its body's sha256). */
export function verdictLeaf(table: string, objectHash: string): Buffer {
  const l = leafHash(`agentprov.verdict/v1\n${table}\n${objectHash}`);
  return Buffer.from(l.buffer, l.byteOffset, l.byteLength);
}

interface BufferedRow {
  /** `table\nid`: the order rows are inserted in. */
  id: string;
  insert: Database.Statement;
  values: readonly unknown[];
  leaf: Buffer;
}

export class VerdictBatch {
  readonly #ledger: LedgerWriter;
  readonly #insertBatch: Database.Statement;
  #rows: BufferedRow[] = [];
  /** table + id of the rows buffered: a second version of one row must not share the batch (same key). */
  readonly #ids = new Set<string>();

  constructor(db: Db, ledger: LedgerWriter) {
    this.#ledger = ledger;
    this.#insertBatch = db.prepare('INSERT INTO verdict_batches (ledger_seq, count, leaves) VALUES (?,?,?)');
  }

  /** Buffers a new row (`values` in the order `insert` takes them, before ledger_seq and batch_pos). */
  add(table: BatchedVerdictTable, insert: Database.Statement, values: readonly unknown[], objectHash: string): void {
    const id = `${table}\n${String(values[0])}`;
    if (this.#ids.has(id)) this.seal();
    this.#ids.add(id);
    this.#rows.push({ id, insert, values, leaf: verdictLeaf(table, objectHash) });
  }

  /** Appends the batch's entry and writes its rows; inside the write transaction, before anything reads them. */
  seal(): void {
    if (this.#rows.length === 0) return;
    // Rows go in by table and id, and their leaves in that same order: ids are hashes, so in arrival order
    // each insert lands on a random page of the primary key; sorted, consecutive inserts share pages
    // (18.8 -> 15.0 us per decision row in isolation, make bench's ingest line).
    this.#rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const leaves = Buffer.concat(this.#rows.map((r) => r.leaf));
    const seq = this.#ledger.append(VERDICT_BATCH_KIND, blockRoot(leaves));
    this.#insertBatch.run(seq, this.#rows.length, leaves);
    this.#rows.forEach((r, pos) => r.insert.run(...r.values, seq, pos));
    this.reset();
  }

  /** Forgets what is buffered (after seal, or when the transaction failed). */
  reset(): void {
    this.#rows = [];
    this.#ids.clear();
  }
}
