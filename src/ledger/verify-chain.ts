/**
 * @module ledger/verify-chain: streaming verification of a ledger chain that names the first bad seq and
 * says what kind of tampering it looks like.
 *
 * Hashes alone catch edits made without recomputing hashes; a chain rewritten with fresh hashes is caught
 * only by a signed head (a checkpoint), which is why the store signs heads and passes them in here.
 */
import { InputError } from '../errors.js';
import {
  GENESIS_PREV_HASH,
  computeEntryHash,
  entryHashAtSeq,
  type LedgerEntry,
  type LedgerHead,
} from './entry.js';

export type ChainProblem =
  | 'modified' // an entry's fields no longer give its hash, or a link between two entries is broken
  | 'deleted' // a seq is missing (gap, or later rows renumbered down)
  | 'inserted' // an entry that does not belong (duplicate seq, or later rows renumbered up)
  | 'reordered' // entries present but out of order
  | 'truncated' // the chain ends before a signed head it must reach
  | 'rewritten' // hashes are self-consistent but disagree with a signed head
  | 'malformed'; // an entry lacks a field or has one of the wrong type

export interface ChainVerifyOptions {
  /** The latest signed head: the chain must reach it and match it. */
  expectedHead?: LedgerHead;
  /** Further signed heads (e.g. one per batch); each narrows where a rewrite can have started. */
  checkpoints?: Iterable<LedgerHead>;
  /** A trusted entry just before the first one given, to verify a tail instead of the whole chain. */
  after?: LedgerHead;
  /** Called with each entry once it has passed every check (used to rebuild anchors in the same pass). */
  onEntry?: (entry: LedgerEntry) => void;
}

export type ChainVerifyResult =
  | {
      ok: true;
      count: number;
      head: LedgerHead | null;
      /** The highest seq covered by a matching signed head (null if none was given). */
      signed_through: number | null;
    }
  | { ok: false; first_bad_seq: number; problem: ChainProblem; message: string };

type Failure = Extract<ChainVerifyResult, { ok: false }>;

function fail(first_bad_seq: number, problem: ChainProblem, message: string): Failure {
  return { ok: false, first_bad_seq, problem, message };
}

function isWellFormed(e: unknown): e is LedgerEntry {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  return (
    typeof x.seq === 'number' &&
    Number.isSafeInteger(x.seq) &&
    typeof x.prev_hash === 'string' &&
    typeof x.object_hash === 'string' &&
    typeof x.kind === 'string' &&
    typeof x.time_ns === 'bigint' &&
    typeof x.entry_hash === 'string'
  );
}

function sortedCheckpoints(opts: ChainVerifyOptions): LedgerHead[] {
  const all = [...(opts.checkpoints ?? [])];
  if (opts.expectedHead) all.push(opts.expectedHead);
  for (const c of all) {
    if (!Number.isSafeInteger(c.seq) || c.seq < 1 || typeof c.entry_hash !== 'string') {
      throw new InputError([{ field: 'signed head', message: `not a valid head: seq ${String(c.seq)}` }]);
    }
  }
  return all.sort((a, b) => a.seq - b.seq);
}

/**
 * Verify entries in the order given (the store's `ORDER BY seq`). Consumes the iterable once, holding only
 * the previous two hashes, and closes the iterator on early exit (a better-sqlite3 `.iterate()` keeps its
 * connection busy until then).
 */
