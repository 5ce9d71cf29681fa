/**
 * @module ledger/signed-head: Ed25519 signatures over a ledger head (seq and hash of the last entry).
 *
 * The signed message is the canonical JSON of {v, seq, entry_hash, key_fingerprint, signed_at_ns}: every
 * field of the record is covered, so neither the claimed signer nor the signing time can be edited later.
 * The store signs a head per committed batch, not per entry.
 */
import { VerifyError } from '../errors.js';
import { canonicalJson } from '../graph/index.js';
import type { LedgerHead } from './entry.js';
import { bytesToHex, SHA256_HEX_RE } from './encoding.js';
import { checkHexSignature, fingerprint, publicKeyFromSecret, signBytes, type SignatureCheck } from './keys.js';

export const LEDGER_HEAD_DOMAIN = 'agentprov.ledger-head/v1';

export interface SignedHead {
  seq: number;
  entry_hash: string;
  key_fingerprint: string;
  /** Hex of the 64-byte Ed25519 signature. */
  signature: string;
  signed_at_ns: bigint;
}

export function headSigningPayload(h: Omit<SignedHead, 'signature'>): Uint8Array {
  return new TextEncoder().encode(
    canonicalJson({
      v: LEDGER_HEAD_DOMAIN,
      seq: h.seq,
      entry_hash: h.entry_hash,
      key_fingerprint: h.key_fingerprint,
      signed_at_ns: h.signed_at_ns,
    }),
  );
}

/** Sign a head. `signedAtNs` comes from the caller's clock (core code reads no clock). */
export function signHead(head: LedgerHead, secretKey: Uint8Array, signedAtNs: bigint): SignedHead {
  if (!Number.isSafeInteger(head.seq) || head.seq < 1 || !SHA256_HEX_RE.test(head.entry_hash)) {
    throw new TypeError(`signHead: not a ledger head: seq ${head.seq}`);
  }
  const body = {
    seq: head.seq,
    entry_hash: head.entry_hash,
    key_fingerprint: fingerprint(publicKeyFromSecret(secretKey)),
    signed_at_ns: signedAtNs,
  };
  return { ...body, signature: bytesToHex(signBytes(headSigningPayload(body), secretKey)) };
}

/** Verify a signed head with the pinned key: a missing or empty signature fails, it is never skipped. */
export function verifyHeadSignature(sig: SignedHead | null | undefined, pinnedPublicKey: Uint8Array): SignatureCheck {
  if (sig === null || sig === undefined) {
    return { ok: false, problem: 'missing_signature', message: 'the ledger head has no signature record' };
  }
  if (
    !Number.isSafeInteger(sig.seq) ||
    typeof sig.entry_hash !== 'string' ||
    typeof sig.key_fingerprint !== 'string' ||
    typeof sig.signed_at_ns !== 'bigint'
  ) {
    return { ok: false, problem: 'malformed_signature', message: 'the signed head record lacks a field or has one of the wrong type' };
  }
  return checkHexSignature(sig.signature, sig.key_fingerprint, headSigningPayload(sig), pinnedPublicKey, `ledger head ${sig.seq}`);
}

/** The throwing form for callers that stop at the first failure (CLI `ledger verify`). */
export function assertHeadSignature(sig: SignedHead | null | undefined, pinnedPublicKey: Uint8Array): void {
  const r = verifyHeadSignature(sig, pinnedPublicKey);
  if (r.ok === false) throw new VerifyError(r.message, sig ? { firstBadSeq: sig.seq } : {});
}
