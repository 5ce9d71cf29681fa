// A data dir of the layout before migration 007 (fixtures/stores/layout-006.tar.gz: one events row and one
// ledger entry per event) is migrated in place on first open: queries answer as before, every check passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { rawEvents, tamperBlock } from '../helpers/stored-events.js';

const FIXTURE = 'fixtures/stores/layout-006.tar.gz';
const QUERIES: [string, string[]][] = [
  ['runs.json', ['runs']],
  ['timeline_run_r1.json', ['timeline', '--run', 'r1']],
  ['telemetry_correlations_run_r1.json', ['telemetry', 'correlations', '--run', 'r1']],
  ['security_risks_run_r1.json', ['security', 'risks', '--run', 'r1']],
];

describe('a data dir of the layout before 007', () => {
  const tmp = tempDir('agentprov-migrate-');
  const root = join(tmp.path, 'layout-006');
  const data = join(root, 'data');
  const db = (): Database.Database => new Database(join(data, 'evidence.db'), { readonly: true });
  let legacy: { events: number; entries: number };

  beforeAll(() => {
    execFileSync('tar', ['xzf', FIXTURE, '-C', tmp.path]);
    const d = db();
    legacy = {
      events: (d.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n,
      entries: (d.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n,
    };
    d.close();
  });
  afterAll(() => tmp.cleanup());

  it('is migrated on first open, and every query answers as it did before', async () => {
    expect(legacy.events).toBeGreaterThan(5);
    for (const [file, args] of QUERIES) {
      const r = await runCli([...args, '--json'], { dataDir: data });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.json(), args.join(' ')).toEqual(JSON.parse(readFileSync(join(root, 'expected', file), 'utf8')));
    }
    const d = db();
    // every old event is now in a block, its body byte for byte; the old rows are still there
    expect((d.prepare('SELECT COUNT(*) AS n FROM event_rows').get() as { n: number }).n).toBe(legacy.events);
    const oldBodies = (d.prepare('SELECT body FROM events').pluck().all() as string[]).sort();
    expect(rawEvents(d).map((r) => r.body).sort()).toEqual(oldBodies);
    expect((d.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(legacy.events);
    const layout = d.prepare(`SELECT value FROM meta WHERE key = 'event_layout'`).pluck().get() as string;
    const seq = Number(/^blocks@(\d+)$/.exec(layout)?.[1]);
    expect(d.prepare('SELECT kind FROM ledger WHERE seq = ?').pluck().get(seq)).toBe('migrate:event-blocks');
    d.close();
  });

  it('passes agentprov verify, ledger verify and graph verify after the migration, and migrates once', async () => {
    const before = (() => {
      const d = db();
      const n = (d.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n;
      d.close();
      return n;
    })();
    expect(before).toBeGreaterThan(legacy.entries);
    const v = await runCli(['verify', '--json'], { dataDir: data });
    expect(v.code, v.stdout).toBe(0);
    expect(v.json().ok).toBe(true);
    expect((await runCli(['ledger', 'verify', '--json'], { dataDir: data })).code).toBe(0);
    const g = await runCli(['graph', 'verify', '--run', 'r1', '--json'], { dataDir: data });
    expect(g.code, g.stdout).toBe(0);
    const d = db();
    expect((d.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n).toBe(before); // nothing migrated twice
    d.close();
  });

  it('a migrated event changed in its block is caught by verify, as it was in its old row', async () => {
    const d = new Database(join(data, 'evidence.db'));
    const hit = tamperBlock(
      d,
      (e) => e.type === 'network_connect',
      (bodies, pos) => bodies.map((b, i) => (i === pos ? b.replace(/"pid":(\d+)/, (_m, p: string) => `"pid":${Number(p) + 1}`) : b)),
    );
    d.close();
    const v = await runCli(['verify', '--json'], { dataDir: data });
    expect(v.code).not.toBe(0);
    const problems = v.json().problems as { table: string; problem: string; seq?: number }[];
    expect(problems).toContainEqual(expect.objectContaining({ table: 'events', problem: 'row_modified', seq: hit.ledger_seq }));
  });
});
