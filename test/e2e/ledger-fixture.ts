/** The demo run (Falco + Tetragon + a late binding) recorded through the CLI, and copies of it to tamper with. */
import Database from 'better-sqlite3';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

export const FALCO = 'fixtures/demo/falco-agent-run.jsonl';
export const TETRAGON = 'fixtures/demo/tetragon-agent-run.jsonl';
export const BIND = [
  'telemetry', 'bind', '--run', 'r1', '--session', 's1', '--attempt', '1', '--tool-call', 'tc-7',
  '--tool-name', 'run_shell', '--pid', '4242',
  '--started-at', '2026-11-25T10:00:01Z', '--ended-at', '2026-11-25T10:00:10Z',
];

export async function recordDemo(dataDir: string, mode?: 'mutable' | 'revisioned' | 'sealed'): Promise<void> {
  const steps = [
    ...(mode ? [['init', '--mode', mode]] : []),
    ['telemetry', 'ingest-falco', '--file', FALCO],
    ['telemetry', 'ingest-jsonl', '--format', 'tetragon', '--file', TETRAGON],
    BIND,
  ];
  for (const args of steps) {
    const r = await runCli(args, { dataDir });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
}

/** A copy of a data dir (database and keys), made consistent first. */
export function copyDataDir(from: string): ReturnType<typeof tempDir> {
  const db = new Database(join(from, 'evidence.db'));
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  const to = tempDir();
  cpSync(join(from, 'evidence.db'), join(to.path, 'evidence.db'));
  if (existsSync(join(from, 'keys'))) cpSync(join(from, 'keys'), join(to.path, 'keys'), { recursive: true });
  return to;
}

/** A raw connection as an attacker with write access to the file has it: the append-only triggers dropped. */
export function attackerDb(dataDir: string): Database.Database {
  const db = new Database(join(dataDir, 'evidence.db'));
  const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all() as { name: string }[];
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  return db;
}
