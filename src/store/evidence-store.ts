/**
 * @module store/evidence-store: the SQLite evidence store: batched writes, one transaction per batch, events
 * in ledgered blocks (store/event-blocks), a ledger entry per other write in that same transaction, and one
 * signed head per commit.
 */
import type Database from 'better-sqlite3';
import type {
  Correlation,
  DagEdge,
  DagNode,
  IngestManifest,
  PolicyDecision,
  ResponseAction,
  RiskSignal,
  RuntimeEvent,
  ToolCallScope,
} from '../model/index.js';
import { wallClockNs } from '../clock.js';
import type { Ed25519KeyPair, SignedAnchor } from '../ledger/index.js';
import type { EventVerdict, EvidenceSink, RunEvidence, RunFrame } from '../engine/index.js';
import { openDatabase, type Db } from './open-database.js';
import { writeTransaction } from './store-lock.js';
import { encodeBody, encodeEvent } from './codec.js';
import { EventBlockWriter } from './event-blocks.js';
import { CorrelationLog } from './correlation-log.js';
import { StringIds } from './string-ids.js';
import { eventsOfRows, findEventRow, ROW_COLS, RUN_KINDS, selectRows } from './event-rows.js';
import { migrateEventLayout } from './event-layout-migration.js';
import * as q from './queries.js';
import { LedgerWriter } from './ledger-writer.js';
import { resolveSigningKey } from './ledger-key.js';
import { ensureSealedTriggers, hasSealedTriggers, readMode, writeMode, type StoreMode } from './store-mode.js';
import { VersionedRows } from './versioned-rows.js';
import { VerdictWriter, verdictOfRows } from './verdict-writer.js';
import { RunGraphWriter } from './run-graph-writer.js';
import { batchRowHash, bodyHash, policyHash } from './row-objects.js';
import { writeAnchor, writeRedaction, type Redaction, type RedactTarget } from './ledger-records.js';
import { sha256Hex } from '../graph/index.js';
import { ResponseStore } from './response-store.js';
import { StoreQueries } from './store-queries.js';
import { writeRecordEnd, type RecordEnd } from './record-queries.js';

type Stmt = Database.Statement;

export interface EvidenceStoreOptions {
  /** Queries read an existing store and never create an empty one. */
  mustExist?: boolean;
  /** Where AGENTPROV_LEDGER_KEY / AGENTPROV_LEDGER_KEY_FILE are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A secret key file that signs the ledger instead of the data dir's own key. */
  keyFile?: string;
  /** Wall clock in ns (ledger entry times and head signatures). */
  now?: () => bigint;
}

export class EvidenceStore implements EvidenceSink {
  /** For src/store/ and tests only: test/unit/store-boundary.test.ts keeps it out of the rest of src/. */
  readonly db: Db;
  readonly dataDir: string;
  readonly ledger: LedgerWriter;
  /** The read side: named queries over this store's connection. */
  readonly query: StoreQueries;
  #mode: StoreMode;
  #strings: StringIds;
  #blocks: EventBlockWriter;
  #correlations: CorrelationLog;
  #setKind: Stmt;
  #countRunEvents: Stmt;
  #insertBatch: Stmt;
  #insertPolicy: Stmt;
  #scopes: VersionedRows;
  #verdicts: VerdictWriter;
  #graphs: RunGraphWriter;
  #writeBarrier: (() => void) | null = null;

