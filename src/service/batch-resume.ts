/**
 * @module service/batch-resume: which batch an ingest writes to. A file whose earlier ingest was killed
 * (its manifest still `complete = 0`) resumes that batch: same batch id, so the re-run's events, already
 * stored ones counted as duplicates, and its complete manifest all land on the batch the kill left open.
 * A stream has no digest before it is read, so it always starts a new batch.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { LineInput } from '../ingest/index.js';
import type { EvidenceStore } from '../store/index.js';

/** sha256 of a file's bytes, streamed (the same digest the line reader computes while ingesting). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface BatchStart {
  /** The input's digest when known up front (files), '' for a stream until it has been read. */
  input_sha256: string;
  /** The incomplete batch this ingest completes, if any. */
  resumed: { batch_id: string; started_at: string } | null;
}

export async function batchStart(store: EvidenceStore, input: LineInput, format: string): Promise<BatchStart> {
  if (!('path' in input)) return { input_sha256: '', resumed: null };
  let sha: string;
  try {
    sha = await fileSha256(input.path);
  } catch {
    return { input_sha256: '', resumed: null }; // the line reader reports an unreadable input, with its path
  }
  return { input_sha256: sha, resumed: store.findIncompleteBatch(sha, format) };
}
