/**
 * @module ledger/dsse: in-toto Statement v1 in a DSSE envelope, signed with Ed25519 over the DSSE
 * pre-authentication encoding (PAE), for forensics bundles that verify offline with only a public key.
 *
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = byte length in ASCII
 * decimal. `keyid` is our key fingerprint. The envelope file is canonical JSON; `parseEnvelope` accepts
 * only that exact text (plus at most one trailing newline), so no byte of it can change unnoticed.
 */
import { InputError } from '../errors.js';
import { canonicalJson } from '../graph/index.js';
import { base64ToBytes, bytesToBase64, SHA256_HEX_RE } from './encoding.js';
import { fingerprint, publicKeyFromSecret, signBytes, verifyBytes, type SignatureProblem } from './keys.js';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const INTOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const FORENSICS_PREDICATE_TYPE = 'https://agentprov.dev/forensics/v1';

export interface InTotoSubject {
  name: string;
  digest: { sha256: string };
}

export interface InTotoStatement<P = unknown> {
  _type: typeof INTOTO_STATEMENT_TYPE;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: P;
}

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export type DsseProblem = SignatureProblem | 'malformed_envelope' | 'wrong_payload_type' | 'bad_statement';

export type DsseCheck =
  | { ok: true; payloadType: string; payload: Uint8Array; keyid: string }
  | { ok: false; problem: DsseProblem; message: string };

const utf8 = new TextEncoder();

export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8.encode(payloadType);
  const head = utf8.encode(`DSSEv1 ${type.byteLength} `);
  const mid = utf8.encode(` ${payload.byteLength} `);
  const out = new Uint8Array(head.byteLength + type.byteLength + mid.byteLength + payload.byteLength);
  out.set(head, 0);
  out.set(type, head.byteLength);
  out.set(mid, head.byteLength + type.byteLength);
  out.set(payload, head.byteLength + type.byteLength + mid.byteLength);
  return out;
}

export function buildStatement<P>(subject: InTotoSubject[], predicateType: string, predicate: P): InTotoStatement<P> {
  const names = new Set<string>();
  const issues = subject.flatMap((s, i) => {
    const out: { field: string; message: string }[] = [];
    if (typeof s.name !== 'string' || s.name.length === 0 || names.has(s.name)) {
      out.push({ field: `subject[${i}].name`, message: 'must be a non-empty, unique name' });
    }
    names.add(s.name);
    if (!SHA256_HEX_RE.test(s.digest?.sha256 ?? '')) {
      out.push({ field: `subject[${i}].digest.sha256`, message: 'must be 64 lowercase hex characters' });
    }
    return out;
  });
  if (subject.length === 0) issues.push({ field: 'subject', message: 'a statement needs at least one subject' });
  if (issues.length > 0) throw new InputError(issues.map((i) => ({ file: 'in-toto statement', ...i })));
  return { _type: INTOTO_STATEMENT_TYPE, subject, predicateType, predicate };
}

export function signDsse(payload: Uint8Array, payloadType: string, secretKey: Uint8Array): DsseEnvelope {
  const keyid = fingerprint(publicKeyFromSecret(secretKey));
  const sig = signBytes(pae(payloadType, payload), secretKey);
  return { payload: bytesToBase64(payload), payloadType, signatures: [{ keyid, sig: bytesToBase64(sig) }] };
}

/** Sign a statement; its payload is the statement's canonical JSON, so the same statement signs the same. */
export function signStatement(statement: InTotoStatement, secretKey: Uint8Array): DsseEnvelope {
  return signDsse(utf8.encode(canonicalJson(statement)), INTOTO_PAYLOAD_TYPE, secretKey);
}

function bad(problem: DsseProblem, message: string): DsseCheck {
  return { ok: false, problem, message };
}

