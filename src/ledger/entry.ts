/**
 * @module ledger/entry: one ledger entry, its hashed preimage and how the next entry is appended.
 *
 * An entry says "object <object_hash> of <kind> was written at <time_ns>", numbered by `seq` and linked to
 * the entry before it by `prev_hash`. `entry_hash` is sha256 over the canonical JSON (RFC 8785) of the
 * other fields plus a domain tag `v`, never over fields joined by a separator. Sequence numbers start at 1
 * (the first rowid SQLite hands out), so a chain of N entries ends at seq N and a Merkle leaf index is seq-1.
 */
import { InputError } from '../errors.js';
import { canonicalJson } from '../graph/index.js';
import { SHA256_HEX_RE, sha256HexFast } from './encoding.js';

export interface LedgerEntry {
  seq: number;
  prev_hash: string;
  object_hash: string;
  kind: string;
  time_ns: bigint;
  entry_hash: string;
}

/** What a write contributes; the ledger adds seq, prev_hash and entry_hash. */
export interface LedgerAppend {
  object_hash: string;
  kind: string;
  time_ns: bigint;
}

/** The sequence number and hash of the last entry: what a signature over the ledger covers. */
export interface LedgerHead {
  seq: number;
  entry_hash: string;
}

export const LEDGER_ENTRY_DOMAIN = 'agentprov.ledger/v1';
export const GENESIS_PREV_HASH = '0'.repeat(64);
export const GENESIS_SEQ = 1;

/** The fields an entry hash covers, as the object that is canonicalised. */
export function entryPreimageObject(e: Omit<LedgerEntry, 'entry_hash'>): Record<string, unknown> {
  return {
    v: LEDGER_ENTRY_DOMAIN,
    seq: e.seq,
    prev_hash: e.prev_hash,
    object_hash: e.object_hash,
    kind: e.kind,
    time_ns: e.time_ns,
  };
}

/**
 * The canonical JSON that `entry_hash` is sha256 of. Written out by hand in RFC 8785 key order (kind,
 * object_hash, prev_hash, seq, time_ns, v) because the generic encoder sorts and allocates per call and
 * verification runs this a million times; a test pins it to `canonicalJson(entryPreimageObject(e))`.
 * Strings go through JSON.stringify exactly as canonicalJson does; seq is a safe integer and time_ns a
 * bigint written as a decimal string, as canonicalJson writes bigint.
 */
export function entryPreimage(e: Omit<LedgerEntry, 'entry_hash'>): string {
  return preimageWithSeq(e, e.seq);
}

// Printable ASCII without '"' and '\': JSON.stringify would return it unchanged inside quotes, so the
// common case (hex hashes, plain kinds) skips the encoder; anything else still goes through it.
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function jsonString(s: string): string {
  return PLAIN_JSON_STRING.test(s) ? `"${s}"` : JSON.stringify(s);
}

function preimageWithSeq(e: Omit<LedgerEntry, 'entry_hash'>, seq: number): string {
  return `{"kind":${jsonString(e.kind)},"object_hash":${jsonString(e.object_hash)},"prev_hash":${jsonString(
    e.prev_hash,
  )},"seq":${seq},"time_ns":"${e.time_ns}","v":"${LEDGER_ENTRY_DOMAIN}"}`;
}

export function computeEntryHash(e: Omit<LedgerEntry, 'entry_hash'>): string {
  return sha256HexFast(preimageWithSeq(e, e.seq));
}

/**
 * The hash the entry would have had under another sequence number. Verification uses it only after a
 * mismatch, to tell a renumbered row (deleted or inserted neighbour) from an edited one.
 */
export function entryHashAtSeq(e: Omit<LedgerEntry, 'entry_hash'>, seq: number): string {
  return sha256HexFast(preimageWithSeq(e, seq));
}

/** The reference encoding, kept for the test that proves the fast path equals it. */
export function entryPreimageCanonical(e: Omit<LedgerEntry, 'entry_hash'>): string {
  return canonicalJson(entryPreimageObject(e));
}

/** A field check with the ledger's own messages; throws InputError naming the field. */
function checkAppend(input: LedgerAppend): void {
  const issues: { field: string; message: string }[] = [];
  if (typeof input.object_hash !== 'string' || !SHA256_HEX_RE.test(input.object_hash)) {
    issues.push({ field: 'object_hash', message: 'must be 64 lowercase hex characters (a sha256)' });
  }
  if (typeof input.kind !== 'string' || input.kind.length === 0) {
    issues.push({ field: 'kind', message: 'must be a non-empty string' });
  }
  if (typeof input.time_ns !== 'bigint' || input.time_ns < 0n) {
    issues.push({ field: 'time_ns', message: 'must be a non-negative bigint (nanoseconds)' });
  }
  if (issues.length > 0) throw new InputError(issues.map((i) => ({ file: 'ledger append', ...i })));
}

/** The entry that follows `prev` (or the genesis entry when `prev` is null). Pure: nothing is stored. */
export function appendEntry(prev: LedgerHead | null, input: LedgerAppend): LedgerEntry {
  checkAppend(input);
  if (prev !== null && (!Number.isSafeInteger(prev.seq) || prev.seq < GENESIS_SEQ)) {
    throw new InputError([{ file: 'ledger append', field: 'prev.seq', message: `not a valid seq: ${prev.seq}` }]);
  }
  const seq = prev === null ? GENESIS_SEQ : prev.seq + 1;
  const prev_hash = prev === null ? GENESIS_PREV_HASH : prev.entry_hash;
  const body = { seq, prev_hash, object_hash: input.object_hash, kind: input.kind, time_ns: input.time_ns };
  return { ...body, entry_hash: computeEntryHash(body) };
}

export function headOf(entry: LedgerEntry): LedgerHead {
  return { seq: entry.seq, entry_hash: entry.entry_hash };
}