export function verifyChain(entries: Iterable<LedgerEntry>, opts: ChainVerifyOptions = {}): ChainVerifyResult {
  const checkpoints = sortedCheckpoints(opts);
  const startSeq = opts.after?.seq ?? 0;
  let prevSeq = startSeq;
  let prevHash = opts.after?.entry_hash ?? GENESIS_PREV_HASH;
  let prevPrevHash: string | undefined;
  let lastMatched = startSeq;
  let signedThrough: number | null = null;
  let cp = 0;
  // A checkpoint at or before a trusted `after` cannot be checked against entries we are not given,
  // except the one at `after` itself.
  while (cp < checkpoints.length && (checkpoints[cp] as LedgerHead).seq <= startSeq) {
    const c = checkpoints[cp] as LedgerHead;
    if (c.seq === startSeq && c.entry_hash !== prevHash) {
      return fail(startSeq, 'rewritten', `the trusted start ${startSeq} does not match the signed head at ${c.seq}`);
    }
    cp++;
  }

  const it = entries[Symbol.iterator]();
  let done = false;
  let peeked: { value: LedgerEntry | undefined } | undefined;
  // One entry of lookahead, only ever taken after a failure, to tell a swap from a gap.
  const peek = (): LedgerEntry | undefined => {
    if (!peeked) {
      const r = it.next();
      if (r.done) done = true;
      peeked = { value: r.done ? undefined : r.value };
    }
    return isWellFormed(peeked.value) ? peeked.value : undefined;
  };
  try {
    for (;;) {
      const r = it.next();
      if (r.done) {
        done = true;
        break;
      }
      const e = r.value;
      const expected = prevSeq + 1;
      if (!isWellFormed(e)) {
        return fail(expected, 'malformed', `entry ${expected}: a field is missing or has the wrong type`);
      }
      if (e.seq !== expected) {
        if (e.seq > expected) {
          const next = peek();
          if (next && next.seq < e.seq) {
            return fail(expected, 'reordered', `entry ${e.seq} comes before entry ${next.seq}: entries are out of order`);
          }
          const range = e.seq - 1 === expected ? `entry ${expected} is` : `entries ${expected}..${e.seq - 1} are`;
          return fail(expected, 'deleted', `${range} missing: the chain jumps from ${prevSeq} to ${e.seq}`);
        }
        return fail(e.seq, 'inserted', `a second entry claims seq ${e.seq}`);
      }
      if (computeEntryHash(e) !== e.entry_hash) return classifyHashMismatch(e, peek);
      if (e.prev_hash !== prevHash) {
        if (prevPrevHash !== undefined && e.prev_hash === prevPrevHash) {
          return fail(prevSeq, 'inserted', `entry ${prevSeq} was inserted: entry ${e.seq} links past it to entry ${prevSeq - 1}`);
        }
        const next = peek();
        if (next && (next.seq === e.seq || next.prev_hash === prevHash)) {
          return fail(e.seq, 'inserted', `entry ${e.seq} was inserted: the entry after it links past it`);
        }
        if (prevSeq > startSeq) {
          return fail(prevSeq, 'modified', `entry ${e.seq} links to another hash than entry ${prevSeq} has: entry ${prevSeq} was rewritten or the link changed`);
        }
        return fail(e.seq, 'modified', `entry ${e.seq} does not link to ${startSeq === 0 ? 'the genesis hash' : `the trusted entry ${startSeq}`}`);
      }
      while (cp < checkpoints.length && (checkpoints[cp] as LedgerHead).seq === e.seq) {
        if ((checkpoints[cp] as LedgerHead).entry_hash !== e.entry_hash) {
          return fail(lastMatched + 1, 'rewritten', `entry ${e.seq} differs from the signed head at seq ${e.seq}: entries ${lastMatched + 1}..${e.seq} were rewritten`);
        }
        lastMatched = e.seq;
        signedThrough = e.seq;
        cp++;
      }
      opts.onEntry?.(e);
      prevPrevHash = prevHash;
      prevHash = e.entry_hash;
      prevSeq = e.seq;
    }
  } finally {
    if (!done) it.return?.();
  }
  if (cp < checkpoints.length) {
    const want = (checkpoints[checkpoints.length - 1] as LedgerHead).seq;
    return fail(prevSeq + 1, 'truncated', `the chain ends at seq ${prevSeq} but a signed head names seq ${want}: entries ${prevSeq + 1}..${want} are missing`);
  }
  return {
    ok: true,
    count: prevSeq - startSeq,
    head: prevSeq > startSeq ? { seq: prevSeq, entry_hash: prevHash } : null,
    signed_through: signedThrough,
  };
}

/**
 * An entry whose fields do not give its hash. If the hash fits the fields under seq+1 or seq-1, the row
 * was renumbered: a neighbour was deleted or inserted, or two rows swapped places.
 */
function classifyHashMismatch(e: LedgerEntry, peek: () => LedgerEntry | undefined): Failure {
  if (entryHashAtSeq(e, e.seq + 1) === e.entry_hash) {
    const next = peek();
    if (next && entryHashAtSeq(next, next.seq - 1) === next.entry_hash) {
      return fail(e.seq, 'reordered', `entries ${e.seq} and ${e.seq + 1} have swapped places`);
    }
    return fail(e.seq, 'deleted', `entry ${e.seq} is missing: the entries after it were renumbered`);
  }
  if (e.seq > 1 && entryHashAtSeq(e, e.seq - 1) === e.entry_hash) {
    return fail(e.seq - 1, 'inserted', `entry ${e.seq - 1} was inserted: the entries after it were renumbered`);
  }
  const next = peek();
  if (next && (next.seq === e.seq || entryHashAtSeq(next, next.seq - 1) === next.entry_hash)) {
    return fail(e.seq, 'inserted', `entry ${e.seq} was inserted: it is not part of the chain`);
  }
  return fail(e.seq, 'modified', `entry ${e.seq} does not match its hash: a field was changed`);
}
