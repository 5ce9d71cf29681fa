/**
 * @module ledger/keys: Ed25519 key material (@noble/ed25519), fingerprints, the key text format, and
 * signing and verifying bytes against a pinned public key.
 *
 * Key text format (one line, trailing newline and surrounding whitespace ignored):
 *   secret: `agentprov-ed25519-secret:<64 lowercase hex>` (the 32-byte RFC 8032 seed)
 *   public: `agentprov-ed25519-public:<64 lowercase hex>`
 * A bare 64-hex string is accepted for either (handy in an environment variable). The prefix makes a
 * public key passed where a secret is expected (or the reverse) an error instead of a confusing failure.
 */
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { InputError } from '../errors.js';
import { bytesToHex, hexToBytes, sha256HexFast } from './encoding.js';

// @noble/ed25519 v3 ships only async methods until a sync sha512 is supplied; node:crypto's is native.
ed.hashes.sha512 = (message) => {
  const d = createHash('sha512').update(message).digest();
  const out = new Uint8Array(new ArrayBuffer(64));
  out.set(d);
  return out;
};

export const SECRET_KEY_PREFIX = 'agentprov-ed25519-secret:';
export const PUBLIC_KEY_PREFIX = 'agentprov-ed25519-public:';

export interface Ed25519KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  fingerprint: string;
}

/** A new key pair; `seed` (32 bytes) makes it deterministic, for tests and for deriving from a file. */
export function generateKeyPair(seed?: Uint8Array): Ed25519KeyPair {
  const { secretKey, publicKey } = ed.keygen(seed);
  return { secretKey, publicKey, fingerprint: fingerprint(publicKey) };
}

export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  return ed.getPublicKey(secretKey);
}

export function keyPairFromSecret(secretKey: Uint8Array): Ed25519KeyPair {
  const publicKey = publicKeyFromSecret(secretKey);
  return { secretKey, publicKey, fingerprint: fingerprint(publicKey) };
}

/** `ed25519:` + the first 16 hex of sha256(public key): names a key in signatures and logs. */
export function fingerprint(publicKey: Uint8Array): string {
  return `ed25519:${sha256HexFast(publicKey).slice(0, 16)}`;
}

export function encodeSecretKey(secretKey: Uint8Array): string {
  return `${SECRET_KEY_PREFIX}${bytesToHex(secretKey)}\n`;
}

export function encodePublicKey(publicKey: Uint8Array): string {
  return `${PUBLIC_KEY_PREFIX}${bytesToHex(publicKey)}\n`;
}

function parseKey(text: string, want: 'secret' | 'public', source: string): Uint8Array {
  const t = text.trim();
  const own = want === 'secret' ? SECRET_KEY_PREFIX : PUBLIC_KEY_PREFIX;
  const other = want === 'secret' ? PUBLIC_KEY_PREFIX : SECRET_KEY_PREFIX;
  const bad = (message: string): InputError => new InputError([{ file: source, field: `${want} key`, message }]);
  if (t.startsWith(other)) {
    throw bad(`this is an agentprov ${want === 'secret' ? 'public' : 'secret'} key, a ${want} key is needed here`);
  }
  const hex = t.startsWith(own) ? t.slice(own.length) : t;
  const bytes = hex.length === 64 ? hexToBytes(hex) : undefined;
  if (!bytes) {
    throw bad(`expected "${own}" and 64 lowercase hex characters (create one with: agentprov keys generate)`);
  }
  if (want === 'public') {
    try {
      ed.Point.fromBytes(bytes); // reject bytes that are not a curve point now, not at first verify
    } catch {
      throw bad('not a valid Ed25519 public key');
    }
  }
  return bytes;
}

/** Parse a secret key from the text format (file contents or an environment variable's value). */
export function parseSecretKey(text: string, source = 'secret key'): Uint8Array {
  return parseKey(text, 'secret', source);
}

export function parsePublicKey(text: string, source = 'public key'): Uint8Array {
  return parseKey(text, 'public', source);
}

export function signBytes(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed.sign(message, secretKey);
}

/** Why a signature did not verify; a missing signature is a failure, never a skip. */
export type SignatureProblem = 'missing_signature' | 'malformed_signature' | 'wrong_key' | 'bad_signature';

export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem; message: string };

/**
 * Strict RFC 8032 verification (zip215: false), so one message has one valid signature per key and a
 * signature binds its signer (noble's SBS property). Never throws: bad lengths come back as false.
 */
export function verifyBytes(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * Check a hex signature that claims `keyFingerprint` against the pinned key. The fingerprint is checked
 * first so "signed by another key" is told apart from "signature does not verify"; the pinned key, never
 * one carried in the data, is what the signature is verified with.
 */
export function checkHexSignature(
  signatureHex: unknown,
  keyFingerprint: unknown,
  message: Uint8Array,
  pinnedPublicKey: Uint8Array,
  what: string,
): SignatureCheck {
  if (typeof signatureHex !== 'string' || signatureHex.length === 0) {
    return { ok: false, problem: 'missing_signature', message: `${what} has no signature` };
  }
  const sig = signatureHex.length === 128 ? hexToBytes(signatureHex) : undefined;
  if (!sig) {
    return { ok: false, problem: 'malformed_signature', message: `${what}: the signature is not 128 lowercase hex characters` };
  }
  const pinned = fingerprint(pinnedPublicKey);
  if (keyFingerprint !== pinned) {
    return {
      ok: false,
      problem: 'wrong_key',
      message: `${what} is signed by ${String(keyFingerprint)}, not by the pinned key ${pinned}`,
    };
  }
  if (!verifyBytes(sig, message, pinnedPublicKey)) {
    return { ok: false, problem: 'bad_signature', message: `${what}: the signature does not verify with ${pinned}` };
  }
  return { ok: true };
}