  constructor(dataDir: string, opts: EvidenceStoreOptions = {}) {
    this.dataDir = dataDir;
    this.db = openDatabase(dataDir, opts);
    const db = this.db;
    this.#mode = readMode(db);
    this.ledger = new LedgerWriter(db, {
      key: () => resolveSigningKey({ dataDir, ...(opts.env ? { env: opts.env } : {}), ...(opts.keyFile ? { keyFile: opts.keyFile } : {}) }),
      now: opts.now ?? wallClockNs,
    });
    this.#strings = new StringIds(db);
    this.#blocks = new EventBlockWriter(db, this.ledger, this.#strings);
    this.#correlations = new CorrelationLog(db, this.ledger);
    this.#setKind = db.prepare('UPDATE event_rows SET kind = ? WHERE key = ?');
    this.#countRunEvents = db.prepare(`SELECT COUNT(*) FROM event_rows e WHERE e.kind IN (${RUN_KINDS()})`).pluck();
    this.#insertBatch = db.prepare(
      `INSERT OR IGNORE INTO ingest_batches (batch_id, source_file, format, input_sha256, lines, accepted,
         duplicates, rejected, rejected_lines, started_at, finished_at, ledger_seq, complete, started_seq)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    );
    this.#insertPolicy = db.prepare(
      'INSERT OR IGNORE INTO policies (policy_hash, name, files, loaded_at, ledger_seq) VALUES (?,?,?,?,?)',
    );
    const L = this.ledger;
    this.#scopes = new VersionedRows(db, L, 'scopes', [
      'binding_id', 'run_id', 'session_id', 'attempt_id', 'tool_call_id', 'tool_name', 'started_at_ns', 'ended_at_ns', 'body',
    ]);
    this.#verdicts = new VerdictWriter(db, L);
    this.#graphs = new RunGraphWriter(db, L);
    this.query = new StoreQueries(db);
    // checked first without the write lock: only a store sealed before 007 needs the new triggers, once
    if (this.#mode === 'sealed' && !opts.mustExist && !hasSealedTriggers(db)) writeTransaction(db, () => ensureSealedTriggers(db));
    migrateEventLayout(this);
  }

  /** Responses, containment, gate records and approvals on this connection, written through this store's ledger. */
  responses(): ResponseStore {
    return new ResponseStore(this.db, (kind, hash) => this.appendLedger(kind, hash));
  }

  /** Runs `fn` (reads through `query`) in one read transaction, so everything it reads is one snapshot. */
  readSnapshot<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Stores a closed tool call's record (capture, orphans, file changes, snapshots) in one ledgered transaction. */
  putRecordEnd(end: RecordEnd): void {
    this.transaction(() => writeRecordEnd(this.db, end, (kind, hash) => this.ledger.append(kind, hash)));
  }

  /**
   * Runs before each write transaction this connection opens (not inside one: it must not wait on another
   * writer while holding the lock). The storage thread sets it to its flush, so a write of this thread
   * (a bind, a response follow-up, a graph) lands after every event judged before it.
   */
  setWriteBarrier(barrier: (() => void) | null): void {
    this.#writeBarrier = barrier;
  }

  get mode(): StoreMode {
    return this.#mode;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * One write transaction (BEGIN IMMEDIATE: the ledger head is read under the write lock) whose ledger
   * entries are signed once, inside it, just before it commits. Nested calls join the outer one.
   */
  transaction<T>(fn: () => T): T {
    if (this.ledger.active) return fn();
    const session = (): T => {
      this.ledger.begin();
      try {
        const result = fn();
        // blocks and the correlation batch are written last: their entries are the session's last appends
        this.#verdicts.seal();
        this.#blocks.seal();
        this.#correlations.seal();
        this.ledger.commit();
        return result;
      } finally {
        this.ledger.end();
        this.#verdicts.reset();
        this.#blocks.reset();
        this.#correlations.reset();
      }
    };
    try {
      // Inside a transaction someone else opened on this connection: sign within it, it commits for us.
      if (this.db.inTransaction) return session();
      this.#writeBarrier?.();
      return writeTransaction(this.db, session);
    } catch (err) {
      // ids handed out inside a failed transaction were rolled back with it
      this.#strings.clear();
      this.#correlations.clear();
      throw err;
    }
  }

  /** Sets the storage mode (`agentprov init --mode`); ledgered. Returns false if it was already set. */
  setMode(mode: StoreMode): boolean {
    return this.transaction(() => {
      const changed = writeMode(this.db, mode);
      if (changed) this.ledger.append(`mode:${mode}`, sha256Hex(`{"mode":${JSON.stringify(mode)}}`));
      this.#mode = mode;
      return changed;
    });
  }

  /**
   * Queues events that are not stored yet (ids are content addresses) into this transaction's blocks;
   * returns the ones that were new. Blocks and rows are written when the transaction ends.
   */
  insertEvents(events: RuntimeEvent[], batchId: string | null): RuntimeEvent[] {
    const added = this.insertEncoded(events.map((event) => ({ event, body: encodeEvent(event) })), batchId);
    return events.filter((_, i) => added[i]);
  }

  /**
   * insertEvents for events already encoded (the storage thread gets bodies, not objects): `event` needs only
   * its id and row columns. Returns which were new.
   */
  insertEncoded(items: readonly { event: RuntimeEvent; body: string | Uint8Array }[], batchId: string | null): boolean[] {
    return this.transaction(() => this.#blocks.addMany(items, batchId));
  }

  /**
   * Sets each event's correlation (a shared kind; one ledgered batch of pairs per transaction) and writes
   * its decision, risks and planned responses (new versions where changed).
   */
  putVerdicts(verdicts: EventVerdict[]): void {
    this.transaction(() => {
      for (const v of verdicts) this.#verdicts.put(v, this.#mode, this.#setCorrelation(v.correlation));
      // one entry for the new rows of this batch (store/verdict-batch), written before anyone reads them
      this.#verdicts.seal();
    });
  }

  /**
   * putVerdicts for verdicts whose rows were encoded by the judging thread (verdict-writer verdictRows):
   * the storage thread's path. A row set of an event that is not new here is decoded and goes the
   * re-evaluation way (it replaces what the event had).
   */
  putVerdictRows(verdicts: readonly { correlation: Correlation; rows: unknown[] | null }[]): void {
    this.transaction(() => {
      for (const v of verdicts) {
        const fresh = this.#setCorrelation(v.correlation);
        if (fresh) {
          if (v.rows) this.#verdicts.putFreshRows(v.rows, this.#mode);
        } else {
          // no rows is a verdict too: a re-evaluation that no longer decides retires what the event had
          this.#verdicts.put(verdictOfRows(v.correlation.event_id, v.correlation, v.rows ?? []), this.#mode, false);
        }
      }
      this.#verdicts.seal();
    });
  }

  /** Sets an event's current correlation; true when the event is new in this transaction and had no verdict yet. */
  #setCorrelation(c: Correlation): boolean {
    const kind = this.#correlations.kindId(c);
    const queued = this.#blocks.setQueuedKind(c.event_id, kind);
    let changedKey: bigint | undefined = queued?.changed ? queued.key : undefined;
    if (!queued) {
      const row = findEventRow(this.db, c.event_id);
      if (row && row.kind !== kind) this.#setKind.run(kind, (changedKey = row.key));
    }
    if (changedKey !== undefined) this.#correlations.set(changedKey, kind);
    return queued?.first ?? false;
  }

  /**
   * For the layout migration (store/event-layout-migration): old rows' events, their stored bodies kept byte
   * for byte. Returns how many were not copied before.
   */
  copyLegacyEvents(items: readonly { event: RuntimeEvent; body: string; batchId: string | null }[]): number {
    return this.transaction(() => {
      let copied = 0;
      // addMany takes one batch id: consecutive rows of the same batch go in together
      for (let i = 0; i < items.length; ) {
        let j = i + 1;
        while (j < items.length && items[j]!.batchId === items[i]!.batchId) j++;
        copied += this.#blocks.addMany(items.slice(i, j), items[i]!.batchId).filter(Boolean).length;
        i = j;
      }
      return copied;
    });
  }

  /** For the layout migration: correlations without verdicts. */
  setCorrelations(correlations: readonly Correlation[]): void {
    this.transaction(() => {
      for (const c of correlations) this.#setCorrelation(c);
    });
  }

  putDecision(d: PolicyDecision, runId: string | null): void {
    this.transaction(() => this.#verdicts.putDecision(d, runId, this.#mode));
  }

  putRisk(r: RiskSignal): void {
    this.transaction(() => this.#verdicts.putRisk(r, this.#mode));
  }

  putResponse(r: ResponseAction): void {
    this.transaction(() => this.#verdicts.putResponse(r, this.#mode));
  }

  putScope(s: ToolCallScope & { binding_id: string }): void {
    this.transaction(() => {
      const body = encodeBody(s);
      const values = [
        s.binding_id, s.run_id, s.session_id, s.attempt_id, s.tool_call_id, s.tool_name ?? null, s.started_at_ns,
        s.ended_at_ns ?? null, body,
      ];
      this.#scopes.put(values, bodyHash(body), this.#mode);
    });
  }

  /**
   * Opens a batch: its manifest row, `complete = 0`, written in the caller's transaction (the one that stores
   * the batch's first events), so a batch is never stored without a manifest saying how far it got.
   */
  openBatch(m: IngestManifest): void {
    this.transaction(() => {
      const seq = this.ledger.nextSeq;
      const info = this.#insertBatch.run(
        m.batch_id, m.source_file, m.format, m.input_sha256, m.lines, m.accepted, m.duplicates, m.rejected,
        JSON.stringify(m.rejected_lines), m.started_at, m.finished_at, seq, 0, seq,
      );
      if (info.changes > 0) this.ledger.append('put:ingest_batches', batchRowHash(m, false, seq));
    });
  }

  /** The newest incomplete batch of this input (a killed ingest), which a re-run completes. */
  findIncompleteBatch(inputSha256: string, format: string): { batch_id: string; started_at: string } | null {
    const row = this.db
      .prepare(
        `SELECT batch_id, started_at FROM ingest_batches WHERE complete = 0 AND input_sha256 = ? AND format = ?
         ORDER BY started_seq DESC LIMIT 1`,
      )
      .get(inputSha256, format) as { batch_id: string; started_at: string } | undefined;
    return row ?? null;
  }

  /**
   * Writes the complete manifest: completes the batch's open row (a new ledger entry; the row moves to it),
   * or inserts the row whole when the batch stored no events. A complete batch is written once.
   */
  putManifest(m: IngestManifest): void {
    this.transaction(() => {
      const seq = this.ledger.nextSeq;
      const open = this.db
        .prepare('SELECT started_seq, source_file, format, started_at FROM ingest_batches WHERE batch_id = ? AND complete = 0')
        .get(m.batch_id) as { started_seq: number; source_file: string; format: string; started_at: string } | undefined;
      if (open) {
        // A re-run may name the same input by another path: the row keeps what opened it.
        const whole = { ...m, source_file: open.source_file, format: open.format, started_at: open.started_at };
        this.db
          .prepare(
            `UPDATE ingest_batches SET input_sha256 = ?, lines = ?, accepted = ?, duplicates = ?, rejected = ?,
               rejected_lines = ?, finished_at = ?, ledger_seq = ?, complete = 1 WHERE batch_id = ? AND complete = 0`,
          )
          .run(m.input_sha256, m.lines, m.accepted, m.duplicates, m.rejected, JSON.stringify(m.rejected_lines), m.finished_at, seq, m.batch_id);
        this.ledger.append('revise:ingest_batches', batchRowHash(whole, true, open.started_seq));
        return;
      }
      const info = this.#insertBatch.run(
        m.batch_id, m.source_file, m.format, m.input_sha256, m.lines, m.accepted, m.duplicates, m.rejected,
        JSON.stringify(m.rejected_lines), m.started_at, m.finished_at, seq, 1, seq,
      );
      if (info.changes > 0) this.ledger.append('put:ingest_batches', batchRowHash(m, true, seq));
    });
  }

  putPolicy(p: { policy_hash: string; name: string; files: { file: string; sha256: string }[] }, now: string): void {
    this.transaction(() => {
      const seq = this.ledger.nextSeq;
      const info = this.#insertPolicy.run(p.policy_hash, p.name, JSON.stringify(p.files), now, seq);
      if (info.changes > 0) this.ledger.append('put:policies', policyHash({ ...p, loaded_at: now }));
    });
  }

  /** Stores a new derivation of a run's DAG (the DAG is re-derived as evidence grows); see RunGraphWriter. */
  replaceRunGraph(runId: string, nodes: DagNode[], edges: DagEdge[]): void {
    this.transaction(() => this.#graphs.write(runId, nodes, edges, this.#mode));
  }

  /** Soft forget: queries hide the event's content from now on; the row and the chain stay intact. */
  redact(target: RedactTarget, reason: string): Redaction {
    return this.transaction(() => writeRedaction(this.db, this.ledger, target, reason));
  }

  /** Records an anchor that was written or POSTed, so `ledger verify` re-checks it. */
  recordAnchor(anchor: SignedAnchor, target: string): number {
    return this.transaction(() => writeAnchor(this.db, this.ledger, anchor, target));
  }

  /**
   * For writers of other tables (migrations 003+): records `objectHash` under `kind` (e.g.
   * `put:approvals`) in the current transaction. Call it inside `store.transaction`.
   */
  appendLedger(kind: string, objectHash: string): number {
    return this.transaction(() => this.ledger.append(kind, objectHash));
  }

  /** The key that signs this store's heads (resolved, and generated for the data dir, on first use). */
  signingKey(): { pair: Ed25519KeyPair; source: string } {
    return this.ledger.signingKey();
  }

  loadScopes(): ToolCallScope[] {
    return q.listScopes(this.db);
  }

  /** Rows are read whole first: the engine writes verdicts while it walks the window. */
  *loadEventsInWindow(fromNs: bigint, toNs: bigint | null): Generator<RuntimeEvent> {
    const where = toNs === null ? 'e.time_ns >= ?' : 'e.time_ns >= ? AND e.time_ns <= ?';
    const rows = selectRows(this.db, `SELECT ${ROW_COLS} FROM event_rows e WHERE ${where} ORDER BY e.time_ns, e.key`, ...(toNs === null ? [fromNs] : [fromNs, toNs]));
    yield* eventsOfRows(this.db, rows);
  }

  /** The engine re-derives from the stored content itself, redacted or not (redaction hides, never rewrites). */
  loadRunEvidence(runId: string): RunEvidence {
    return { ...this.loadRunFrame(runId), ...q.eventsAndCorrelationsOfRun(this.db, runId) };
  }

  loadRunFrame(runId: string): RunFrame {
    return {
      scopes: q.listScopes(this.db, runId),
      decisions: q.decisionsOfRun(this.db, runId),
      risks: q.risksOfRun(this.db, runId),
      responses: q.responsesOfRun(this.db, runId),
    };
  }

  countRunEvents(runId: string): number {
    return this.#countRunEvents.get(runId) as number;
  }
}
