/** @module store: the SQLite evidence store (better-sqlite3, WAL, versioned migrations). */
export { EvidenceStore } from './evidence-store.js';
export { openDatabase, resolveDataDir, DB_FILE, type Db } from './open-database.js';
export * from './queries.js';
export { encodeBody, decodeEvent, decodeScope } from './codec.js';
