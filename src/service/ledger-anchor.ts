/**
 * @module service/ledger-anchor: `ledger anchor` (a signed RFC 9162 Merkle root over a ledger range, written
 * to a directory or POSTed to a URL, and recorded in the store) and `ledger prove SEQ` / `verify-proof`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentprovError, InputError, NotFoundError, VerifyError } from '../errors.js';
import {
  anchorFromJson,
  anchorToJson,
  bytesToHex,
  computeEntryHash,
  hexToBytes,
  inclusionProofFromLeafHashes,
  leafHash,
  merkleRootFromLeafHashes,
  signAnchor,
  verifyAnchorSignature,
  verifyEntryProof,
  verifyInclusionOfHash,
  type EntryInclusionProof,
  type LedgerEntry,
  type SignedAnchor,
} from '../ledger/index.js';
import { eventLeaf, type EvidenceStore, type StoreQueries } from '../store/index.js';
import { verifyStoreLedgerOf } from '../store/store-verify.js';
import type { PinnedKey } from './ledger-keys.js';

export interface AnchorResult {
  anchor: SignedAnchor;
  target: string;
  ledger_seq: number;
}

/** Leaf hashes of entries from..to, streamed from the table (32 bytes each, not whole entries). */
function rangeLeaves(q: StoreQueries, from: number, to: number): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  let expect = from;
  for (const r of q.iterateEntryHashes(from, to)) {
    const bytes = hexToBytes(r.entry_hash);
    if (r.seq !== expect || !bytes || bytes.byteLength !== 32) {
      throw new VerifyError(`ledger entry ${expect} is missing or malformed: run agentprov ledger verify`, { firstBadSeq: expect });
    }
    leaves.push(leafHash(bytes));
    expect++;
  }
  if (expect !== to + 1) throw new VerifyError(`ledger entries ${expect}..${to} are missing`, { firstBadSeq: expect });
  return leaves;
}

function checkRange(q: StoreQueries, from: number | undefined, through: number | undefined): { from: number; to: number } {
  const head = q.ledgerHead();
  if (!head) throw new NotFoundError('the ledger is empty: nothing to anchor yet');
  const f = from ?? 1;
  const t = through ?? head.seq;
  if (!Number.isSafeInteger(f) || !Number.isSafeInteger(t) || f < 1 || t < f || t > head.seq) {
    throw new InputError([{ field: '--from/--through', message: `the range ${f}..${t} is not within the ledger 1..${head.seq}` }], {
      code: 'AP_BAD_ARGS',
    });
  }
  return { from: f, to: t };
}

async function publish(anchor: SignedAnchor, to: string): Promise<string> {
  const text = anchorToJson(anchor);
  if (/^https?:\/\//i.test(to)) {
    let res: Response;
    try {
      res = await fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text, signal: AbortSignal.timeout(10_000) });
    } catch (cause) {
      const why = (cause as { cause?: Error }).cause?.message ?? (cause as Error).message;
      throw new AgentprovError('AP_IO', `cannot POST the anchor to ${to}: ${why} (nothing was recorded)`, { cause });
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 200);
      throw new AgentprovError('AP_IO', `POST of the anchor to ${to} failed: HTTP ${res.status}${body ? `: ${body}` : ''} (nothing was recorded)`);
    }
    return to;
  }
  mkdirSync(to, { recursive: true });
  // An earlier anchor of the same range is evidence too: never overwrite it.
  const names = [`anchor-${anchor.from_seq}-${anchor.to_seq}.json`, `anchor-${anchor.from_seq}-${anchor.to_seq}-${anchor.signed_at_ns}.json`];
  for (const name of names) {
    try {
      writeFileSync(join(to, name), `${text}\n`, { flag: 'wx' });
      return join(to, name);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AgentprovError('AP_IO', `cannot write the anchor to ${to}: ${(cause as Error).message}`, { cause });
      }
    }
  }
  throw new AgentprovError('AP_IO', `an anchor named ${names[1]} already exists in ${to}`);
}

