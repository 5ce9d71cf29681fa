import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { sha256Hex } from '../../src/graph/index.js';
import {
  buildStatement,
  bytesToBase64,
  checkSubjects,
  encodeEnvelope,
  FORENSICS_PREDICATE_TYPE,
  generateKeyPair,
  INTOTO_PAYLOAD_TYPE,
  pae,
  parseEnvelope,
  signDsse,
  signStatement,
  verifyDsse,
  verifyStatementEnvelope,
  type DsseEnvelope,
} from '../../src/ledger/index.js';

const key = generateKeyPair(new Uint8Array(32).fill(5));
const other = generateKeyPair(new Uint8Array(32).fill(6));
const statement = buildStatement(
  [
    { name: 'events.jsonl', digest: { sha256: sha256Hex('events') } },
    { name: 'ledger.jsonl', digest: { sha256: sha256Hex('ledger') } },
  ],
  FORENSICS_PREDICATE_TYPE,
  { run_id: 'run-1', ledger: { from_seq: 1, to_seq: 40 } },
);
const envelope = signStatement(statement, key.secretKey);

describe('DSSE envelope with an in-toto Statement', () => {
  it('encodes PAE as the DSSE spec example does', () => {
    const got = new TextDecoder().decode(pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world')));
    expect(got).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    expect(new TextDecoder().decode(pae('t', new TextEncoder().encode('é')))).toBe('DSSEv1 1 t 2 é'); // bytes, not chars
  });

  it('round-trips: sign, write, parse, verify with the pinned public key', () => {
    expect(envelope.payloadType).toBe(INTOTO_PAYLOAD_TYPE);
    expect(envelope.signatures).toEqual([{ keyid: key.fingerprint, sig: expect.any(String) }]);
    const parsed = parseEnvelope(`${encodeEnvelope(envelope)}\n`);
    const r = verifyStatementEnvelope(parsed, key.publicKey);
    expect(r).toMatchObject({ ok: true, keyid: key.fingerprint });
    expect(r.ok && r.statement).toEqual(statement);
    expect(r.ok && r.statement._type).toBe('https://in-toto.io/Statement/v1');
  });

  it('fails on any single changed byte of the envelope file', () => {
    const text = encodeEnvelope(envelope);
    let checked = 0;
    for (let i = 0; i < text.length; i++) {
      const flipped = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
      let ok = false;
      try {
        ok = verifyStatementEnvelope(parseEnvelope(flipped), key.publicKey).ok;
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
      }
      expect(ok, `byte ${i} ('${text[i]}') changed and still verified`).toBe(false);
      checked++;
    }
    expect(checked).toBe(text.length);
  });

  it('fails with the wrong key, no signature, an empty one, or a forged keyid', () => {
    expect(verifyDsse(envelope, other.publicKey)).toMatchObject({ ok: false, problem: 'wrong_key' });
    expect(verifyDsse({ ...envelope, signatures: [] }, key.publicKey)).toMatchObject({ ok: false, problem: 'missing_signature' });
    expect(verifyDsse({ ...envelope, signatures: [{ keyid: key.fingerprint, sig: '' }] }, key.publicKey)).toMatchObject({
      ok: false,
      problem: 'missing_signature',
    });
    const byOther = signStatement(statement, other.secretKey);
    const forged: DsseEnvelope = { ...byOther, signatures: [{ keyid: key.fingerprint, sig: (byOther.signatures[0] as { sig: string }).sig }] };
    expect(verifyDsse(forged, key.publicKey)).toMatchObject({ ok: false, problem: 'bad_signature' });
  });

  it('binds the payload type (PAE) and refuses non-canonical base64', () => {
    expect(verifyDsse({ ...envelope, payloadType: 'application/json' }, key.publicKey)).toMatchObject({ ok: false, problem: 'bad_signature' });
    const raw = signDsse(new Uint8Array([0xff]), 'x', key.secretKey); // payload "/w=="
    expect(verifyDsse(raw, key.publicKey).ok).toBe(true);
    expect(verifyDsse({ ...raw, payload: '/x==' }, key.publicKey)).toMatchObject({ ok: false, problem: 'malformed_envelope' });
  });

  it('refuses a validly signed payload that is not an in-toto statement', () => {
    const env = signDsse(new TextEncoder().encode('{"hello":1}'), INTOTO_PAYLOAD_TYPE, key.secretKey);
    expect(verifyStatementEnvelope(env, key.publicKey)).toMatchObject({ ok: false, problem: 'bad_statement' });
    const plain = signDsse(new TextEncoder().encode(bytesToBase64(new Uint8Array([1]))), 'text/plain', key.secretKey);
    expect(verifyStatementEnvelope(plain, key.publicKey)).toMatchObject({ ok: false, problem: 'wrong_payload_type' });
  });

  it('checks bundle files against the signed subjects', () => {
    const files = new Map([
      ['events.jsonl', sha256Hex('events')],
      ['ledger.jsonl', sha256Hex('ledger')],
    ]);
    expect(checkSubjects(statement, files)).toEqual([]);
    files.set('ledger.jsonl', sha256Hex('changed'));
    files.set('extra.txt', sha256Hex('x'));
    files.delete('events.jsonl');
    expect(checkSubjects(statement, files)).toEqual([
      'events.jsonl: listed in the statement but missing',
      `ledger.jsonl: sha256 ${sha256Hex('changed')} differs from the signed ${sha256Hex('ledger')}`,
      'extra.txt: present but not in the signed statement',
    ]);
  });

  it('refuses a statement without subjects or with a bad digest', () => {
    expect(() => buildStatement([], FORENSICS_PREDICATE_TYPE, {})).toThrow(InputError);
    expect(() => buildStatement([{ name: 'a', digest: { sha256: 'abc' } }], FORENSICS_PREDICATE_TYPE, {})).toThrow(/digest/);
  });
});
