/**
 * @module ingest/ingest: numbered lines -> RuntimeEvents in batches, plus the counts of an IngestManifest.
 *
 * Bad input is data: every line is either accepted, rejected with {line, code, field?, message}, or empty;
 * nothing a line contains can throw or stop the batch. Counts are exact even when the stored list of
 * rejected lines is capped.
 */
import { sha256Hex } from '../graph/index.js';
import type { IngestManifest, RejectedLine, RuntimeEventInput } from '../model/index.js';
import { type SourceFormat, detectFormat } from './detect.js';
import { mapFalco } from './falco.js';
import type { NumberedLine, NumberedLineReader } from './line-reader.js';
import { type MapContext, type MapResult, type Mapper, REJECT, describeJsonType, isRecord } from './mapper.js';
import { mapNative } from './native.js';
import { mapTetragon } from './tetragon.js';

export type IngestFormat = SourceFormat | 'auto';
export const INGEST_FORMATS: readonly IngestFormat[] = ['falco', 'tetragon', 'native', 'auto'];

export const MAPPERS: Record<SourceFormat, Mapper> = { falco: mapFalco, tetragon: mapTetragon, native: mapNative };

const MAX_MESSAGE = 300;

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

const UNKNOWN_FORMAT_MESSAGE =
  'not a Falco alert (output_fields / rule+priority), a Tetragon event (one process_* key) or a native event (type+source)';

/** Parse, detect and map, reporting the detected format through `seen` (no extra object per line). */
function mapText(text: string, format: IngestFormat, ctx: MapContext, seen: { format: SourceFormat | null }): MapResult {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: REJECT.json, message: clip(`not JSON: ${(err as Error).message}`) };
  }
  if (!isRecord(obj)) {
    return { ok: false, code: REJECT.schema, message: `a line must hold one JSON object, got ${describeJsonType(obj)}` };
  }
  const fmt = format === 'auto' ? detectFormat(obj) : format;
  seen.format = fmt;
  if (fmt === null) return { ok: false, code: REJECT.unknownFormat, message: UNKNOWN_FORMAT_MESSAGE };
  try {
    return MAPPERS[fmt](obj, ctx);
  } catch (err) {
    // A mapper bug must not lose the rest of the file: report it on this line.
    return { ok: false, code: REJECT.internal, message: clip(`${fmt} mapper failed: ${(err as Error).message}`) };
  }
}

/** Parses, detects (for auto) and maps one line. Never throws; `format` is the mapper that was used. */
export function mapLine(text: string, format: IngestFormat, ctx: MapContext): MapResult & { format: SourceFormat | null } {
  const seen = { format: null as SourceFormat | null };
  const r = mapText(text, format, ctx, seen);
  return { ...r, format: seen.format };
}

export interface IngestOptions {
  /** Events per onBatch call. */
  batchSize?: number;
  /** How many rejected lines are kept with their message (counts stay exact past it). */
  maxRejectedLines?: number;
  /** Host for records that name none. */
  host?: string;
  /** Hand over what each read brought, however little: a live pipe (falco | agentprov) must not wait for a full batch. */
  flushEachChunk?: boolean;
}

export interface IngestSummary {
  source_file: string;
  format: IngestFormat;
  input_sha256: string;
  bytes: number;
  /** Physical lines, including empty ones: lines = accepted + rejected + empty_lines. */
  lines: number;
  empty_lines: number;
  /** Lines mapped to at least one event. */
  accepted: number;
  /** Events handed to onBatch (a line may yield several). */
  events: number;
  rejected: number;
  rejected_lines: RejectedLine[];
  /** True when more lines were rejected than rejected_lines holds. */
  rejected_lines_truncated: boolean;
  /** With --format auto: accepted lines per detected format. */
  detected: Partial<Record<SourceFormat, number>>;
}

export type BatchSink = (events: RuntimeEventInput[]) => void | Promise<void>;

/**
 * Reads every line of `reader`, maps it, and hands events to `onBatch` in arrays of up to batchSize.
 * Throws only for I/O (InputError from the reader) or when onBatch throws.
 */
export async function ingestLines(
  reader: NumberedLineReader,
  format: IngestFormat,
  onBatch: BatchSink,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const batchSize = options.batchSize ?? 5000;
  const maxRejected = options.maxRejectedLines ?? 10_000;
  const summary: IngestSummary = {
    source_file: reader.name,
    format,
    input_sha256: '',
    bytes: 0,
    lines: 0,
    empty_lines: 0,
    accepted: 0,
    events: 0,
    rejected: 0,
    rejected_lines: [],
    rejected_lines_truncated: false,
    detected: {},
  };
  let pending: RuntimeEventInput[] = [];
  const seen = { format: null as SourceFormat | null };

  function reject(line: number, code: string, message: string, field?: string): void {
    summary.rejected++;
    if (summary.rejected_lines.length >= maxRejected) {
      summary.rejected_lines_truncated = true;
      return;
    }
    summary.rejected_lines.push(field === undefined ? { line, code, message } : { line, code, field, message });
  }

  function take(l: NumberedLine): void {
    if (l.oversize !== undefined) {
      reject(l.line, REJECT.tooLong, `line is ${l.oversize} bytes, over the reader's limit of ${l.bytes.length}`);
      return;
    }
    const rawSha256 = sha256Hex(l.bytes);
    const ctx: MapContext = { line: l.line, file: reader.name, rawSha256, host: options.host };
    const r = mapText(l.text, format, ctx, seen);
    if (!r.ok) {
      reject(l.line, r.code, r.message, r.field);
      return;
    }
    summary.accepted++;
    if (format === 'auto' && seen.format !== null) summary.detected[seen.format] = (summary.detected[seen.format] ?? 0) + 1;
    for (const ev of r.events) pending.push(ev);
  }

  async function flush(): Promise<void> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    summary.events += batch.length;
    const done = onBatch(batch);
    if (done) await done;
  }

  for await (const lines of reader.batches()) {
    for (let i = 0; i < lines.length; i++) {
      take(lines[i]!);
      if (pending.length >= batchSize) await flush();
    }
    if (options.flushEachChunk) await flush();
  }
  await flush();
  summary.input_sha256 = reader.digest();
  summary.bytes = reader.byteCount();
  summary.lines = reader.lineCount();
  summary.empty_lines = reader.emptyLineCount();
  return summary;
}

/** The manifest the store records for a batch; `duplicates` is the store's to count. */
export function manifestFromSummary(
  s: IngestSummary,
  batch: { batch_id: string; started_at: string; finished_at: string; duplicates?: number },
): IngestManifest {
  return {
    batch_id: batch.batch_id,
    source_file: s.source_file,
    format: s.format,
    input_sha256: s.input_sha256,
    lines: s.lines,
    accepted: s.accepted,
    duplicates: batch.duplicates ?? 0,
    rejected: s.rejected,
    rejected_lines: s.rejected_lines,
    started_at: batch.started_at,
    finished_at: batch.finished_at,
  };
}