/** Verifies the chain, signs a Merkle root over from..through, publishes it, then records it in the store. */
export async function anchorLedger(
  store: EvidenceStore,
  opts: { to: string; from?: number; through?: number; now: () => bigint },
): Promise<AnchorResult> {
  const key = store.signingKey();
  const pinned: PinnedKey = { publicKey: key.pair.publicKey, fingerprint: key.pair.fingerprint, source: key.source };
  const check = verifyStoreLedgerOf(store, { pinned, rows: 'none' });
  if (!check.ok) {
    throw new VerifyError(`the ledger does not verify, refusing to anchor it: seq ${check.first_bad_seq}: ${check.message}`, {
      firstBadSeq: check.first_bad_seq ?? undefined,
    });
  }
  const { from, to } = checkRange(store.query, opts.from, opts.through);
  const root = bytesToHex(merkleRootFromLeafHashes(rangeLeaves(store.query, from, to)));
  const anchor = signAnchor({ from_seq: from, to_seq: to, tree_size: to - from + 1, root }, key.pair.secretKey, opts.now());
  const target = await publish(anchor, opts.to);
  const ledger_seq = store.recordAnchor(anchor, target);
  return { anchor, target, ledger_seq };
}

export interface EntryProofDocument {
  schema_version: 'agentprov.ledger-proof/v1';
  entry: LedgerEntry;
  proof: EntryInclusionProof;
  anchor: SignedAnchor;
  /** With `prove --event`: the event whose stored body the entry's object hash commits to. */
  event?: ProvenEvent;
}

/**
 * An event proven through its block: the event's leaf hash, its audit path to the block's Merkle root (the
 * object hash of the block's ledger entry), and the stored body the leaf hashes.
 */
export interface ProvenEvent {
  event_id: string;
  /** RFC 9162 leaf hash of the stored body: sha256(0x00 || body). */
  leaf: string;
  block: { block_id: number; tree_size: number; leaf_index: number; path: string[] };
  /** The stored body, so the proof shows what was proven; null for a redacted event. */
  body: string | null;
}

/** An inclusion proof of event `eventId`: through its block to the block's ledger entry, then to an anchor. */
export function proveEvent(q: StoreQueries, eventId: string, anchor?: SignedAnchor): EntryProofDocument {
  const rec = q.eventLedgerRecord(eventId);
  if (!rec) throw new NotFoundError(`no event ${eventId}`);
  const doc = proveSeq(q, rec.ledger_seq, anchor);
  const leaf = hexToBytes(rec.leaf) as Uint8Array;
  const blockRoot = bytesToHex(merkleRootFromLeafHashes(rec.leaves));
  if (doc.entry.kind !== 'put:event_blocks' || doc.entry.object_hash !== blockRoot || bytesToHex(rec.leaves[rec.index] ?? new Uint8Array()) !== bytesToHex(leaf)) {
    throw new VerifyError(`event ${eventId}: its stored block no longer hashes to ledger entry ${rec.ledger_seq}`, { firstBadSeq: rec.ledger_seq });
  }
  const block = {
    block_id: rec.block_id,
    tree_size: rec.leaves.length,
    leaf_index: rec.index,
    path: inclusionProofFromLeafHashes(rec.index, rec.leaves).map(bytesToHex),
  };
  return { ...doc, event: { event_id: eventId, leaf: rec.leaf, block, body: rec.body } };
}

/** An inclusion proof of entry `seq` in the latest recorded anchor that covers it (or the one given). */
export function proveSeq(q: StoreQueries, seq: number, anchor?: SignedAnchor): EntryProofDocument {
  const entry = q.ledgerEntryAt(seq);
  if (!entry) throw new NotFoundError(`no ledger entry ${seq}`);
  const chosen = anchor ?? q.listAnchors().filter((a) => a.from_seq <= seq && seq <= a.to_seq).at(-1);
  if (!chosen) throw new NotFoundError(`no anchor covers seq ${seq}: run agentprov ledger anchor --to DIR|URL first`);
  if (seq < chosen.from_seq || seq > chosen.to_seq) {
    throw new InputError([{ field: '--anchor', message: `the anchor covers ${chosen.from_seq}..${chosen.to_seq}, not ${seq}` }], { code: 'AP_BAD_ARGS' });
  }
  const leaves = rangeLeaves(q, chosen.from_seq, chosen.to_seq);
  if (bytesToHex(merkleRootFromLeafHashes(leaves)) !== chosen.root) {
    throw new VerifyError(`the ledger entries ${chosen.from_seq}..${chosen.to_seq} no longer give the anchored root`, { firstBadSeq: chosen.from_seq });
  }
  const index = seq - chosen.from_seq;
  const proof: EntryInclusionProof = {
    seq,
    entry_hash: entry.entry_hash,
    from_seq: chosen.from_seq,
    to_seq: chosen.to_seq,
    tree_size: chosen.tree_size,
    leaf_index: index,
    path: inclusionProofFromLeafHashes(index, leaves).map(bytesToHex),
  };
  const { v, from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns, signature } = chosen;
  return { schema_version: 'agentprov.ledger-proof/v1', entry, proof, anchor: { v, from_seq, to_seq, tree_size, root, key_fingerprint, signed_at_ns, signature } };
}

