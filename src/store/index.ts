/** @module store: the SQLite evidence store (better-sqlite3, WAL, versioned migrations). */
export { EvidenceStore, type EvidenceStoreOptions } from './evidence-store.js';
export { StoreQueries } from './store-queries.js';
export { openDatabase, resolveDataDir, DB_FILE, type Db } from './open-database.js';
export * from './store-lock.js';
export * from './queries.js';
export * from './telemetry-gaps.js';
export { encodeBody, decodeEvent, decodeScope } from './codec.js';
export * from './record-queries.js';
export * from './response-store.js';
export * from './ledger-key.js';
export * from './redaction-key.js';
export * from './ledger-records.js';
export { LedgerWriter } from './ledger-writer.js';
export { STORE_MODES, SEALED_TABLES, isStoreMode, readMode, type StoreMode } from './store-mode.js';
export * from './row-objects.js';
export * from './row-seal.js';
export { eventLeaf, blockRoot, BLOCK_EVENTS } from './event-blocks.js';
export { currentRowSql } from './versioned-rows.js';
