/**
 * @module sensor/decode: ring-buffer batches -> RuntimeEventInput, per bpf/events.h through layout.ts.
 *
 * A batch is what native/ring-poller.cc delivers: records back to back, each framed as [u32 length][record].
 * Every record is length-checked before any field is read (Tracee's decoder), fields are read at fixed offsets
 * with one DataView, little-endian, 64-bit times as bigint. A short, mis-sized, wrong-ABI or unknown record is counted
 * by kind and skipped by its frame length: nothing here throws out of a batch. Pure: time offset, host name and
 * cgroup paths come in through DecodeContext.
 */
import type { RuntimeEventInput } from '../model/index.js';
import { EVENTS_ABI, KIND_STRUCT, LAYOUT } from './layout.js';
import { decodeKind } from './decode-records.js';

export const DECODE_ERROR_KINDS = ['short_frame', 'short_record', 'bad_size', 'bad_abi', 'unknown_kind'] as const;
export type DecodeErrorKind = (typeof DECODE_ERROR_KINDS)[number];

export interface DecodeCounters {
  batches: number;
  records: number;
  events: number;
  errors: Record<DecodeErrorKind, number>;
  /** The last foreign ABI seen, so the caller can say which build is stale. */
  foreignAbi: number | null;
}

export interface DecodeContext {
  /** CLOCK_REALTIME - CLOCK_BOOTTIME: kernel boot-time ns + this = wall-clock ns. */
  bootOffsetNs: bigint;
  host: string;
  /** The path of a cgroup id the caller knows (tracked cgroups), if any. */
  cgroupPath?: (cgroupId: string) => string | undefined;
}

export function newDecodeCounters(): DecodeCounters {
  return {
    batches: 0,
    records: 0,
    events: 0,
    errors: { short_frame: 0, short_record: 0, bad_size: 0, bad_abi: 0, unknown_kind: 0 },
    foreignAbi: null,
  };
}

export function abiMismatchMessage(kernelAbi: number): string {
  return `the BPF programs emit event ABI ${kernelAbi} but this decoder reads ABI ${EVENTS_ABI}: rebuild both with \`make -C bpf && npx node-gyp rebuild -C native\``;
}

/**
 * Reader over one record: bounds were checked by the caller, offsets come from layout.ts. Numbers go through the
 * DataView; strings through Buffer (native NUL search and UTF-8 decode, far cheaper than TextDecoder per field).
 */
export class RecordView {
  readonly view: DataView;
  readonly buf: Buffer;
  readonly base: number;
  readonly length: number;
  constructor(view: DataView, buf: Buffer, base: number, length: number) {
    this.view = view;
    this.buf = buf;
    this.base = base;
    this.length = length;
  }
  u8(off: number): number {
    return this.view.getUint8(this.base + off);
  }
  u16(off: number): number {
    return this.view.getUint16(this.base + off, true);
  }
  u32(off: number): number {
    return this.view.getUint32(this.base + off, true);
  }
  s32(off: number): number {
    return this.view.getInt32(this.base + off, true);
  }
  u64(off: number): bigint {
    return this.view.getBigUint64(this.base + off, true);
  }
  s64(off: number): bigint {
    return this.view.getBigInt64(this.base + off, true);
  }
  /** A u64 that fits 2^53 (ids, inode numbers) as a number, without allocating a bigint. */
  u64Number(off: number): number {
    return this.view.getUint32(this.base + off + 4, true) * 0x1_0000_0000 + this.view.getUint32(this.base + off, true);
  }
  bytes(off: number, len: number): Uint8Array {
    const end = Math.min(off + len, this.length);
    return this.buf.subarray(this.base + off, this.base + Math.max(off, end));
  }
  /** A NUL-terminated string in a fixed field of max bytes (never past the record). */
  cstr(off: number, max: number): string {
    const start = this.base + off;
    const limit = this.base + Math.min(off + max, this.length);
    let end = this.buf.indexOf(0, start);
    if (end < 0 || end > limit) end = limit;
    return this.buf.toString('utf8', start, end);
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

const HEADER = LAYOUT.ap_event_header;

/** Decodes one batch; appends counts to `counters`. */
export function decodeBatch(batch: Uint8Array, ctx: DecodeContext, counters: DecodeCounters): RuntimeEventInput[] {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const buf = Buffer.isBuffer(batch) ? batch : Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  const out: RuntimeEventInput[] = [];
  counters.batches++;
  let at = 0;
  while (at < batch.byteLength) {
    if (batch.byteLength - at < 4) {
      counters.errors.short_frame++;
      break;
    }
    const frame = view.getUint32(at, true);
    const base = at + 4;
    if (frame > batch.byteLength - base) {
      // the framing itself is broken: nothing after this point can be trusted
      counters.errors.short_frame++;
      break;
    }
    at = base + frame;
    counters.records++;
    const event = decodeRecord(new RecordView(view, buf, base, frame), ctx, counters);
    if (event) {
      out.push(event);
      counters.events++;
    }
  }
  return out;
}

/**
 * Counts a batch's records by kind (`counts[kind]`) without decoding them: what a stopping sensor does past
 * its deadline, so that what it could not judge in time is still counted. Returns the records counted.
 */
export function countBatchRecords(batch: Uint8Array, counts: number[]): number {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let n = 0;
  for (let at = 0; batch.byteLength - at >= 4; ) {
    const frame = view.getUint32(at, true);
    const base = at + 4;
    if (frame > batch.byteLength - base) break;
    const kind = frame >= 2 ? view.getUint16(base, true) : 0;
    counts[kind] = (counts[kind] ?? 0) + 1;
    n++;
    at = base + frame;
  }
  return n;
}

function decodeRecord(rec: RecordView, ctx: DecodeContext, counters: DecodeCounters): RuntimeEventInput | null {
  if (rec.length < HEADER.size) {
    counters.errors.short_record++;
    return null;
  }
  const kind = rec.u16(HEADER.fields.kind);
  const abi = rec.u16(HEADER.fields.abi);
  const size = rec.u32(HEADER.fields.size);
  if (abi !== EVENTS_ABI) {
    counters.errors.bad_abi++;
    counters.foreignAbi = abi;
    return null;
  }
  const spec = KIND_STRUCT[kind];
  if (!spec) {
    counters.errors.unknown_kind++;
    return null;
  }
  if (size !== rec.length || size > LAYOUT[spec.struct].size) {
    counters.errors.bad_size++;
    return null;
  }
  if (size < spec.minSize) {
    counters.errors.short_record++;
    return null;
  }
  const timeNs = rec.u64(HEADER.fields.ktime_ns) + ctx.bootOffsetNs;
  return decodeKind(kind, rec, timeNs, ctx, decodeUtf8);
}
