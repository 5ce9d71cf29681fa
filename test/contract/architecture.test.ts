/**
 * The import rules of STYLE.md section 2, checked the way zod checks for circular imports: parse every
 * import under src/, map it to a module, compare with the allow list.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');
const CORE = ['errors', 'model', 'correlate', 'graph', 'policy', 'ledger', 'engine'];
const EDGES = ['sensor', 'ingest', 'store', 'host', 'respond'];

/** module -> modules it may import (besides itself). `*` = anything. */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  model: ['errors'],
  graph: ['model', 'errors'],
  correlate: ['model', 'errors'],
  // policy hashes its normalized rules with graph's canonical JSON: the one content-address primitive.
  policy: ['model', 'errors', 'graph'],
  ledger: ['model', 'errors', 'graph'],
  engine: ['model', 'errors', 'graph', 'correlate', 'policy', 'ledger'],
  assets: [],
  // the one wall clock evidence is stamped with: an edge reads it; the core is handed a clock
  clock: [],
  sensor: [...CORE, 'host', 'assets', 'clock'],
  ingest: [...CORE],
  store: [...CORE, 'assets', 'clock'],
  host: ['model', 'errors'],
  respond: [...CORE, 'host', 'sensor', 'clock'],
  service: ['*'],
  record: ['*'],
  sdk: ['*'],
  daemon: ['*'],
  cli: ['*'],
  bin: ['cli', 'sensor', 'service', 'errors'],
};
const CORE_FORBIDDEN = ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net', 'better-sqlite3', 'dockerode'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function moduleOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? rel[0]!.replace(/\.ts$/, '') : rel[0]!;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('architecture', () => {
  const all = files(SRC);

  it('every module imports only what STYLE.md allows', () => {
    const violations: string[] = [];
    for (const f of all) {
      const mod = moduleOf(f);
      const allowed = ALLOWED[mod];
      if (!allowed) {
        violations.push(`${relative(SRC, f)}: module "${mod}" is not in the allow list`);
        continue;
      }
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.')) {
          const target = moduleOf(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
          if (target !== mod && !allowed.includes('*') && !allowed.includes(target)) {
            violations.push(`${relative(SRC, f)} imports ${target} (${spec})`);
          }
          if (target === 'cli' && mod !== 'cli' && mod !== 'bin') violations.push(`${relative(SRC, f)} imports cli/`);
        } else if (CORE.includes(mod) && CORE_FORBIDDEN.includes(spec)) {
          violations.push(`${relative(SRC, f)} (core) imports ${spec}`);
        }
      }
      if (CORE.includes(mod) && /process\.env|Date\.now\(\)/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
        violations.push(`${relative(SRC, f)} (core) reads process.env or Date.now()`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('edges do not import each other except respond -> host, sensor and sensor -> host', () => {
    const crossings: string[] = [];
    for (const f of all) {
      const mod = moduleOf(f);
      if (!EDGES.includes(mod)) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        if (!spec.startsWith('.')) continue;
        const target = moduleOf(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
        const ok = target === mod || !EDGES.includes(target) || (mod === 'respond' && ['host', 'sensor'].includes(target)) || (mod === 'sensor' && target === 'host');
        if (!ok) crossings.push(`${relative(SRC, f)} -> ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });
});
