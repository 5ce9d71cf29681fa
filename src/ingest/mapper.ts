/**
 * @module ingest/mapper: the contract every source mapper follows (JSON object in, RuntimeEvents or one
 * issue out) and the small value readers they share.
 *
 * Mappers build events directly instead of zod-parsing them: this is the hot path (a unit test checks
 * mapper output against RuntimeEventSchema instead). A bad field is reported by throwing a FieldProblem,
 * which is not an Error on purpose: no stack is captured for what is just bad input.
 */
import { eventIdFor } from '../graph/index.js';
import type { RuntimeEventInput } from '../model/index.js';
import { isoToNs } from '../model/index.js';

export interface MapContext {
  line: number;
  file: string;
  /** sha256 hex of the line's exact bytes. */
  rawSha256: string;
  /** Host to use when the record names none. */
  host?: string;
}

export type MapResult =
  | { ok: true; events: RuntimeEventInput[] }
  | { ok: false; code: string; field?: string; message: string };

export type Mapper = (obj: unknown, ctx: MapContext) => MapResult;

/** Stable codes of rejected lines (RejectedLine.code). */
export const REJECT = {
  /** The line is not JSON. */
  json: 'AP_JSON',
  /** JSON, but a field is missing, has the wrong type or an unknown name. */
  schema: 'AP_SCHEMA',
  /** A well-formed record of a kind agentprov does not map (e.g. a Tetragon uprobe). */
  unsupported: 'AP_UNSUPPORTED',
  /** --format auto could not tell which producer wrote the line. */
  unknownFormat: 'AP_UNKNOWN_FORMAT',
  /** The line is longer than the reader's limit. */
  tooLong: 'AP_LINE_TOO_LONG',
  /** A mapper failed unexpectedly: a bug, reported per line instead of aborting the batch. */
  internal: 'AP_INTERNAL',
} as const;

export class FieldProblem {
  constructor(
    readonly code: string,
    readonly field: string | undefined,
    readonly message: string,
  ) {}
  toResult(): MapResult {
    return this.field === undefined
      ? { ok: false, code: this.code, message: this.message }
      : { ok: false, code: this.code, field: this.field, message: this.message };
  }
}

export function problem(field: string | undefined, message: string, code: string = REJECT.schema): FieldProblem {
  return new FieldProblem(code, field, message);
}

/** Runs a builder and turns a thrown FieldProblem into a rejected MapResult. */
export function runMapper(build: () => RuntimeEventInput[]): MapResult {
  try {
    return { ok: true, events: build() };
  } catch (err) {
    if (err instanceof FieldProblem) return err.toResult();
    throw err;
  }
}


/** Gives each event its raw_ref and content address; several events of one line get distinct ids. */
export function stampEvents(events: RuntimeEventInput[], idSource: string, ctx: MapContext): RuntimeEventInput[] {
  const many = events.length > 1;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    ev.raw_ref = { file: ctx.file, line: ctx.line, sha256: ctx.rawSha256 };
    ev.event_id = eventIdFor(idSource, many ? `${ctx.rawSha256}:${i}` : ctx.rawSha256);
  }
  return events;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** Absent: undefined, null, '' and Falco's "<NA>" placeholder. */
function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '<NA>';
}

const INT_TEXT = /^-?\d{1,16}$/;

/** An integer given as a JSON number or a decimal string (Tetragon writes 64-bit numbers as strings). */
export function readInt(v: unknown, field: string): number | null {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    throw problem(field, `expected an integer, got ${v}`);
  }
  if (isAbsent(v)) return null;
  if (typeof v === 'string' && INT_TEXT.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  throw problem(field, `expected an integer, got ${describeJsonType(v)}${typeof v === 'string' ? ` "${v.slice(0, 40)}"` : ''}`);
}

/** Like readInt, within [min, max]. */
export function readIntIn(v: unknown, field: string, min: number, max: number): number | null {
  const n = readInt(v, field);
  if (n !== null && (n < min || n > max)) throw problem(field, `expected an integer in ${min}..${max}, got ${n}`);
  return n;
}

/** A leading integer in producer text such as Falco's "0(root)" or "16(PTRACE_ATTACH)"; null if none. */
export function leadingInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^-?\d+/.exec(v);
  if (!m) return null;
  const n = Number(m[0]);
  return Number.isSafeInteger(n) ? n : null;
}

export function readString(v: unknown, field: string): string | null {
  if (typeof v === 'string') return v === '<NA>' ? null : v;
  if (v === undefined || v === null) return null;
  throw problem(field, `expected a string, got ${describeJsonType(v)}`);
}

/** Splits a command line on spaces (producers join argv with one space; quoting is not recoverable). */
export function splitArgs(text: string): string[] {
  const parts = text.split(' ');
  let clean = true;
  for (let i = 0; i < parts.length; i++) if (parts[i] === '') clean = false;
  return clean ? parts : parts.filter((p) => p !== '');
}

// Falco and Tetragon stamp one second's events with the same "YYYY-MM-DDTHH:MM:SS" prefix: parse it once.
let lastSecondText = '';
let lastSecondDigits = '';
const SECOND_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const NINE_DIGITS = /^\d{9}$/;

/** ISO-8601 to ns, exact to the ns. The common "…SS.nnnnnnnnnZ" form takes a fast path (no Date per line). */
export function isoTextToNs(text: string): bigint | null {
  if (text.length === 30 && text.charCodeAt(29) === 90 && text.charCodeAt(19) === 46) {
    const second = text.slice(0, 19);
    const frac = text.slice(20, 29);
    if (second !== lastSecondText) {
      const ms = SECOND_TEXT.test(second) ? Date.parse(`${second}Z`) : Number.NaN;
      if (!(ms >= 1000)) return isoToNs(text);
      lastSecondText = second;
      lastSecondDigits = String(ms / 1000);
    }
    if (NINE_DIGITS.test(frac)) return BigInt(lastSecondDigits + frac);
  }
  return isoToNs(text);
}

/** A time field that must be ISO-8601 text if present. */
export function readIsoNs(v: unknown, field: string): bigint | null {
  if (isAbsent(v)) return null;
  if (typeof v !== 'string') throw problem(field, `expected an ISO-8601 time, got ${describeJsonType(v)}`);
  const ns = isoTextToNs(v);
  if (ns === null) throw problem(field, `expected an ISO-8601 time, got "${v.slice(0, 40)}"`);
  return ns;
}

export function familyOf(ip: string | null): 'inet' | 'inet6' | null {
  if (ip === null) return null;
  return ip.includes(':') ? 'inet6' : 'inet';
}
