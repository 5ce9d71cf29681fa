/**
 * @module store/ledger-verify: `ledger verify` and the ledger half of `graph verify --run`: the chain in
 * one streaming pass against every signed head and anchor (pinned key only), then the rows against the
 * entries. The first bad seq is the smallest seq any check names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { anchorFromJson, verifyLedger, type LedgerHead, type SignedAnchor } from '../ledger/index.js';
import { iterateLedger, listAnchors, listSignedHeads, type Db } from './index.js';
import type { PinnedKey } from './ledger-key.js';
import { checkRows, type RowProblem } from './ledger-row-check.js';

export interface LedgerVerification {
  ok: boolean;
  entries: number;
  head: LedgerHead | null;
  signed_through: number | null;
  signed_heads: number;
  anchors_checked: number;
  rows_checked: number;
  first_bad_seq: number | null;
  /** The chain's problem (modified, deleted, inserted, reordered, truncated, wrong_key, ...) or a row's. */
  problem: string | null;
  message: string | null;
  row_problems: RowProblem[];
  pinned_key: { fingerprint: string; source: string };
}

export interface LedgerVerifyOptions {
  pinned: PinnedKey;
  /** Anchors found outside the store (files in --anchor-dir): checked like the recorded ones. */
  extraAnchors?: readonly SignedAnchor[];
  /** all: every row and missing rows; run: one run's rows and DAG derivation; none: chain only. */
  rows?: 'all' | 'none' | { runId: string };
}

/** Every `anchor-*.json` in a directory, parsed strictly. */
export function readAnchorDir(dir: string): SignedAnchor[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^anchor-\d+-\d+.*\.json$/.test(n)).sort();
  } catch (cause) {
    throw new InputError([{ file: dir, message: `cannot read anchor directory (${(cause as NodeJS.ErrnoException).code ?? 'error'})` }], {
      cause,
      code: 'AP_BAD_ARGS',
    });
  }
  return names.map((n) => anchorFromJson(readFileSync(join(dir, n), 'utf8'), join(dir, n)));
}

export function verifyStoreLedger(db: Db, opts: LedgerVerifyOptions): LedgerVerification {
  // One read snapshot for the chain and the rows: a writer committing meanwhile cannot split them.
  return db.transaction(() => verifyInSnapshot(db, opts))();
}

function verifyInSnapshot(db: Db, opts: LedgerVerifyOptions): LedgerVerification {
  const heads = listSignedHeads(db);
  const seen = new Set<string>();
  const anchors = [...listAnchors(db), ...(opts.extraAnchors ?? [])].filter((a) => {
    if (seen.has(a.signature)) return false;
    seen.add(a.signature);
    return true;
  });
  const base = {
    signed_heads: heads.length,
    row_problems: [] as RowProblem[],
    rows_checked: 0,
    pinned_key: { fingerprint: opts.pinned.fingerprint, source: opts.pinned.source },
  };
  const chain = verifyLedger(iterateLedger(db), { signedHeads: heads, pinnedPublicKey: opts.pinned.publicKey, anchors });
  if (chain.ok === false) {
    return {
      ...base,
      ok: false,
      entries: 0,
      head: null,
      signed_through: null,
      anchors_checked: 0,
      first_bad_seq: chain.first_bad_seq,
      problem: chain.problem,
      message: chain.message,
    };
  }
  const result: LedgerVerification = {
    ...base,
    ok: true,
    entries: chain.count,
    head: chain.head,
    signed_through: chain.signed_through,
    anchors_checked: chain.anchors_checked,
    first_bad_seq: null,
    problem: null,
    message: null,
  };
  // Every commit signs its head, so entries past the last signed head were not written by this store.
  if (chain.head && (chain.signed_through ?? 0) < chain.head.seq) {
    const from = (chain.signed_through ?? 0) + 1;
    return {
      ...result,
      ok: false,
      first_bad_seq: from,
      problem: 'missing_signature',
      message: `entries ${from}..${chain.head.seq} are covered by no signed head: they were appended outside agentprov, or their head was removed`,
    };
  }
  const mode = opts.rows ?? 'all';
  if (mode === 'none') return result;
  const rows = checkRows(db, mode === 'all' ? {} : { runId: mode.runId });
  result.rows_checked = rows.rows_checked;
  result.row_problems = rows.problems;
  const first = rows.problems[0];
  if (first) {
    result.ok = false;
    result.first_bad_seq = first.seq;
    result.problem = first.problem;
    result.message = first.message;
  }
  return result;
}
