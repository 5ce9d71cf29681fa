/**
 * Storage off the judging thread (issue 12, point 5): judged bursts are written by a worker thread with its
 * own connection; a full queue refuses a burst and the loss is stored as a counted telemetry_loss event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { finalizeEvent, type EvidenceEngine } from '../../src/engine/index.js';
import type { RuntimeEvent } from '../../src/model/index.js';
import { createPipeline } from '../../src/service/pipeline.js';
import { loadPolicyFiles } from '../../src/service/policy-files.js';
import { JudgedStorage, STORAGE_FULL_REASON, STOPPED_UNSTORED_REASON } from '../../src/service/judged-storage.js';
import { spawn } from 'node:child_process';
import { EvidenceStore, StorageThread } from '../../src/store/index.js';
import { rawEvents } from '../helpers/stored-events.js';
import { runCli, tempDir } from '../helpers/cli.js';

const turn = () => new Promise<void>((r) => setImmediate(r));
const now = () => BigInt(Date.now()) * 1_000_000n;

function opens(n: number, from: number): RuntimeEvent[] {
  return Array.from({ length: n }, (_, i) =>
    finalizeEvent({ type: 'file_open', source: 'agentprov_ebpf', time_ns: 1_000_000n + BigInt(from + i), pid: 4242, path: `/tmp/f-${from + i}`, flags: 0 } as never),
  );
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

function setup(): { dir: string; store: EvidenceStore; engine: EvidenceEngine } {
  const d = tempDir();
  const store = new EvidenceStore(d.path);
  cleanup.push(() => d.cleanup(), () => store.close());
  const engine = createPipeline({ source: 'sensor', store, loaded: loadPolicyFiles(undefined), clock: now });
  return { dir: d.path, store, engine };
}

describe('StorageThread', () => {
  it('writes judged bursts on its own connection; flush makes them readable here; a re-sent burst is all duplicates', async () => {
    const { dir, store, engine } = setup();
    const failures: unknown[] = [];
    const thread = new StorageThread(dir, { onFailure: (err) => failures.push(err) });
    const a = engine.judgeBatch(opens(1500, 0));
    const b = engine.judgeBatch(opens(700, 1500));
    expect(thread.tryWrite(a.events, a.verdicts, null)).toBe(true);
    expect(thread.tryWrite(b.events, b.verdicts, null)).toBe(true);
    thread.flush();
    expect(thread.queued).toBe(0);
    expect(thread.totals.stored).toBe(2200);
    expect(thread.tryWrite(a.events, a.verdicts, null)).toBe(true);
    thread.flush();
    expect(thread.totals.duplicates).toBe(1500);
    await thread.close();
    expect(failures).toEqual([]);
    const bodies = rawEvents(store.db).map((r) => r.event.path);
    expect(bodies).toHaveLength(2200);
    expect(new Set(bodies).size).toBe(2200);
    // the body the worker stored is the event judged here, byte for byte what the id addresses
    expect(rawEvents(store.db)[0]!.event.event_id).toBe(a.events[0]!.event_id);
    const verify = await runCli(['verify', '--json'], { dataDir: dir });
    expect(verify.json().ok, verify.stdout).toBe(true);
  });

  it('carries bodies as UTF-8 bytes and correlations as shared kinds: multi-byte paths and mixed kinds arrive intact', async () => {
    const { dir, store, engine } = setup();
    const thread = new StorageThread(dir, { onFailure: () => {} });
    const paths = ['/tmp/naïve-café', '/tmp/日本語/ファイル', '/tmp/emoji-🦀', '/tmp/plain'];
    const events = paths.map((path, i) =>
      finalizeEvent({ type: 'file_open', source: 'agentprov_ebpf', time_ns: 5_000_000n + BigInt(i), pid: 100 + i, path, flags: 0 } as never),
    );
    const judged = engine.judgeBatch(events);
    // two kinds in one burst, interleaved: each event must keep its own
    const verdicts = judged.verdicts.map((v, i) => ({
      ...v,
      correlation: { ...v.correlation, reason: i % 2 === 0 ? 'even kind' : 'odd kind', keys_matched: i % 2 === 0 ? ['pid'] : ['cgroup_id', 'pid'] },
    }));
    expect(thread.tryWrite(judged.events, verdicts, null)).toBe(true);
    await thread.close();
    const raw = rawEvents(store.db);
    expect(raw.map((r) => r.event.path)).toEqual(paths);
    expect(raw.map((r) => r.event.event_id)).toEqual(judged.events.map((e) => e.event_id));
    const reasons = store.db
      .prepare('SELECT k.reason, k.keys_matched FROM event_rows e JOIN correlation_kinds k ON k.id = e.kind ORDER BY e.time_ns')
      .all() as { reason: string; keys_matched: string }[];
    expect(reasons.map((k) => k.reason)).toEqual(['even kind', 'odd kind', 'even kind', 'odd kind']);
    expect(JSON.parse(reasons[1]!.keys_matched)).toEqual(['cgroup_id', 'pid']);
    // each block leaf is the hash of the stored bytes: verify recomputes them from the inflated text
    const verify = await runCli(['verify', '--json'], { dataDir: dir });
    expect(verify.json().ok, verify.stdout).toBe(true);
  });
});

describe('JudgedStorage', () => {
  it('refuses a burst the full queue cannot take and stores a telemetry_loss that counts it, with the reason', async () => {
    const { dir, store, engine } = setup();
    const losses: number[] = [];
    const storage = new JudgedStorage({ store, engine, batchId: null, fingerprint: null, now, maxQueued: 100, onLoss: (_e, n) => losses.push(n) });
    // another writer holds the write lock: the storage thread cannot write, so its queue stays full
    const holder = new Database(join(dir, 'evidence.db'));
    holder.exec('BEGIN IMMEDIATE');
    storage.push(engine.judgeBatch(opens(60, 0)));
    await turn();
    storage.push(engine.judgeBatch(opens(80, 100))); // 60 + 80 > 100: refused
    await turn();
    storage.push(engine.judgeBatch(opens(30, 200))); // fits: goes after a loss marker
    await turn();
    expect(storage.refused).toBe(80);
    expect(losses).toEqual([80]);
    holder.exec('COMMIT');
    holder.close();
    storage.flush();
    await storage.close();
    const stored = rawEvents(store.db).map((r) => r.event);
    expect(stored).toHaveLength(60 + 30 + 1);
    const loss = stored.filter((e) => e.type === 'telemetry_loss');
    expect(loss).toHaveLength(1);
    expect(loss[0]!.lost_events).toBe(80);
    expect((loss[0]!.labels as Record<string, string>).reason).toBe(STORAGE_FULL_REASON);
    const gaps = await runCli(['verify', '--json'], { dataDir: dir });
    expect(gaps.json().ok, gaps.stdout).toBe(true);
  });

  it('a close with a time budget gives up on what is still queued then, counts it, and stores one telemetry_loss saying so', async () => {
    const { dir, store, engine } = setup();
    const losses: number[] = [];
    const storage = new JudgedStorage({ store, engine, batchId: null, fingerprint: null, now, onLoss: (_e, n) => losses.push(n) });
    // another process holds the write lock for 1.5 s: nothing queued can be written within the budget
    const holder = spawn(process.execPath, ['-e', `
      const db = new (require('better-sqlite3'))(${JSON.stringify(join(dir, 'evidence.db'))});
      db.exec('BEGIN IMMEDIATE'); process.stdout.write('held\\n');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1500);`], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => holder.once('exit', r));
    await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
    storage.push(engine.judgeBatch(opens(60, 0)));
    await turn();
    storage.push(engine.judgeBatch(opens(30, 100)));
    await turn();
    await storage.close({ withinMs: 100 });
    await exited;
    expect(losses).toEqual([90]);
    const stored = rawEvents(store.db).map((r) => r.event);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.type).toBe('telemetry_loss');
    expect(stored[0]!.lost_events).toBe(90);
    expect((stored[0]!.labels as Record<string, string>).reason).toBe(STOPPED_UNSTORED_REASON);
    const gaps = await runCli(['verify', '--json'], { dataDir: dir });
    expect(gaps.json().ok, gaps.stdout).toBe(true);
  });
});
