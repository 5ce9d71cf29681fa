/**
 * @module store/verify-data-dir: `agentprov verify`: the whole data dir in one command. The chain, every
 * signed head and anchor (pinned key only), every ledgered row, the columns that repeat a body, every DAG
 * object and every run's derivation, snapshot and file-change rows by their ids, blobs by their hash, meta,
 * and batches a killed ingest left open. `ledger verify` and `graph verify --run` are narrower views.
 *
 * Every table of the schema must say how its rows are proved (TABLE_PROOFS); one that does not fails the
 * `schema` check, so a new table cannot go unverified by accident. Tables and columns nothing can prove
 * are listed with why (UNPROVED) in the output.
 */
import { verifyAnchorSignature, verifyHeadSignature } from '../ledger/index.js';
import { NODE_KINDS, type NodeKind } from '../model/index.js';
import { listAnchors, listSignedHeads, type Db } from './index.js';
import {
  checkBatches,
  checkBlobs,
  checkBodyColumns,
  checkDagObjects,
  checkFileChanges,
  checkMeta,
  checkRedactionTargets,
  checkSnapshots,
  type CheckResult,
  type DataDirProblem,
} from './data-dir-checks.js';
import type { PinnedKey } from './ledger-key.js';
import { verifyStoreLedger } from './ledger-verify.js';
import { checkRows } from './ledger-row-check.js';
import { checkSealedRows } from './sealed-row-check.js';
import { verifyRun } from './verify-run.js';

/** How each table's rows are proved. A table missing here fails the schema check. */
export const TABLE_PROOFS: Record<string, string> = {
  meta: 'ledger_key equals the pinned key; mode equals the last mode entry of the ledger',
  ledger: 'hash chain, checked against every signed head and anchor',
  ledger_heads: 'Ed25519 signature by the pinned key',
  ledger_anchors: 'Ed25519 signature by the pinned key, Merkle root rebuilt from the entries, ledgered row',
  redactions: 'ledgered row (object hash, seq, kind)',
  ingest_batches: 'ledgered row (manifest hash, complete flag, opening seq)',
  events: 'before migration 007 only: ledgered row (body hash); columns equal the body',
  event_blocks: 'ledgered row (Merkle root over its leaves); every body hashes to its leaf',
  event_rows: 'points at a body with its id; one row per leaf; columns equal the body; kind replayed from the correlation batches',
  strings: 'ids of event row columns, which must equal the ledgered bodies',
  correlation_kinds: 'ledgered row (hash of every column but the id)',
  correlation_batches: 'ledgered row (sha256 of the pairs); replayed into every event row kind',
  scopes: 'ledgered row (body hash); columns equal the body',
  correlations: 'before migration 007 only: ledgered row (hash of every column)',
  policies: 'ledgered row (hash of every column)',
  decisions: 'ledgered row (body hash), or its leaf in a verdict batch; columns equal the body',
  risks: 'ledgered row (body hash), or its leaf in a verdict batch; columns equal the body',
  responses: 'ledgered row (body hash), or its leaf in a verdict batch; columns equal the body',
  verdict_batches: 'ledgered row (Merkle root over its leaves); every batched row hashes to its leaf; a kept leaf without its row is named',
  run_graphs: 'ledgered row (root over the run and both hash lists)',
  dag_nodes: 'content address; named by a derivation of its run',
  dag_edges: 'content address; named by a derivation of its run',
  record_snapshots: 'content address (snapshot id); columns equal the body',
  record_file_changes: 'content address (change id); columns equal the body',
  record_captures: 'sealed row (hash of every column); columns equal the body',
  record_orphans: 'sealed row (hash of every column)',
  agents: 'sealed row (hash of every column)',
  approvals: 'sealed row (hash of every column, sealed again when decided)',
  approval_steps: 'sealed row (hash of every column); a deleted step is named by its entry',
  gate_records: 'sealed row (hash of every column, sealed again when resolved)',
  containments: 'sealed row (hash of every column, sealed again on each change)',
};

/** What no check can prove, and why: a change there is not detected. */
export const UNPROVED: readonly { table: string; columns: string; why: string }[] = [
  {
    table: 'agents, approvals, gate_records, containments, record_captures, record_orphans',
    columns: 'whole rows',
    why: 'these rows change in place or are replaced, and their entries name no row: a row deleted, or put back to an earlier sealed state of itself, is not detected (every changed byte is)',
  },
  { table: 'redactions', columns: 'reason', why: 'the ledger entry records the redacted object, not the reason text' },
  { table: 'events, event_rows', columns: 'batch_id, batch', why: 'not part of the event body the ledger hashes' },
  { table: 'record_snapshots', columns: 'run_id, taken_at_ns', why: 'not part of the snapshot id' },
];

export interface DataDirCheck {
  name: string;
  ok: boolean;
  checked: number;
  problems: DataDirProblem[];
  /** Set when an earlier failure makes this check meaningless (rows are trusted only after the chain). */
  skipped?: string;
}

export interface DataDirVerification {
  ok: boolean;
  data_dir: string;
  pinned_key: { fingerprint: string; source: string } | null;
  checks: DataDirCheck[];
  problems: DataDirProblem[];
  unproved: typeof UNPROVED;
}

export interface VerifyDataDirOptions {
  dataDir: string;
  /** null: the data dir has no public key and none was given: the ledger cannot be verified (a failure). */
  pinned: PinnedKey | null;
  /** Called before each check (progress on a TTY). */
  onCheck?: (name: string) => void;
}

const SIGNATURE_PROBLEMS = new Set(['missing_signature', 'malformed_signature', 'wrong_key', 'bad_signature']);

