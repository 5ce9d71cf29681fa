/** @module service/ingest-file: a JSONL file or stream -> events, verdicts and DAG in the store, plus a manifest. */
import { contentHash } from '../graph/index.js';
import type { IngestManifest } from '../model/index.js';
import {
  ingestLines,
  manifestFromSummary,
  readNumberedLines,
  type IngestFormat,
  type IngestSummary,
  type LineInput,
} from '../ingest/index.js';
import { finalizeEvent, type BatchStats } from '../engine/index.js';
import { dataDirFingerprint, type EvidenceStore } from '../store/index.js';
import { StoreError } from '../errors.js';
import type { LoadedPolicy } from './policy-files.js';
import { createPipeline } from './pipeline.js';
import { nsToIso } from '../model/index.js';
import { batchStart } from './batch-resume.js';
import { JudgedStorage } from './judged-storage.js';

/** The manifest of a batch whose ingest has begun: no counts yet, `complete = 0` in the store. */
function openManifest(batchId: string, sourceFile: string, format: string, inputSha256: string, startedAt: string): IngestManifest {
  return {
    batch_id: batchId,
    source_file: sourceFile,
    format,
    input_sha256: inputSha256,
    lines: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    rejected_lines: [],
    started_at: startedAt,
    finished_at: '',
  };
}

export interface IngestFileResult {
  manifest: IngestManifest;
  summary: IngestSummary;
  stats: BatchStats;
  runs_updated: string[];
}

export interface IngestFileOptions {
  store: EvidenceStore;
  loaded: LoadedPolicy;
  input: LineInput;
  format: IngestFormat;
  now: () => bigint;
  host?: string;
  /** Called after each stored batch (progress on a TTY). */
  onProgress?: (stats: BatchStats, lines: number) => void;
}

/**
 * Ingests one input. Each batch is one transaction; a malformed line is a rejected line in the manifest,
 * never an abort. Telemetry ingested after the fact has no live process to act on, so enforcing decisions
 * are recorded as responses with result `skipped` saying so.
 */
export async function ingestFile(opts: IngestFileOptions): Promise<IngestFileResult> {
  const { store, loaded } = opts;
  const startedNs = opts.now();
  const engine = createPipeline({ source: 'ingest', store, loaded, clock: opts.now });
  const reader = readNumberedLines(opts.input);
  // A killed ingest of this same file left its batch open: complete that one (see batch-resume).
  const start = await batchStart(store, opts.input, opts.format);
  const batchId = start.resumed?.batch_id ?? contentHash({ v: 'agentprov.batch/v1', input: reader.name, started: startedNs });
  const startedAt = start.resumed?.started_at ?? nsToIso(startedNs);
  let opened = start.resumed !== null;
  let received = 0;
  const fingerprint = dataDirFingerprint(store.dataDir);
  let minNs: bigint | null = null;
  let maxNs: bigint | null = null;
  let lost: Error | null = null;
  // Judged here, stored by the storage thread; a file waits for room instead of losing events.
  const storage = new JudgedStorage({
    store,
    engine,
    batchId,
    fingerprint,
    now: opts.now,
    whenFull: 'wait',
    onLoss: (err, events) => (lost ??= err ?? new StoreError(`${events} events could not be stored`)),
  });
  // the storage thread's counts lag; what was received is known here
  const statsNow = (): BatchStats => ({ ...storage.thread.totals, received });
  let summary: IngestSummary;
  try {
    summary = await ingestLines(
      reader,
      opts.format,
      (batch) => {
        const events = batch.map((e) => finalizeEvent(e, fingerprint));
        for (const e of events) {
          if (minNs === null || e.time_ns < minNs) minNs = e.time_ns;
          if (maxNs === null || e.time_ns > maxNs) maxNs = e.time_ns;
        }
        // The manifest opens (complete = 0) before the batch's first events are handed to storage.
        if (!opened) {
          store.openBatch(openManifest(batchId, reader.name, opts.format, start.input_sha256, startedAt));
          opened = true;
        }
        received += events.length;
        storage.push(engine.judgeBatch(events));
        opts.onProgress?.(statsNow(), reader.lineCount());
      },
      // Batches of 5,000: the storage worker merges the batches queued while it commits into one
      // transaction, so a file still commits in large units while judging and storing overlap (50,000 per
      // batch left the worker idle until the first one was judged: 7.7k -> 10.3k events/s on 100k lines).
      // A stream is stored as it arrives.
      { batchSize: 5_000, flushEachChunk: 'stream' in opts.input, ...(opts.host ? { host: opts.host } : {}) },
    );
    storage.flush();
  } finally {
    await storage.close();
  }
  if (lost) throw lost;
  const stats = statsNow();
  // Scopes bound earlier may rest on ancestry that only this file reveals: re-correlate its window.
  if (store.loadScopes().length > 0 && minNs !== null) {
    const re = engine.reconcile(minNs, maxNs!);
    stats.attributed = re.attributed;
  }
  const runs = engine.rebuildDirtyRuns();
  const manifest = manifestFromSummary(summary, {
    batch_id: batchId,
    started_at: startedAt,
    finished_at: nsToIso(opts.now()),
    duplicates: stats.duplicates,
  });
  store.transaction(() => store.putManifest(manifest));
  return { manifest, summary, stats, runs_updated: runs };
}
