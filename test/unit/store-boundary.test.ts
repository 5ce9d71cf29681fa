/**
 * Issue 12 point 6: the store behind its own interface. Nothing outside src/store/ holds the raw database
 * handle (`store.db`, `responses.db`, a `Db` type, `.db.prepare`); it asks named queries of `store.query`,
 * writes through store methods, and the store writes the ledger itself.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SRC = resolve('src');
const STORE = join(SRC, 'store');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

// `store.db`, `session.store.db`, `this.#session.store.db`, `r.db`, `x.db.prepare(...)`, `import { type Db }`.
const RAW_HANDLE = [/\.db\b(?!\w)/, /\bDb\b/, /\bopenDatabase\b/];

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

describe('store boundary', () => {
  it('no module outside src/store/ touches the raw database handle', () => {
    const outside = files(SRC).filter((f) => !f.startsWith(STORE + '/'));
    expect(outside.length).toBeGreaterThan(50);
    const uses: string[] = [];
    for (const f of outside) {
      const lines = stripComments(readFileSync(f, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        // string literals such as '/evidence.db' are file names, not the handle
        const code = line.replace(/'[^']*'|"[^"]*"|`[^`]*`/g, "''");
        if (RAW_HANDLE.some((re) => re.test(code))) uses.push(`${relative(SRC, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(uses).toEqual([]);
  });
});
