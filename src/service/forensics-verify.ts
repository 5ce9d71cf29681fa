/**
 * @module service/forensics-verify: `forensics verify BUNDLE --pub KEY`, offline, with nothing but the
 * public key: the signed gzip member, the exact tar form, the DSSE envelope and its in-toto Statement, every
 * file against its subject digest, the signed ledger head, and each bundled ledger entry's hash.
 */
import { VerifyError } from '../errors.js';
import { sha256Hex } from '../graph/index.js';
import {
  checkSubjects,
  computeEntryHash,
  FORENSICS_PREDICATE_TYPE,
  parseEnvelope,
  verifyHeadSignature,
  verifyStatementEnvelope,
  type SignedHead,
} from '../ledger/index.js';
import type { PinnedKey } from './ledger-keys.js';
import { STATEMENT_FILE, type ForensicsPredicate } from './forensics-export.js';
import { readSignedGzip } from './forensics-gzip.js';
import { readTar } from './forensics-tar.js';

export interface BundleVerification {
  run_id: string;
  files: { name: string; sha256: string; bytes: number }[];
  key_fingerprint: string;
  pinned_source: string;
  ledger_head: { seq: number; entry_hash: string; key_fingerprint: string; verified_with: string | null } | null;
  ledger_entries: number;
  predicate: ForensicsPredicate;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(data: Uint8Array, name: string): string {
  try {
    return utf8.decode(data);
  } catch {
    throw new VerifyError(`bundle: ${name} is not UTF-8`);
  }
}

function parseJson(line: string, where: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new VerifyError(`bundle: ${where} is not JSON`);
  }
}

/**
 * The ledger head is signed by the store's ledger key, which may differ from the key that signed the bundle
 * (`--sign-key`): it is verified with the ledger key when given, else with the bundle key when it names that
 * key; a head by a third key is reported as unverified (its bytes are still covered by the statement).
 */
function checkHead(data: Uint8Array, pinned: PinnedKey, ledgerKey: PinnedKey | undefined): BundleVerification['ledger_head'] {
  const raw = text(data, 'ledger-head.json').trim();
  if (raw === 'null') return null;
  const o = parseJson(raw, 'ledger-head.json');
  if (typeof o.signed_at_ns !== 'string' || !/^\d+$/.test(o.signed_at_ns)) throw new VerifyError('bundle: ledger-head.json: signed_at_ns must be a decimal string');
  const head = { ...o, signed_at_ns: BigInt(o.signed_at_ns) } as unknown as SignedHead;
  const key = ledgerKey ?? (head.key_fingerprint === pinned.fingerprint ? pinned : undefined);
  const base = { seq: head.seq, entry_hash: head.entry_hash, key_fingerprint: String(head.key_fingerprint) };
  if (!key) return { ...base, verified_with: null };
  const r = verifyHeadSignature(head, key.publicKey);
  if (r.ok === false) throw new VerifyError(`bundle: ledger-head.json: ${r.message}`, { firstBadSeq: head.seq });
  return { ...base, verified_with: key.fingerprint };
}

function checkEntries(data: Uint8Array): number {
  const lines = text(data, 'ledger-entries.jsonl').split('\n').filter((l) => l.length > 0);
  for (const [i, line] of lines.entries()) {
    const e = parseJson(line, `ledger-entries.jsonl line ${i + 1}`);
    if (typeof e.time_ns !== 'string' || !/^\d+$/.test(e.time_ns) || typeof e.seq !== 'number') {
      throw new VerifyError(`bundle: ledger-entries.jsonl line ${i + 1}: malformed entry`);
    }
    const body = { seq: e.seq, prev_hash: String(e.prev_hash), object_hash: String(e.object_hash), kind: String(e.kind), time_ns: BigInt(e.time_ns) };
    if (computeEntryHash(body) !== e.entry_hash) {
      throw new VerifyError(`bundle: ledger entry ${e.seq} does not match its hash`, { firstBadSeq: e.seq });
    }
  }
  return lines.length;
}

export function verifyForensicsBundle(bytes: Uint8Array, pinned: PinnedKey, ledgerKey?: PinnedKey): BundleVerification {
  const tar = readSignedGzip(bytes, pinned.publicKey, pinned.fingerprint);
  const files = readTar(tar);
  const envFile = files.find((f) => f.name === STATEMENT_FILE);
  if (!envFile) throw new VerifyError(`bundle: ${STATEMENT_FILE} is missing`);
  let envelope;
  try {
    envelope = parseEnvelope(text(envFile.data, STATEMENT_FILE), STATEMENT_FILE);
  } catch (err) {
    throw new VerifyError(`bundle: ${(err as Error).message}`);
  }
  const st = verifyStatementEnvelope(envelope, pinned.publicKey);
  if (st.ok === false) throw new VerifyError(`bundle: ${STATEMENT_FILE}: ${st.message}`);
  if (st.statement.predicateType !== FORENSICS_PREDICATE_TYPE) {
    throw new VerifyError(`bundle: predicateType is ${st.statement.predicateType}, expected ${FORENSICS_PREDICATE_TYPE}`);
  }
  const others = files.filter((f) => f.name !== STATEMENT_FILE);
  const digests = new Map(others.map((f) => [f.name, sha256Hex(f.data)]));
  const problems = checkSubjects(st.statement, digests);
  if (problems.length > 0) throw new VerifyError(`bundle: ${problems.join('; ')}`);
  const byName = new Map(others.map((f) => [f.name, f.data]));
  const headData = byName.get('ledger-head.json');
  const entryData = byName.get('ledger-entries.jsonl');
  if (!headData || !entryData) throw new VerifyError('bundle: ledger-head.json or ledger-entries.jsonl is missing');
  const predicate = st.statement.predicate as ForensicsPredicate;
  return {
    run_id: predicate.run_id,
    files: others.map((f) => ({ name: f.name, sha256: digests.get(f.name) as string, bytes: f.data.byteLength })),
    key_fingerprint: st.keyid,
    pinned_source: pinned.source,
    ledger_head: checkHead(headData, pinned, ledgerKey),
    ledger_entries: checkEntries(entryData),
    predicate,
  };
}