function signatureChecks(db: Db, pinned: PinnedKey): { heads: CheckResult; anchors: CheckResult } {
  const heads: CheckResult = { checked: 0, problems: [] };
  for (const h of listSignedHeads(db)) {
    heads.checked++;
    const r = verifyHeadSignature(h, pinned.publicKey);
    if (r.ok === false) heads.problems.push({ table: 'ledger_heads', key: `seq ${h.seq}`, problem: r.problem, message: r.message, seq: h.seq });
  }
  const anchors: CheckResult = { checked: 0, problems: [] };
  for (const a of listAnchors(db)) {
    anchors.checked++;
    const r = verifyAnchorSignature(a, pinned.publicKey);
    const key = `${a.from_seq}..${a.to_seq}`;
    if (r.ok === false) anchors.problems.push({ table: 'ledger_anchors', key, problem: r.problem, message: r.message, seq: a.ledger_seq });
  }
  return { heads, anchors };
}

function chainCheck(db: Db, pinned: PinnedKey): CheckResult {
  const v = verifyStoreLedger(db, { pinned, rows: 'none' });
  if (v.ok) return { checked: v.entries, problems: [] };
  const seq = v.first_bad_seq ?? 0;
  const problem = v.problem ?? 'ledger';
  const table = problem === 'anchor_mismatch' ? 'ledger_anchors' : SIGNATURE_PROBLEMS.has(problem) ? 'ledger_heads' : 'ledger';
  return { checked: v.entries, problems: [{ table, key: `seq ${seq}`, problem, message: v.message ?? '', seq }] };
}

/** Each run's latest derivation: parents and edge ends present, edge kinds right, DAG copies equal the rows. */
function runsCheck(db: Db): CheckResult {
  const out: CheckResult = { checked: 0, problems: [] };
  const runs = db.prepare('SELECT DISTINCT run_id FROM run_graphs ORDER BY run_id').pluck().all() as string[];
  for (const runId of runs) {
    out.checked++;
    for (const p of verifyRun(db, runId).problems) {
      // row_* problems name the row's table first in their detail ("events <id> differs from the DAG").
      const rowTable = p.problem.startsWith('row_') ? (p.detail ?? '').split(' ')[0] : '';
      const table = rowTable || (NODE_KINDS.includes(p.kind as NodeKind) ? 'dag_nodes' : 'dag_edges');
      out.problems.push({ table, key: p.hash, problem: p.problem, message: `run ${runId}: ${p.kind} ${p.hash}: ${p.detail ?? p.problem}` });
    }
  }
  return out;
}

function schemaCheck(db: Db): CheckResult {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  const problems = tables
    .filter((t) => TABLE_PROOFS[t] === undefined)
    .map((t) => ({ table: t, key: '*', problem: 'unchecked_table', message: `table ${t} has no verification: agentprov verify cannot prove its rows` }));
  return { checked: tables.length, problems };
}

export function verifyDataDir(db: Db, opts: VerifyDataDirOptions): DataDirVerification {
  const checks: DataDirCheck[] = [];
  const run = (name: string, fn: () => CheckResult): CheckResult => {
    opts.onCheck?.(name);
    const r = fn();
    checks.push({ name, ok: r.problems.length === 0, checked: r.checked, problems: r.problems });
    return r;
  };
  const skip = (name: string, why: string): void => {
    checks.push({ name, ok: false, checked: 0, problems: [], skipped: why });
  };
  run('schema', () => schemaCheck(db));
  const pinned = opts.pinned;
  if (pinned === null) {
    run('signed heads', () => ({
      checked: 0,
      problems: [{ table: 'ledger_heads', key: '*', problem: 'missing_key', message: 'no public key to verify the ledger with: the data dir has no keys/ledger.ed25519.pub (pass --pub FILE|HEX)' }],
    }));
    for (const name of ['anchors', 'chain', 'ledgered rows', 'sealed rows', 'redaction targets']) skip(name, 'no pinned key');
  } else {
    const sig = signatureChecks(db, pinned);
    run('signed heads', () => sig.heads);
    run('anchors', () => sig.anchors);
    const chain = sig.heads.problems.length + sig.anchors.problems.length === 0 ? run('chain', () => chainCheck(db, pinned)) : (skip('chain', 'a signature failed'), null);
    if (chain && chain.problems.length === 0) {
      run('ledgered rows', () => {
        const r = checkRows(db);
        return { checked: r.rows_checked, problems: r.problems.map((p) => ({ table: p.table, key: p.key, problem: p.problem, message: p.message, seq: p.seq })) };
      });
      run('sealed rows', () => checkSealedRows(db));
      run('redaction targets', () => checkRedactionTargets(db));
    } else {
      for (const name of ['ledgered rows', 'sealed rows', 'redaction targets']) skip(name, 'the chain did not verify: its entries cannot vouch for rows');
    }
  }
  run('body columns', () => checkBodyColumns(db));
  run('dag objects', () => checkDagObjects(db));
  run('run graphs', () => runsCheck(db));
  let stored = new Map<string, string>();
  run('snapshots', () => {
    const r = checkSnapshots(db);
    stored = r.stored_blobs;
    return r;
  });
  run('file changes', () => checkFileChanges(db));
  run('blobs', () => checkBlobs(opts.dataDir, stored));
  run('meta', () => checkMeta(db, pinned?.fingerprint ?? null));
  run('batches', () => checkBatches(db));
  const problems = checks.flatMap((c) => c.problems);
  return {
    ok: checks.every((c) => c.ok),
    data_dir: opts.dataDir,
    pinned_key: pinned ? { fingerprint: pinned.fingerprint, source: pinned.source } : null,
    checks,
    problems,
    unproved: UNPROVED,
  };
}
