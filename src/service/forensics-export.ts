/**
 * @module service/forensics-export: `forensics export --run ID`: all evidence of a run as JSONL files, the
 * ledger entries of its objects and the signed head, an in-toto Statement (one subject per file, sha256) in
 * a DSSE envelope, in a deterministic tar inside a signed gzip member. Redacted content stays redacted.
 */
import { writeFileSync } from 'node:fs';
import { canonicalJson, sha256Hex } from '../graph/index.js';
import {
  buildStatement,
  encodeEnvelope,
  FORENSICS_PREDICATE_TYPE,
  signStatement,
  type Ed25519KeyPair,
  type InTotoSubject,
} from '../ledger/index.js';
import { readSecretKeyFile, type EvidenceStore } from '../store/index.js';
import { writeSignedGzip } from './forensics-gzip.js';
import { writeTar, type TarFile } from './forensics-tar.js';

export const STATEMENT_FILE = 'statement.dsse.json';

export interface ForensicsPredicate {
  run_id: string;
  exported_at_ns: string;
  store_mode: string;
  ledger_head: { seq: number; entry_hash: string } | null;
  counts: Record<string, number>;
}

export interface ExportResult {
  file: string;
  bytes: number;
  key_fingerprint: string;
  key_source: string;
  subjects: InTotoSubject[];
  predicate: ForensicsPredicate;
}

function jsonl(items: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(items.map((i) => `${canonicalJson(i)}\n`).join(''));
}

export function buildBundleFiles(store: EvidenceStore, runId: string, nowNs: bigint): { files: TarFile[]; predicate: ForensicsPredicate } {
  const q = store.query;
  const head = q.latestSignedHead();
  const anchors = q.listAnchors().map(({ target: _t, ledger_seq: _s, ...a }) => a);
  const sections: [string, unknown[]][] = [
    ['scopes.jsonl', q.listScopes(runId)],
    ['events.jsonl', q.eventsOfRun(runId)],
    ['correlations.jsonl', q.correlationsOfRun(runId)],
    ['decisions.jsonl', q.decisionsOfRun(runId)],
    ['risks.jsonl', q.risksOfRun(runId)],
    ['responses.jsonl', q.responsesOfRun(runId)],
    ['dag-nodes.jsonl', q.nodesOfRun(runId)],
    ['dag-edges.jsonl', q.edgesOfRun(runId)],
    ['ledger-entries.jsonl', q.ledgerSeqsOfRun(runId).flatMap((s) => q.ledgerEntryAt(s) ?? [])],
    ['ledger-anchors.jsonl', anchors],
  ];
  const files: TarFile[] = sections.map(([name, items]) => ({ name, data: jsonl(items) }));
  files.push({ name: 'ledger-head.json', data: new TextEncoder().encode(head ? `${canonicalJson(head)}\n` : 'null\n') });
  const predicate: ForensicsPredicate = {
    run_id: runId,
    exported_at_ns: nowNs.toString(),
    store_mode: store.mode,
    ledger_head: head ? { seq: head.seq, entry_hash: head.entry_hash } : null,
    counts: Object.fromEntries(sections.map(([name, items]) => [name.replace(/\.jsonl$/, ''), items.length])),
  };
  return { files, predicate };
}

/** Writes the bundle; `signKeyFile` defaults to the store's ledger key. */
export function exportForensics(
  store: EvidenceStore,
  opts: { runId: string; out: string; signKeyFile?: string; now: () => bigint },
): ExportResult {
  const key: { pair: Ed25519KeyPair; source: string } = opts.signKeyFile
    ? { pair: readSecretKeyFile(opts.signKeyFile), source: `key file ${opts.signKeyFile}` }
    : store.signingKey();
  const { files, predicate } = store.readSnapshot(() => buildBundleFiles(store, opts.runId, opts.now()));
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  const subjects = files.map((f) => ({ name: f.name, digest: { sha256: sha256Hex(f.data) } }));
  const statement = buildStatement(subjects, FORENSICS_PREDICATE_TYPE, predicate);
  const envelope = encodeEnvelope(signStatement(statement, key.pair.secretKey));
  const tar = writeTar([...files, { name: STATEMENT_FILE, data: new TextEncoder().encode(envelope) }]);
  const bundle = writeSignedGzip(tar, key.pair.secretKey);
  writeFileSync(opts.out, bundle);
  return { file: opts.out, bytes: bundle.byteLength, key_fingerprint: key.pair.fingerprint, key_source: key.source, subjects, predicate };
}
