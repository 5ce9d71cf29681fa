/**
 * @module store/string-ids: the small ids of repeating strings in event rows (type, source, cgroup, ...).
 * Cached per connection: a string's id never changes once committed. The store drops the cache when a
 * transaction fails, since ids handed out inside it were rolled back with it.
 */
import type Database from 'better-sqlite3';
import type { Db } from './open-database.js';

export class StringIds {
  readonly #ids = new Map<string, number>();
  readonly #find: Database.Statement;
  readonly #insert: Database.Statement;

  constructor(db: Db) {
    this.#find = db.prepare('SELECT id FROM strings WHERE value = ?').pluck();
    this.#insert = db.prepare('INSERT INTO strings (value) VALUES (?) RETURNING id').pluck();
  }

  /** The id of `value`, created if new (inside the caller's write transaction). */
  idOf(value: string): number {
    let id = this.#ids.get(value);
    if (id !== undefined) return id;
    id = (this.#find.get(value) as number | undefined) ?? (this.#insert.get(value) as number);
    this.#ids.set(value, id);
    return id;
  }

  idOrNull(value: string | null | undefined): number | null {
    return value === null || value === undefined ? null : this.idOf(value);
  }

  /** The id of `value` if it was ever stored (reads never create one). */
  existingId(value: string): number | undefined {
    const id = this.#ids.get(value) ?? (this.#find.get(value) as number | undefined);
    if (id !== undefined) this.#ids.set(value, id);
    return id;
  }

  clear(): void {
    this.#ids.clear();
  }
}
