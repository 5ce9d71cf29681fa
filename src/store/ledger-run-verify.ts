/**
 * @module store/ledger-run-verify: `graph verify --run` = the DAG and row checks of verify-run plus the
 * ledger: the whole chain (signed heads, anchors, pinned key) and every ledgered row of the run, so a row
 * or ledger edit is named by its first bad seq as well as by object.
 */
import { GENESIS_PREV_HASH } from '../ledger/index.js';
import { ledgerEntryAt, type Db } from './index.js';
import type { PinnedKey } from './ledger-key.js';
import { verifyStoreLedger, type LedgerVerification } from './ledger-verify.js';
import { verifyRun, type RunVerification, type VerifyProblem } from './verify-run.js';

export interface RunLedgerProblem extends VerifyProblem {
  seq?: number;
}

export interface RunLedgerVerification extends RunVerification {
  problems: RunLedgerProblem[];
  first_bad_seq: number | null;
  ledger: Omit<LedgerVerification, 'row_problems'>;
}

/** `pinned` null: no key to pin (a store copied without its keys/): the ledger cannot be verified, which fails. */
export function verifyRunWithLedger(db: Db, runId: string, pinned: PinnedKey | null): RunLedgerVerification {
  const dag = verifyRun(db, runId);
  const led: LedgerVerification = pinned ? verifyStoreLedger(db, { pinned, rows: { runId } }) : unverifiable();
  const problems: RunLedgerProblem[] = [...dag.problems];
  const hashAt = (seq: number | null): string => (seq !== null ? (ledgerEntryAt(db, seq)?.entry_hash ?? GENESIS_PREV_HASH) : GENESIS_PREV_HASH);
  if (!led.ok && led.row_problems.length === 0) {
    // The chain or a signature failed: one problem naming the first bad seq.
    problems.push({
      hash: hashAt(led.first_bad_seq),
      kind: 'ledger',
      problem: led.problem ?? 'ledger',
      detail: led.first_bad_seq !== null ? `seq ${led.first_bad_seq}: ${led.message ?? ''}` : (led.message ?? ''),
      ...(led.first_bad_seq !== null ? { seq: led.first_bad_seq } : {}),
    });
  }
  for (const p of led.row_problems) {
    problems.push({ hash: hashAt(p.seq), kind: p.table, problem: p.problem, detail: `seq ${p.seq}: ${p.message}`, seq: p.seq });
  }
  const { row_problems: _rows, ...summary } = led;
  return {
    ...dag,
    ok: dag.ok && led.ok,
    problems,
    first_bad_seq: led.first_bad_seq,
    ledger: summary,
  };
}

function unverifiable(): LedgerVerification {
  return {
    ok: false,
    entries: 0,
    head: null,
    signed_through: null,
    signed_heads: 0,
    anchors_checked: 0,
    rows_checked: 0,
    first_bad_seq: null,
    problem: 'missing_key',
    message: "no public key to verify the ledger with: the data dir has no keys/ledger.ed25519.pub (pass --pub FILE|HEX)",
    row_problems: [],
    pinned_key: { fingerprint: '-', source: 'none' },
  };
}
