/**
 * @module store/ledger-writer: appends ledger entries inside the store's write transaction and signs the
 * head once per commit (Ed25519 costs ~0.6 ms, so never per row).
 *
 * The head is read from the table when a write transaction begins (the store takes the write lock first),
 * so two processes appending to the same data dir each extend the chain the other left. An entry costs one
 * sha256 of a ~250-byte canonical preimage; rows are inserted ROWS_PER_INSERT at a time at the end of an
 * INTEGER PRIMARY KEY B-tree. Code that reads the ledger inside a write transaction calls `flush()` first.
 */
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import {
  computeEntryHash,
  GENESIS_PREV_HASH,
  signHead,
  type Ed25519KeyPair,
  type LedgerHead,
  type SignedHead,
} from '../ledger/index.js';
import type { Db } from './open-database.js';

const ROWS_PER_INSERT = 50;

export interface LedgerWriterOptions {
  /** Resolved on the first commit that signs, so read-only commands never create a key. */
  key: () => { pair: Ed25519KeyPair; source: string };
  now: () => bigint;
}

export class LedgerWriter {
  readonly #db: Db;
  readonly #opts: LedgerWriterOptions;
  readonly #insert: Database.Statement;
  readonly #insertMany: Database.Statement;
  #pending: unknown[] = [];
  readonly #insertHead: Database.Statement;
  readonly #readHead: Database.Statement;
  #key: { pair: Ed25519KeyPair; source: string } | undefined;
  #active = false;
  #head: LedgerHead | null = null;
  #time = 0n;
  #appended = 0;

  constructor(db: Db, opts: LedgerWriterOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#insert = db.prepare(
      'INSERT INTO ledger (seq, prev_hash, object_hash, kind, time_ns, entry_hash) VALUES (?,?,?,?,?,?)',
    );
    this.#insertMany = db.prepare(
      `INSERT INTO ledger (seq, prev_hash, object_hash, kind, time_ns, entry_hash) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => '(?,?,?,?,?,?)').join(',')}`,
    );
    this.#insertHead = db.prepare(
      'INSERT INTO ledger_heads (seq, entry_hash, key_fingerprint, signature, signed_at_ns) VALUES (?,?,?,?,?)',
    );
    this.#readHead = db.prepare('SELECT seq, entry_hash FROM ledger ORDER BY seq DESC LIMIT 1');
  }

  get active(): boolean {
    return this.#active;
  }

  /** Starts a ledger session; the caller holds the write transaction. */
  begin(): void {
    const row = this.#readHead.get() as { seq: number; entry_hash: string } | undefined;
    this.#head = row ? { seq: row.seq, entry_hash: row.entry_hash } : null;
    this.#time = this.#opts.now();
    this.#appended = 0;
    this.#active = true;
  }

  /** The seq the next append gets (rows store it before their entry is written). */
  get nextSeq(): number {
    return (this.#head?.seq ?? 0) + 1;
  }

  append(kind: string, objectHash: string): number {
    if (!this.#active) throw new StoreError('internal: ledger append outside a write transaction');
    const seq = this.nextSeq;
    const prev_hash = this.#head?.entry_hash ?? GENESIS_PREV_HASH;
    const entry_hash = computeEntryHash({ seq, prev_hash, object_hash: objectHash, kind, time_ns: this.#time });
    this.#pending.push(seq, prev_hash, objectHash, kind, this.#time, entry_hash);
    if (this.#pending.length === ROWS_PER_INSERT * 6) this.flush();
    this.#head = { seq, entry_hash };
    this.#appended++;
    return seq;
  }

  /** Writes the buffered entries (one multi-row INSERT saves a statement call per entry). */
  flush(): void {
    const p = this.#pending;
    if (p.length === 0) return;
    if (p.length === ROWS_PER_INSERT * 6) this.#insertMany.run(...p);
    else for (let i = 0; i < p.length; i += 6) this.#insert.run(p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5]);
    this.#pending = [];
  }

  /** Signs the head if this session appended anything; runs inside the transaction, so both commit together. */
  commit(): SignedHead | null {
    this.flush();
    if (this.#appended === 0 || !this.#head) return null;
    const key = this.#signingKey();
    const signed = signHead(this.#head, key.pair.secretKey, this.#opts.now());
    this.#insertHead.run(signed.seq, signed.entry_hash, signed.key_fingerprint, signed.signature, signed.signed_at_ns);
    return signed;
  }

  end(): void {
    this.#pending = [];
    this.#active = false;
    this.#appended = 0;
  }

  /** The key that signs heads; the first one used is pinned in meta so a store never mixes keys. */
  signingKey(): { pair: Ed25519KeyPair; source: string } {
    return this.#signingKey();
  }

  #signingKey(): { pair: Ed25519KeyPair; source: string } {
    if (this.#key) return this.#key;
    const key = this.#opts.key();
    this.#db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger_key', ?)`).run(key.pair.fingerprint);
    const pinned = (this.#db.prepare(`SELECT value FROM meta WHERE key = 'ledger_key'`).get() as { value: string }).value;
    if (pinned !== key.pair.fingerprint) {
      throw new StoreError(
        `this store's ledger is signed with key ${pinned}, but the signing key (${key.source}) is ${key.pair.fingerprint}: ` +
          'use the key the store was initialised with (see: agentprov keys show)',
      );
    }
    this.#key = key;
    return key;
  }
}
