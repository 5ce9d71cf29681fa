/**
 * @module store/store-verify: the verifications (store/verify-run, ledger-run-verify, verify-data-dir,
 * ledger-verify) run on an EvidenceStore's own connection, for callers outside src/store/.
 */
import type { EvidenceStore } from './evidence-store.js';
import type { PinnedKey } from './ledger-key.js';
import { verifyRun, type RunVerification } from './verify-run.js';
import { verifyRunWithLedger, type RunLedgerVerification } from './ledger-run-verify.js';
import { verifyDataDir, type DataDirVerification, type VerifyDataDirOptions } from './verify-data-dir.js';
import { verifyStoreLedger, type LedgerVerification, type LedgerVerifyOptions } from './ledger-verify.js';

export function verifyRunOf(store: EvidenceStore, runId: string): RunVerification {
  return verifyRun(store.db, runId);
}

export function verifyRunWithLedgerOf(store: EvidenceStore, runId: string, pinned: PinnedKey | null): RunLedgerVerification {
  return verifyRunWithLedger(store.db, runId, pinned);
}

export function verifyDataDirOf(store: EvidenceStore, opts: VerifyDataDirOptions): DataDirVerification {
  return verifyDataDir(store.db, opts);
}

export function verifyStoreLedgerOf(store: EvidenceStore, opts: LedgerVerifyOptions): LedgerVerification {
  return verifyStoreLedger(store.db, opts);
}
