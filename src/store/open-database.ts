/**
 * @module store/open-database: opens the SQLite evidence file (WAL) and applies versioned migrations.
 * Any number of processes may open one data dir at once (see store-lock): migrations run under the write
 * lock and re-read the schema version inside it, so the second opener finds the work done.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync, accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { PermissionError, StoreError } from '../errors.js';
import { assetPath } from '../assets.js';
import { busyTimeoutMs, isBusyError, storeLockedError, writeTransaction } from './store-lock.js';

export type Db = Database.Database;

export const DB_FILE = 'evidence.db';

/** `--data-dir`, else AGENTPROV_DATA_DIR, else ./.agentprov. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.AGENTPROV_DATA_DIR ?? '.agentprov');
}

interface Migration {
  version: number;
  name: string;
  sql: string;
}

function loadMigrations(): Migration[] {
  const dir = assetPath('src', 'store', 'migrations');
  return readdirSync(dir)
    .filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: readFileSync(join(dir, f), 'utf8') }));
}

function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than the file's user_version in one IMMEDIATE transaction. The version is
 * read again under the lock: an opener that raced another one on a new data dir applies nothing twice.
 */
function migrate(db: Db): void {
  const migrations = loadMigrations();
  const newest = migrations.at(-1)?.version ?? 0;
  const check = (current: number): void => {
    if (current > newest) {
      throw new StoreError(
        `evidence store is at schema version ${current}, newer than this agentprov knows (${newest}): upgrade agentprov`,
      );
    }
  };
  const seen = schemaVersion(db);
  check(seen);
  if (seen === newest) return; // the common case takes no write lock
  writeTransaction(db, () => {
    const current = schemaVersion(db);
    check(current);
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  });
}

/** `mustExist` is for queries: they read an existing store and never create an empty one. */
export function openDatabase(dataDir: string, opts: { mustExist?: boolean; env?: NodeJS.ProcessEnv } = {}): Db {
  const timeout = busyTimeoutMs(opts.env);
  const file = join(dataDir, DB_FILE);
  try {
    if (opts.mustExist) accessSync(join(dataDir, DB_FILE), constants.R_OK);
    else mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.R_OK | constants.W_OK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PermissionError(`cannot use data dir ${dataDir}: permission denied (choose one with --data-dir)`, {
        cause,
      });
    }
    if (code === 'ENOENT') throw new StoreError(`no evidence store at ${dataDir}: nothing has been recorded there yet`);
    throw new StoreError(`cannot use data dir ${dataDir}: ${(cause as Error).message}`, { cause });
  }
  let db: Db;
  try {
    // The timeout is set before the first statement: even switching a new file to WAL may wait for a lock.
    db = new Database(file, { fileMustExist: opts.mustExist ?? false, timeout });
  } catch (cause) {
    throw new StoreError(`cannot open evidence store ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Ids are sha256 hex, so inserts land at random B-tree positions: a page cache far above SQLite's
    // 2 MiB default keeps a million-event ingest from thrashing (measured: 5k -> see make bench).
    db.pragma('cache_size = -262144');
    db.pragma('temp_store = MEMORY');
    migrate(db);
  } catch (cause) {
    const locked = isBusyError(cause) ? storeLockedError(db, cause) : null;
    db.close();
    if (locked) throw locked;
    if (cause instanceof StoreError) throw cause;
    throw new StoreError(`evidence store ${file} is not usable: ${(cause as Error).message}`, { cause });
  }
  return db;
}
