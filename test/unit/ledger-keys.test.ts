import { describe, expect, it } from 'vitest';
import { InputError, VerifyError } from '../../src/errors.js';
import { sha256Hex } from '../../src/graph/index.js';
import {
  assertHeadSignature,
  bytesToHex,
  encodePublicKey,
  encodeSecretKey,
  fingerprint,
  generateKeyPair,
  hexToBytes,
  keyPairFromSecret,
  parsePublicKey,
  parseSecretKey,
  signBytes,
  signHead,
  verifyBytes,
  verifyHeadSignature,
  type SignedHead,
} from '../../src/ledger/index.js';

// RFC 8032 section 7.1, TEST 1 (empty message).
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

const key = generateKeyPair(new Uint8Array(32).fill(7));
const other = generateKeyPair(new Uint8Array(32).fill(9));
const head = { seq: 1000, entry_hash: sha256Hex('head') };

describe('ledger keys', () => {
  it('signs like RFC 8032 Ed25519 (test vector 1), synchronously', () => {
    const pair = keyPairFromSecret(hexToBytes(RFC_SECRET) as Uint8Array);
    expect(bytesToHex(pair.publicKey)).toBe(RFC_PUBLIC);
    const sig = signBytes(new Uint8Array(0), pair.secretKey);
    expect(bytesToHex(sig)).toBe(RFC_SIG);
    expect(verifyBytes(sig, new Uint8Array(0), pair.publicKey)).toBe(true);
    expect(verifyBytes(sig, new Uint8Array([0]), pair.publicKey)).toBe(false);
    expect(verifyBytes(sig.slice(0, 63), new Uint8Array(0), pair.publicKey)).toBe(false);
  });

  it('generates a fresh key each time without a seed, and a fingerprint of sha256(pub)', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(bytesToHex(a.secretKey)).not.toBe(bytesToHex(b.secretKey));
    expect(a.fingerprint).toMatch(/^ed25519:[0-9a-f]{16}$/);
    expect(fingerprint(a.publicKey)).toBe(`ed25519:${sha256Hex(a.publicKey).slice(0, 16)}`);
  });

  it('round-trips the key text format and accepts bare hex (environment variable)', () => {
    expect(encodeSecretKey(key.secretKey)).toMatch(/^agentprov-ed25519-secret:[0-9a-f]{64}\n$/);
    expect(parseSecretKey(encodeSecretKey(key.secretKey))).toEqual(key.secretKey);
    expect(parsePublicKey(encodePublicKey(key.publicKey))).toEqual(key.publicKey);
    expect(parseSecretKey(`  ${bytesToHex(key.secretKey)}\n`)).toEqual(key.secretKey);
  });

  it('refuses a public key where a secret is needed, bad hex, and bytes that are not a curve point', () => {
    expect(() => parseSecretKey(encodePublicKey(key.publicKey), 'AGENTPROV_LEDGER_KEY')).toThrow(/AGENTPROV_LEDGER_KEY.*public key/);
    expect(() => parsePublicKey(encodeSecretKey(key.secretKey))).toThrow(InputError);
    expect(() => parseSecretKey(RFC_SECRET.toUpperCase())).toThrow(/64 lowercase hex/);
    expect(() => parseSecretKey('agentprov-ed25519-secret:abcd')).toThrow(InputError);
    expect(() => parsePublicKey('ff'.repeat(32))).toThrow(/not a valid Ed25519 public key/);
  });
});

describe('signed ledger heads', () => {
  const signed = signHead(head, key.secretKey, 1_700_000_000_123_456_789n);

  it('names the key and verifies with the pinned public key', () => {
    expect(signed).toMatchObject({ seq: 1000, entry_hash: head.entry_hash, key_fingerprint: key.fingerprint });
    expect(signed.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(verifyHeadSignature(signed, key.publicKey)).toEqual({ ok: true });
    expect(() => assertHeadSignature(signed, key.publicKey)).not.toThrow();
  });

  it('fails, never skips, on a missing or empty signature', () => {
    expect(verifyHeadSignature(null, key.publicKey)).toMatchObject({ ok: false, problem: 'missing_signature' });
    expect(verifyHeadSignature({ ...signed, signature: '' }, key.publicKey)).toMatchObject({ ok: false, problem: 'missing_signature' });
    const noSig = { ...signed } as Partial<SignedHead>;
    delete noSig.signature;
    expect(verifyHeadSignature(noSig as SignedHead, key.publicKey)).toMatchObject({ ok: false, problem: 'missing_signature' });
  });

  it('fails against another pinned key, naming both fingerprints', () => {
    const r = verifyHeadSignature(signed, other.publicKey);
    expect(r).toMatchObject({ ok: false, problem: 'wrong_key' });
    expect(!r.ok && r.message).toContain(other.fingerprint);
    expect(!r.ok && r.message).toContain(key.fingerprint);
  });

  it('fails when another key signed but claims the pinned fingerprint', () => {
    const forged = signHead(head, other.secretKey, signed.signed_at_ns);
    expect(verifyHeadSignature({ ...forged, key_fingerprint: key.fingerprint }, key.publicKey)).toMatchObject({ ok: false, problem: 'bad_signature' });
  });

  it('covers every field: seq, hash, time and signer', () => {
    const cases: SignedHead[] = [
      { ...signed, seq: 999 },
      { ...signed, entry_hash: sha256Hex('other') },
      { ...signed, signed_at_ns: signed.signed_at_ns + 1n },
      { ...signed, signature: signed.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
    ];
    for (const c of cases) expect(verifyHeadSignature(c, key.publicKey)).toMatchObject({ ok: false, problem: 'bad_signature' });
    expect(verifyHeadSignature({ ...signed, signature: 'zz' }, key.publicKey)).toMatchObject({ ok: false, problem: 'malformed_signature' });
  });

  it('throws a VerifyError naming the seq in the asserting form', () => {
    try {
      assertHeadSignature({ ...signed, signature: '' }, key.publicKey);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as VerifyError).firstBadSeq).toBe(1000);
      expect((err as VerifyError).code).toBe('AP_VERIFY_FAILED');
    }
  });
});