/** Verify an envelope with the pinned key only; at least one signature must be by it and valid. */
export function verifyDsse(envelope: unknown, pinnedPublicKey: Uint8Array): DsseCheck {
  if (typeof envelope !== 'object' || envelope === null) return bad('malformed_envelope', 'the envelope is not an object');
  const env = envelope as Partial<Record<keyof DsseEnvelope, unknown>>;
  if (typeof env.payloadType !== 'string' || typeof env.payload !== 'string') {
    return bad('malformed_envelope', 'the envelope needs string payloadType and payload');
  }
  const payload = base64ToBytes(env.payload);
  if (!payload) return bad('malformed_envelope', 'the payload is not canonical base64');
  if (!Array.isArray(env.signatures) || env.signatures.length === 0) {
    return bad('missing_signature', 'the envelope has no signatures');
  }
  const pinned = fingerprint(pinnedPublicKey);
  const mine = (env.signatures as unknown[]).filter(
    (s): s is DsseSignature => typeof s === 'object' && s !== null && (s as DsseSignature).keyid === pinned,
  );
  if (mine.length === 0) {
    const ids = (env.signatures as unknown[]).map((s) => String((s as DsseSignature | null)?.keyid)).join(', ');
    return bad('wrong_key', `the envelope is signed by ${ids}, not by the pinned key ${pinned}`);
  }
  const message = pae(env.payloadType, payload);
  for (const s of mine) {
    if (typeof s.sig !== 'string' || s.sig.length === 0) return bad('missing_signature', `the signature by ${pinned} is empty`);
    const sig = base64ToBytes(s.sig);
    if (!sig || sig.byteLength !== 64) return bad('malformed_signature', `the signature by ${pinned} is not 64 bytes of canonical base64`);
    if (verifyBytes(sig, message, pinnedPublicKey)) return { ok: true, payloadType: env.payloadType, payload, keyid: pinned };
  }
  return bad('bad_signature', `the envelope's signature does not verify with ${pinned}`);
}

export type StatementCheck = { ok: true; statement: InTotoStatement; keyid: string } | Extract<DsseCheck, { ok: false }>;

/** Verify the envelope, then check it carries an in-toto Statement v1 with well-formed subjects. */
export function verifyStatementEnvelope(envelope: unknown, pinnedPublicKey: Uint8Array): StatementCheck {
  const r = verifyDsse(envelope, pinnedPublicKey);
  if (r.ok === false) return r;
  if (r.payloadType !== INTOTO_PAYLOAD_TYPE) {
    return { ok: false, problem: 'wrong_payload_type', message: `payloadType is ${r.payloadType}, expected ${INTOTO_PAYLOAD_TYPE}` };
  }
  let st: unknown;
  try {
    st = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.payload));
  } catch {
    return { ok: false, problem: 'bad_statement', message: 'the payload is not UTF-8 JSON' };
  }
  const s = st as Partial<InTotoStatement> | null;
  const subjectsOk =
    Array.isArray(s?.subject) &&
    s.subject.length > 0 &&
    s.subject.every((x) => typeof x?.name === 'string' && SHA256_HEX_RE.test(x?.digest?.sha256 ?? ''));
  if (s?._type !== INTOTO_STATEMENT_TYPE || typeof s.predicateType !== 'string' || !subjectsOk) {
    return { ok: false, problem: 'bad_statement', message: 'the payload is not an in-toto Statement v1 with sha256 subjects' };
  }
  return { ok: true, statement: s as InTotoStatement, keyid: r.keyid };
}

/**
 * Compare a statement's subjects with the files actually present (name -> sha256 hex). Returns one line
 * per problem; empty means every subject is present with its digest and no unlisted file is present.
 */
export function checkSubjects(statement: InTotoStatement, files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const s of statement.subject) {
    listed.add(s.name);
    const got = files.get(s.name);
    if (got === undefined) problems.push(`${s.name}: listed in the statement but missing`);
    else if (got !== s.digest.sha256) problems.push(`${s.name}: sha256 ${got} differs from the signed ${s.digest.sha256}`);
  }
  for (const name of files.keys()) if (!listed.has(name)) problems.push(`${name}: present but not in the signed statement`);
  return problems;
}

export function encodeEnvelope(envelope: DsseEnvelope): string {
  return canonicalJson({ payload: envelope.payload, payloadType: envelope.payloadType, signatures: envelope.signatures });
}

/** Parse an envelope file: only the canonical text `encodeEnvelope` writes (optionally plus "\n"). */
export function parseEnvelope(text: string, source = 'envelope'): DsseEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError([{ file: source, message: `not JSON: ${(err as Error).message}` }], { cause: err });
  }
  const canon = canonicalJson(raw);
  if (text !== canon && text !== `${canon}\n`) {
    throw new InputError([{ file: source, message: 'not in canonical form: the file was edited after signing' }]);
  }
  const o = raw as Record<string, unknown>;
  const keysOk = typeof o === 'object' && o !== null && Object.keys(o).sort().join(',') === 'payload,payloadType,signatures';
  const sigsOk =
    Array.isArray(o?.signatures) &&
    o.signatures.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        Object.keys(s).sort().join(',') === 'keyid,sig' &&
        typeof (s as DsseSignature).keyid === 'string' &&
        typeof (s as DsseSignature).sig === 'string',
    );
  if (!keysOk || !sigsOk || typeof o.payload !== 'string' || typeof o.payloadType !== 'string') {
    throw new InputError([{ file: source, message: 'a DSSE envelope is {payload, payloadType, signatures: [{keyid, sig}]}' }]);
  }
  return o as unknown as DsseEnvelope;
}
