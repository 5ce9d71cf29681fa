/**
 * @module ledger/anchor: signed Merkle roots over a range of ledger entries, and inclusion proofs that
 * tie one entry to such a root (`ledger anchor`, `ledger prove SEQ`).
 *
 * Leaf data of entry `seq` is the 32 bytes of its entry_hash (which already binds seq, link, object and
 * time); leaf index is `seq - from_seq`. An anchor is written out as canonical JSON (`anchorToJson`) with
 * signed_at_ns as a decimal string, and read back strictly (`anchorFromJson`).
 */
import { InputError } from '../errors.js';
import { canonicalJson } from '../graph/index.js';
import type { LedgerEntry } from './entry.js';
import { bytesToHex, hexToBytes, SHA256_HEX_RE } from './encoding.js';
import { checkHexSignature, fingerprint, publicKeyFromSecret, signBytes, type SignatureCheck } from './keys.js';
import {
  inclusionProofFromLeafHashes,
  leafHash,
  merkleRootFromLeafHashes,
  verifyInclusionOfHash,
} from './merkle.js';

export const LEDGER_ANCHOR_DOMAIN = 'agentprov.ledger-anchor/v1';

export interface AnchorBody {
  from_seq: number;
  to_seq: number;
  tree_size: number;
  /** Hex of the RFC 9162 root over entries from_seq..to_seq. */
  root: string;
}

export interface SignedAnchor extends AnchorBody {
  v: typeof LEDGER_ANCHOR_DOMAIN;
  key_fingerprint: string;
  signed_at_ns: bigint;
  signature: string;
}

export interface EntryInclusionProof {
  seq: number;
  entry_hash: string;
  from_seq: number;
  to_seq: number;
  tree_size: number;
  leaf_index: number;
  /** Audit path, hex, leaf side first. */
  path: string[];
}

export function ledgerLeafHash(entry: Pick<LedgerEntry, 'entry_hash'>): Uint8Array {
  const bytes = hexToBytes(entry.entry_hash);
  if (!bytes || bytes.byteLength !== 32) throw new TypeError(`not an entry hash: ${entry.entry_hash}`);
  return leafHash(bytes);
}

function rangeLeafHashes(entries: readonly LedgerEntry[]): Uint8Array[] {
  if (entries.length === 0) throw new RangeError('an anchor needs at least one entry');
  const from = (entries[0] as LedgerEntry).seq;
  return entries.map((e, i) => {
    if (e.seq !== from + i) throw new RangeError(`entries are not contiguous: expected seq ${from + i}, got ${e.seq}`);
    return ledgerLeafHash(e);
  });
}

/** The anchor body (unsigned) over a contiguous run of entries. */
export function buildAnchorBody(entries: readonly LedgerEntry[]): AnchorBody {
  const leaves = rangeLeafHashes(entries);
  const from_seq = (entries[0] as LedgerEntry).seq;
  return {
    from_seq,
    to_seq: from_seq + leaves.length - 1,
    tree_size: leaves.length,
    root: bytesToHex(merkleRootFromLeafHashes(leaves)),
  };
}

function anchorPayload(a: Omit<SignedAnchor, 'signature'>): Uint8Array {
  const { v, from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns } = a;
  return new TextEncoder().encode(canonicalJson({ v, from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns }));
}

function bodyProblem(a: AnchorBody): string | undefined {
  if (!Number.isSafeInteger(a.from_seq) || a.from_seq < 1) return 'from_seq must be a seq >= 1';
  if (!Number.isSafeInteger(a.to_seq) || a.to_seq < a.from_seq) return 'to_seq must be >= from_seq';
  if (a.tree_size !== a.to_seq - a.from_seq + 1) return 'tree_size must equal to_seq - from_seq + 1';
  if (typeof a.root !== 'string' || !SHA256_HEX_RE.test(a.root)) return 'root must be 64 lowercase hex characters';
  return undefined;
}

export function signAnchor(body: AnchorBody, secretKey: Uint8Array, signedAtNs: bigint): SignedAnchor {
  const problem = bodyProblem(body);
  if (problem) throw new InputError([{ field: 'anchor', message: problem }]);
  const unsigned = {
    v: LEDGER_ANCHOR_DOMAIN,
    from_seq: body.from_seq,
    to_seq: body.to_seq,
    tree_size: body.tree_size,
    root: body.root,
    key_fingerprint: fingerprint(publicKeyFromSecret(secretKey)),
    signed_at_ns: signedAtNs,
  } as const;
  return { ...unsigned, signature: bytesToHex(signBytes(anchorPayload(unsigned), secretKey)) };
}

