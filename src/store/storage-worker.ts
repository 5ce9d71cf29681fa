/**
 * @module store/storage-worker: the storage thread's body (see store/storage-thread). It owns its own
 * connection to the data dir and writes judged bursts: blocks, hashing, compression, rows and ledger
 * entries, everything after judging. Bursts waiting when it turns to them go into one transaction (one
 * commit, one signed head). After each commit it publishes how far it got in shared memory and wakes a
 * main thread that may be blocked in flush().
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { EvidenceStore } from './evidence-store.js';
// the counting module alone, not the engine's index: the worker has no engine to load
import { emptyStats } from '../engine/batch-stats.js';
import { countRows } from './verdict-writer.js';
import {
  ABANDON_SEQ,
  DONE_EVENTS,
  DONE_SEQ,
  FAILED,
  unwireEvents,
  unwireVerdicts,
  type StorageRequest,
  type StorageResult,
  type StorageWorkerData,
} from './storage-protocol.js';

const data = workerData as StorageWorkerData;
const done = new BigInt64Array(data.shared);
const requests: MessagePort = data.requests;
const results: MessagePort = data.results;

function fatal(err: unknown): void {
  results.postMessage({ seq: -1, ...emptyStats(), error: describe(err) } satisfies StorageResult);
  Atomics.store(done, FAILED, 1n);
  Atomics.notify(done, DONE_SEQ);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

process.on('uncaughtException', fatal);

let store: EvidenceStore;
try {
  store = new EvidenceStore(data.dataDir, data.keyFile ? { keyFile: data.keyFile } : {});
} catch (err) {
  fatal(err);
  throw err;
}
// The first commit needs the signing key (read or created, then the curve tables derived from it: ~30 ms).
// Deriving it now, while the sensor loads, takes that off the end of a short recording; a key that cannot be
// used fails the first commit, which says why.
try {
  store.signingKey();
} catch {
  // reported by the commit that needs it
}

/** One burst's events and the verdicts of those that were new (a duplicate's verdict goes with it). */
function write(req: StorageRequest): StorageResult {
  const items = unwireEvents(req);
  const added = store.insertEncoded(items, req.batchId);
  const fresh = new Set<string>();
  added.forEach((isNew, i) => isNew && fresh.add(items[i]!.event.event_id!));
  const verdicts = unwireVerdicts(req, items.map((it) => it.event.event_id!)).filter((v) => fresh.has(v.correlation.event_id));
  store.putVerdictRows(verdicts);
  const out: StorageResult = { ...emptyStats(), seq: req.seq, received: req.count, stored: fresh.size, duplicates: req.count - fresh.size };
  for (const v of verdicts) {
    if (v.correlation.binding_id) out.attributed++;
    if (v.rows) countRows(v.rows, out);
  }
  return out;
}

requests.on('message', (first: StorageRequest) => {
  const batch: StorageRequest[] = [first];
  for (let m = receiveMessageOnPort(requests); m; m = receiveMessageOnPort(requests)) batch.push(m.message as StorageRequest);
  const close = batch.some((r) => r.close);
  const writes = batch.filter((r) => !r.close);
  let out: StorageResult[];
  try {
    // checked per request: a stop that gives up on the queue must not wait for every burst already taken
    const given = (r: StorageRequest) => BigInt(r.seq) <= Atomics.load(done, ABANDON_SEQ);
    out = store.transaction(() => writes.map((r) => (given(r) ? { ...emptyStats(), seq: r.seq, received: r.count, abandoned: r.count } : write(r))));
  } catch (err) {
    // the whole transaction rolled back: every burst in it is lost, and says so
    out = writes.map((r) => ({ ...emptyStats(), seq: r.seq, received: r.count, error: describe(err) }));
  }
  // the bodies' bytes are in blocks now (nothing keeps a view of them past the commit): hand them back
  out.forEach((r, i) => {
    const spare = writes[i]!.bodies.buffer as ArrayBuffer;
    if (spare.byteLength > 0) results.postMessage({ ...r, spare }, [spare]);
    else results.postMessage(r);
  });
  const last = batch[batch.length - 1]!;
  Atomics.add(done, DONE_EVENTS, BigInt(writes.reduce((n, r) => n + r.count, 0)));
  Atomics.store(done, DONE_SEQ, BigInt(last.seq));
  Atomics.notify(done, DONE_SEQ);
  if (close) {
    store.close();
    requests.close();
    results.close();
  }
});