/** Checks a proof document offline: anchor signature (pinned key), entry hash, and the audit path. */
export function verifyProofDocument(text: string, pinned: PinnedKey, source = 'proof'): { seq: number; anchor: string; event?: string } {
  let doc: { entry?: Record<string, unknown>; proof?: EntryInclusionProof; anchor?: unknown; event?: ProvenEvent };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (cause) {
    throw new InputError([{ file: source, message: 'not JSON' }], { cause });
  }
  if (!doc.proof || !doc.entry || !doc.anchor) throw new InputError([{ file: source, message: 'a proof has entry, proof and anchor' }]);
  const anchor = anchorFromJson(JSON.stringify(doc.anchor), source);
  const sig = verifyAnchorSignature(anchor, pinned.publicKey);
  if (sig.ok === false) throw new VerifyError(`${source}: ${sig.message}`, { firstBadSeq: doc.proof.seq });
  const e = doc.entry;
  if (typeof e.time_ns !== 'string' || !/^\d+$/.test(e.time_ns)) throw new InputError([{ file: source, field: 'entry.time_ns', message: 'must be a decimal string' }]);
  const entry = { seq: e.seq as number, prev_hash: e.prev_hash as string, object_hash: e.object_hash as string, kind: e.kind as string, time_ns: BigInt(e.time_ns as string) };
  if (computeEntryHash(entry) !== doc.proof.entry_hash || e.entry_hash !== doc.proof.entry_hash || entry.seq !== doc.proof.seq) {
    throw new VerifyError(`${source}: the entry does not hash to the proven entry hash`, { firstBadSeq: doc.proof.seq });
  }
  if (!verifyEntryProof(doc.proof, anchor)) {
    throw new VerifyError(`${source}: the audit path does not lead to the anchored root`, { firstBadSeq: doc.proof.seq });
  }
  const ev = doc.event;
  if (ev !== undefined) {
    const bad = (message: string) => new VerifyError(`${source}: event ${String(ev.event_id)}: ${message}`, { firstBadSeq: doc.proof!.seq });
    checkProvenEvent(ev, entry, bad);
    return { seq: doc.proof.seq, anchor: `${anchor.from_seq}..${anchor.to_seq}`, event: ev.event_id };
  }
  return { seq: doc.proof.seq, anchor: `${anchor.from_seq}..${anchor.to_seq}` };
}

/** The event part of a proof: body -> leaf -> audit path -> the block root its (already proven) entry records. */
function checkProvenEvent(ev: ProvenEvent, entry: { kind: string; object_hash: string }, bad: (m: string) => Error): void {
  if (entry.kind !== 'put:event_blocks') throw bad(`the entry records a ${entry.kind}, not a block of events`);
  const leaf = typeof ev.leaf === 'string' ? hexToBytes(ev.leaf) : undefined;
  const root = hexToBytes(entry.object_hash);
  const b = ev.block;
  const path = Array.isArray(b?.path) ? b.path.map((h) => (typeof h === 'string' ? hexToBytes(h) : undefined)) : [undefined];
  if (!leaf || !root || !b || path.some((p) => p === undefined)) throw bad('the proof has no well-formed leaf, block and path');
  if (!verifyInclusionOfHash(leaf, b.leaf_index, b.tree_size, path as Uint8Array[], root)) {
    throw bad('the audit path does not lead from the leaf to the block root the entry records');
  }
  if (ev.body === null) return;
  if (typeof ev.body !== 'string' || eventLeaf(ev.body).toString('hex') !== ev.leaf) throw bad('the body does not hash to the leaf');
  let id: unknown;
  try {
    id = (JSON.parse(ev.body) as { event_id?: unknown }).event_id;
  } catch {
    throw bad('the body is not JSON');
  }
  if (id !== ev.event_id) throw bad(`the body is event ${String(id)}`);
}
