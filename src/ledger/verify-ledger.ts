/**
 * @module ledger/verify-ledger: the whole `ledger verify` check in one streaming pass: every signed head
 * and anchor against the pinned key, the chain against those heads, and each anchor's Merkle root
 * against the entries it covers.
 */
import type { LedgerEntry, LedgerHead } from './entry.js';
import type { SignatureProblem } from './keys.js';
import { ledgerLeafHash, verifyAnchorSignature, type SignedAnchor } from './anchor.js';
import { bytesToHex } from './encoding.js';
import { merkleRootFromLeafHashes } from './merkle.js';
import { verifyHeadSignature, type SignedHead } from './signed-head.js';
import { verifyChain, type ChainProblem } from './verify-chain.js';

export type LedgerProblem = ChainProblem | SignatureProblem | 'anchor_mismatch';

export interface LedgerVerifyOptions {
  /** Every signed head the store holds; none at all, for a non-empty ledger, is a failure. */
  signedHeads: readonly (SignedHead | null | undefined)[];
  /** The key the caller pinned (from the key file or --pub), never one carried in the data. */
  pinnedPublicKey: Uint8Array;
  anchors?: readonly SignedAnchor[];
  after?: LedgerHead;
}

export type LedgerVerifyResult =
  | {
      ok: true;
      count: number;
      head: LedgerHead | null;
      signed_through: number | null;
      anchors_checked: number;
      /** Anchors wholly before `after`, whose entries were not given: signature checked, root not. */
      anchors_not_rebuilt: number;
    }
  | { ok: false; first_bad_seq: number; problem: LedgerProblem; message: string };

type Failure = Extract<LedgerVerifyResult, { ok: false }>;

interface Collector {
  anchor: SignedAnchor;
  leaves: Uint8Array[];
}

export function verifyLedger(entries: Iterable<LedgerEntry>, opts: LedgerVerifyOptions): LedgerVerifyResult {
  const startSeq = opts.after?.seq ?? 0;
  for (const h of opts.signedHeads) {
    const r = verifyHeadSignature(h, opts.pinnedPublicKey);
    if (r.ok === false) return { ok: false, first_bad_seq: h?.seq ?? startSeq + 1, problem: r.problem, message: r.message };
  }
  const anchors = [...(opts.anchors ?? [])].sort((a, b) => a.from_seq - b.from_seq);
  for (const a of anchors) {
    const r = verifyAnchorSignature(a, opts.pinnedPublicKey);
    if (r.ok === false) return { ok: false, first_bad_seq: a.from_seq, problem: r.problem, message: r.message };
  }
  // An anchor reaching before the first given entry cannot be rebuilt from what we were given.
  const rebuildable = anchors.filter((a) => a.from_seq > startSeq);
  const notRebuilt = anchors.length - rebuildable.length;

  let nextAnchor = 0;
  let active: Collector[] = [];
  let anchorFailure: Failure | undefined;
  let checked = 0;
  const onEntry = (e: LedgerEntry): void => {
    while (nextAnchor < rebuildable.length && (rebuildable[nextAnchor] as SignedAnchor).from_seq === e.seq) {
      active.push({ anchor: rebuildable[nextAnchor] as SignedAnchor, leaves: [] });
      nextAnchor++;
    }
    if (active.length === 0) return;
    const leaf = ledgerLeafHash(e);
    for (const c of active) c.leaves.push(leaf);
    if (active.some((c) => c.anchor.to_seq === e.seq)) {
      for (const c of active.filter((x) => x.anchor.to_seq === e.seq)) {
        checked++;
        if (!anchorFailure && bytesToHex(merkleRootFromLeafHashes(c.leaves)) !== c.anchor.root) {
          anchorFailure = {
            ok: false,
            first_bad_seq: c.anchor.from_seq,
            problem: 'anchor_mismatch',
            message: `entries ${c.anchor.from_seq}..${c.anchor.to_seq} do not give the Merkle root their signed anchor names`,
          };
        }
      }
      active = active.filter((x) => x.anchor.to_seq !== e.seq);
    }
  };

  const heads = opts.signedHeads.filter((h): h is SignedHead => h !== null && h !== undefined);
  const chain = verifyChain(entries, {
    checkpoints: heads.map((h) => ({ seq: h.seq, entry_hash: h.entry_hash })),
    ...(opts.after ? { after: opts.after } : {}),
    onEntry,
  });
  if (chain.ok === false) {
    return anchorFailure && anchorFailure.first_bad_seq < chain.first_bad_seq ? anchorFailure : chain;
  }
  if (anchorFailure) return anchorFailure;
  const unreached = [...active.map((c) => c.anchor), ...rebuildable.slice(nextAnchor)];
  if (unreached.length > 0) {
    const last = chain.head?.seq ?? startSeq;
    const want = Math.max(...unreached.map((a) => a.to_seq));
    return { ok: false, first_bad_seq: last + 1, problem: 'truncated', message: `the chain ends at seq ${last} but a signed anchor covers up to seq ${want}` };
  }
  if (chain.count > 0 && heads.length === 0) {
    return { ok: false, first_bad_seq: startSeq + 1, problem: 'missing_signature', message: `the ledger has ${chain.count} entries and no signed head` };
  }
  return { ...chain, anchors_checked: checked, anchors_not_rebuilt: notRebuilt };
}
