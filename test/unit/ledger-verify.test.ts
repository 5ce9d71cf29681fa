import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/graph/index.js';
import {
  appendEntry,
  buildAnchorBody,
  computeEntryHash,
  generateKeyPair,
  headOf,
  signAnchor,
  signHead,
  verifyLedger,
  type LedgerEntry,
  type SignedHead,
} from '../../src/ledger/index.js';

const key = generateKeyPair(new Uint8Array(32).fill(11));
const stranger = generateKeyPair(new Uint8Array(32).fill(12));

/** A ledger as the store would keep it: 25 entries, a signed head per batch of 10, and the tail unsigned. */
function ledger(): { entries: LedgerEntry[]; heads: SignedHead[] } {
  const entries: LedgerEntry[] = [];
  const heads: SignedHead[] = [];
  let prev: LedgerEntry | null = null;
  for (let i = 1; i <= 25; i++) {
    prev = appendEntry(prev, { object_hash: sha256Hex(`o${i}`), kind: 'event', time_ns: BigInt(i) * 1000n });
    entries.push(prev);
    if (i % 10 === 0) heads.push(signHead(headOf(prev), key.secretKey, BigInt(i)));
  }
  return { entries, heads };
}

describe('verifyLedger', () => {
  const { entries, heads } = ledger();
  const anchors = [signAnchor(buildAnchorBody(entries.slice(0, 10)), key.secretKey, 1n), signAnchor(buildAnchorBody(entries.slice(5, 20)), key.secretKey, 2n)];

  it('passes an intact ledger and rebuilds every anchor', () => {
    expect(verifyLedger(entries, { signedHeads: heads, pinnedPublicKey: key.publicKey, anchors })).toMatchObject({
      ok: true,
      count: 25,
      signed_through: 20,
      anchors_checked: 2,
    });
  });

  it('fails under a wrong pinned key', () => {
    expect(verifyLedger(entries, { signedHeads: heads, pinnedPublicKey: stranger.publicKey })).toMatchObject({ ok: false, problem: 'wrong_key', first_bad_seq: 10 });
  });

  it('fails on an empty signature, and on a ledger with no signed head at all', () => {
    const blank = heads.map((h, i) => (i === 1 ? { ...h, signature: '' } : h));
    expect(verifyLedger(entries, { signedHeads: blank, pinnedPublicKey: key.publicKey })).toMatchObject({ ok: false, problem: 'missing_signature', first_bad_seq: 20 });
    expect(verifyLedger(entries, { signedHeads: [], pinnedPublicKey: key.publicKey })).toMatchObject({ ok: false, problem: 'missing_signature', first_bad_seq: 1 });
    expect(verifyLedger([], { signedHeads: [], pinnedPublicKey: key.publicKey })).toMatchObject({ ok: true, count: 0 });
  });

  it('names the first bad seq of a tampered row and of a truncated chain', () => {
    const t = entries.map((e) => (e.seq === 7 ? { ...e, kind: 'edited' } : e));
    expect(verifyLedger(t, { signedHeads: heads, pinnedPublicKey: key.publicKey, anchors })).toMatchObject({ ok: false, problem: 'modified', first_bad_seq: 7 });
    expect(verifyLedger(entries.slice(0, 15), { signedHeads: heads, pinnedPublicKey: key.publicKey })).toMatchObject({ ok: false, problem: 'truncated', first_bad_seq: 16 });
  });

  it('narrows a recomputed rewrite to the batch after the last matching signed head', () => {
    const t = entries.slice(0, 12);
    let prev = t[11] as LedgerEntry;
    const forged = { ...prev, object_hash: sha256Hex('forged') };
    prev = { ...forged, entry_hash: computeEntryHash(forged) };
    t[11] = prev;
    for (let i = 13; i <= 25; i++) t.push((prev = appendEntry(prev, { object_hash: sha256Hex(`o${i}`), kind: 'event', time_ns: BigInt(i) * 1000n })));
    expect(verifyLedger(t, { signedHeads: heads, pinnedPublicKey: key.publicKey })).toMatchObject({ ok: false, problem: 'rewritten', first_bad_seq: 11 });
  });

  it('fails an anchor whose root does not match its entries, or that reaches past the end', () => {
    const other = entries.map((e) => ({ ...e, entry_hash: sha256Hex(e.entry_hash) }));
    const wrongRoot = signAnchor(buildAnchorBody(other.slice(2, 8)), key.secretKey, 3n);
    expect(verifyLedger(entries, { signedHeads: heads, pinnedPublicKey: key.publicKey, anchors: [wrongRoot] })).toMatchObject({
      ok: false,
      problem: 'anchor_mismatch',
      first_bad_seq: 3,
    });
    const beyond = signAnchor({ from_seq: 20, to_seq: 30, tree_size: 11, root: sha256Hex('x') }, key.secretKey, 4n);
    expect(verifyLedger(entries, { signedHeads: heads, pinnedPublicKey: key.publicKey, anchors: [beyond] })).toMatchObject({ ok: false, problem: 'truncated', first_bad_seq: 26 });
    const foreign = signAnchor(buildAnchorBody(entries.slice(0, 5)), stranger.secretKey, 5n);
    expect(verifyLedger(entries, { signedHeads: heads, pinnedPublicKey: key.publicKey, anchors: [foreign] })).toMatchObject({ ok: false, problem: 'wrong_key', first_bad_seq: 1 });
  });

  it('verifies a tail after a trusted head, counting anchors it cannot rebuild', () => {
    const after = headOf(entries[9] as LedgerEntry);
    const r = verifyLedger(entries.slice(10), { signedHeads: heads, pinnedPublicKey: key.publicKey, anchors, after });
    expect(r).toMatchObject({ ok: true, count: 15, anchors_checked: 0, anchors_not_rebuilt: 2 });
  });
});
