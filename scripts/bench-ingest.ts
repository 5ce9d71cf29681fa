/**
 * @module scripts/bench-ingest: ingest of N Falco lines from a file into a fresh SQLite store, in events/s,
 * against a baseline measured in the same process: reading and JSON.parse of the same file (the floor any
 * JSONL ingester pays). Usage: node dist/scripts/bench-ingest.js FILE.jsonl
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNumberedLines } from '../src/ingest/index.js';
import { EvidenceStore, countRows } from '../src/store/index.js';
import { ingestFile } from '../src/service/ingest-file.js';
import { loadPolicyFiles } from '../src/service/policy-files.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: bench-ingest FILE.jsonl\n');
  process.exit(2);
}
const now = () => BigInt(Date.now()) * 1_000_000n;

async function baseline(): Promise<{ lines: number; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const reader = readNumberedLines({ path: file! });
  let lines = 0;
  for await (const batch of reader.batches()) {
    for (const l of batch) {
      JSON.parse(l.text);
      lines++;
    }
  }
  return { lines, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function full(): Promise<{ events: number; stored: number; decisions: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentprov-bench-'));
  const store = new EvidenceStore(dir);
  try {
    const loaded = loadPolicyFiles(undefined);
    const t0 = process.hrtime.bigint();
    const r = await ingestFile({ store, loaded, input: { path: file! }, format: 'falco', now });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { events: r.summary.events, stored: countRows(store.db, 'events'), decisions: r.stats.decisions, seconds };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = statSync(file).size / 1e6;
const b = await baseline();
const f = await full();
const rate = f.events / f.seconds;
const baseRate = b.lines / b.seconds;
console.log(`ingest: ${b.lines} Falco lines (${mb.toFixed(0)} MB) from a file into SQLite`);
console.log(`  baseline (read + JSON.parse only): ${Math.round(baseRate).toLocaleString('en')} lines/s (${b.seconds.toFixed(2)} s)`);
console.log(
  `  agentprov ingest (map, correlate, policy, store): ${Math.round(rate).toLocaleString('en')} events/s (${f.seconds.toFixed(2)} s), ` +
    `${f.stored} stored, ${f.decisions} decisions`,
);
console.log(`  ratio to baseline: ${(baseRate / rate).toFixed(2)}x slower; target >= 150,000 events/s: ${rate >= 150_000 ? 'met' : 'NOT met'}`);