export function verifyAnchorSignature(anchor: SignedAnchor, pinnedPublicKey: Uint8Array): SignatureCheck {
  const problem = anchor.v !== LEDGER_ANCHOR_DOMAIN ? `unknown anchor version ${String(anchor.v)}` : bodyProblem(anchor);
  if (problem || typeof anchor.signed_at_ns !== 'bigint') {
    return { ok: false, problem: 'malformed_signature', message: `anchor: ${problem ?? 'signed_at_ns must be a bigint'}` };
  }
  const what = `anchor ${anchor.from_seq}..${anchor.to_seq}`;
  return checkHexSignature(anchor.signature, anchor.key_fingerprint, anchorPayload(anchor), pinnedPublicKey, what);
}

/** Does the anchor's root match these entries (the same range, recomputed)? */
export function anchorMatchesEntries(anchor: AnchorBody, entries: readonly LedgerEntry[]): boolean {
  const first = entries[0];
  if (!first || first.seq !== anchor.from_seq || entries.length !== anchor.tree_size) return false;
  try {
    return buildAnchorBody(entries).root === anchor.root;
  } catch {
    return false;
  }
}

/** Inclusion proof of entry `seq` in the anchored range given by `entries` (contiguous, from_seq first). */
export function proveEntry(entries: readonly LedgerEntry[], seq: number): EntryInclusionProof {
  const leaves = rangeLeafHashes(entries);
  const from_seq = (entries[0] as LedgerEntry).seq;
  const index = seq - from_seq;
  const entry = entries[index];
  if (!entry) throw new RangeError(`seq ${seq} is outside ${from_seq}..${from_seq + leaves.length - 1}`);
  return {
    seq,
    entry_hash: entry.entry_hash,
    from_seq,
    to_seq: from_seq + leaves.length - 1,
    tree_size: leaves.length,
    leaf_index: index,
    path: inclusionProofFromLeafHashes(index, leaves).map(bytesToHex),
  };
}

/** Check a proof against an anchor (whose signature the caller verified with the pinned key). */
export function verifyEntryProof(proof: EntryInclusionProof, anchor: AnchorBody): boolean {
  if (proof.from_seq !== anchor.from_seq || proof.tree_size !== anchor.tree_size) return false;
  if (proof.leaf_index !== proof.seq - anchor.from_seq) return false;
  const root = hexToBytes(anchor.root);
  const path = proof.path.map(hexToBytes);
  if (!root || path.some((p) => p === undefined) || !SHA256_HEX_RE.test(proof.entry_hash)) return false;
  return verifyInclusionOfHash(ledgerLeafHash(proof), proof.leaf_index, proof.tree_size, path as Uint8Array[], root);
}

export function anchorToJson(anchor: SignedAnchor): string {
  return canonicalJson(anchor);
}

/** Parse an anchor file strictly: exact key set, types checked, signed_at_ns back to bigint. */
export function anchorFromJson(text: string, source = 'anchor'): SignedAnchor {
  const bad = (message: string): InputError => new InputError([{ file: source, message }]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError([{ file: source, message: `not JSON: ${(err as Error).message}` }], { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('an anchor is a JSON object');
  const o = raw as Record<string, unknown>;
  const keys = ['from_seq', 'key_fingerprint', 'root', 'signature', 'signed_at_ns', 'to_seq', 'tree_size', 'v'];
  const got = Object.keys(o).sort();
  if (got.join(',') !== keys.join(',')) throw bad(`anchor fields must be exactly ${keys.join(', ')}`);
  if (typeof o.signed_at_ns !== 'string' || !/^(0|[1-9][0-9]*)$/.test(o.signed_at_ns)) {
    throw bad('signed_at_ns must be a decimal string');
  }
  for (const k of ['from_seq', 'to_seq', 'tree_size'] as const) {
    if (typeof o[k] !== 'number') throw bad(`${k} must be a number`);
  }
  for (const k of ['v', 'root', 'key_fingerprint', 'signature'] as const) {
    if (typeof o[k] !== 'string') throw bad(`${k} must be a string`);
  }
  return { ...(o as unknown as Omit<SignedAnchor, 'signed_at_ns'>), signed_at_ns: BigInt(o.signed_at_ns) };
}
