import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { sha256Hex } from '../../src/graph/index.js';
import {
  appendEntry,
  computeEntryHash,
  entryPreimage,
  entryPreimageCanonical,
  GENESIS_PREV_HASH,
  headOf,
  verifyChain,
  type ChainVerifyResult,
  type LedgerEntry,
  type LedgerHead,
} from '../../src/ledger/index.js';

function buildChain(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev: LedgerEntry | null = null;
  for (let i = 1; i <= n; i++) {
    prev = appendEntry(prev, { object_hash: sha256Hex(`object-${i}`), kind: i % 2 ? 'event' : 'decision', time_ns: 1_700_000_000_000_000_000n + BigInt(i) });
    out.push(prev);
  }
  return out;
}

/** Renumber a list of entries to 1..n without touching their hashes (what a careless row edit does). */
function renumber(entries: LedgerEntry[]): LedgerEntry[] {
  return entries.map((e, i) => ({ ...e, seq: i + 1 }));
}

function expectBad(r: ChainVerifyResult, seq: number, problem: string): void {
  expect(r).toMatchObject({ ok: false, first_bad_seq: seq, problem });
}

const N = 10;
const chain = buildChain(N);
const head: LedgerHead = headOf(chain[N - 1] as LedgerEntry);

describe('ledger entry', () => {
  it('starts at seq 1 with a zero prev_hash and links each entry to the one before', () => {
    expect(chain[0]).toMatchObject({ seq: 1, prev_hash: GENESIS_PREV_HASH });
    for (let i = 1; i < N; i++) expect(chain[i]?.prev_hash).toBe(chain[i - 1]?.entry_hash);
    expect(GENESIS_PREV_HASH).toMatch(/^0{64}$/);
  });

  it('hashes the canonical JSON preimage with a domain tag, never joined fields', () => {
    const e = appendEntry(null, { object_hash: 'a'.repeat(64), kind: 'event', time_ns: 5n });
    expect(entryPreimage(e)).toBe(
      `{"kind":"event","object_hash":"${'a'.repeat(64)}","prev_hash":"${'0'.repeat(64)}","seq":1,"time_ns":"5","v":"agentprov.ledger/v1"}`,
    );
    expect(e.entry_hash).toBe(sha256Hex(entryPreimage(e)));
  });

  it('writes exactly what the generic canonical JSON encoder writes', () => {
    const odd = ['event', 'ü\u2028"\\\n', '\u{1F600}', 'a'.repeat(300), 'a"b', 'a\\b', '\x7f', '\u0000', '\ud800', 'tab\there', "it's ~ {x}"];
    for (const kind of odd) {
      for (const time_ns of [0n, 1n, 9_223_372_036_854_775_807n]) {
        const e = { seq: 123456789, prev_hash: 'f'.repeat(64), object_hash: sha256Hex(kind), kind, time_ns };
        expect(entryPreimage(e)).toBe(entryPreimageCanonical(e));
        // verification hashes whatever a row holds, so odd text in the hash fields must encode the same too
        const odd2 = { ...e, prev_hash: kind, object_hash: `${kind}"` };
        expect(entryPreimage(odd2)).toBe(entryPreimageCanonical(odd2));
      }
    }
  });

  it('rejects an append with a bad object hash, empty kind or non-bigint time', () => {
    expect(() => appendEntry(null, { object_hash: 'xyz', kind: 'k', time_ns: 1n })).toThrow(InputError);
    expect(() => appendEntry(null, { object_hash: 'A'.repeat(64), kind: 'k', time_ns: 1n })).toThrow(/object_hash/);
    expect(() => appendEntry(null, { object_hash: 'a'.repeat(64), kind: '', time_ns: 1n })).toThrow(/kind/);
    expect(() => appendEntry(null, { object_hash: 'a'.repeat(64), kind: 'k', time_ns: 1 as unknown as bigint })).toThrow(/time_ns/);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', () => {
    expect(verifyChain(chain, { expectedHead: head })).toEqual({ ok: true, count: N, head, signed_through: N });
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: null, signed_through: null });
  });

  for (const k of [1, 5, N]) {
    for (const field of ['object_hash', 'kind', 'time_ns', 'prev_hash', 'entry_hash'] as const) {
      it(`names entry ${k} when its ${field} was changed`, () => {
        const t = chain.map((e) => ({ ...e }));
        const e = t[k - 1] as LedgerEntry;
        if (field === 'time_ns') e.time_ns += 1n;
        else e[field] = field === 'kind' ? 'other' : sha256Hex('forged');
        expectBad(verifyChain(t), k, 'modified');
      });
    }
  }

  it('names entry k when it was rewritten with a fresh hash but the next entry still links to the old one', () => {
    const t = [...chain];
    const forged = { ...(t[3] as LedgerEntry), object_hash: sha256Hex('forged') };
    t[3] = { ...forged, entry_hash: computeEntryHash(forged) };
    expectBad(verifyChain(t), 4, 'modified');
  });

  it('catches a fully recomputed rewrite only through a signed head, and narrows it with checkpoints', () => {
    const t = chain.slice(0, 7);
    let prev: LedgerEntry = t[6] as LedgerEntry;
    for (let i = 8; i <= N; i++) {
      prev = appendEntry(prev, { object_hash: sha256Hex(`forged-${i}`), kind: 'event', time_ns: BigInt(i) });
      t.push(prev);
    }
    expect(verifyChain(t).ok).toBe(true); // hashes alone cannot see it
    expectBad(verifyChain(t, { expectedHead: head }), 1, 'rewritten');
    const cp5 = headOf(chain[4] as LedgerEntry);
    expectBad(verifyChain(t, { expectedHead: head, checkpoints: [cp5] }), 6, 'rewritten');
  });

  for (const k of [1, 5, N - 1]) {
    it(`names entry ${k} when it was deleted, with or without renumbering the rest`, () => {
      const without = chain.filter((e) => e.seq !== k);
      expectBad(verifyChain(without), k, 'deleted');
      expectBad(verifyChain(renumber(without)), k, 'deleted');
    });
  }

  it('reports a deleted last entry as truncation against the signed head', () => {
    expectBad(verifyChain(chain.slice(0, N - 1), { expectedHead: head }), N, 'truncated');
  });

  for (const k of [1, 5, N]) {
    it(`names seq ${k} when an entry was inserted there`, () => {
      const prev = k === 1 ? null : (chain[k - 2] as LedgerEntry);
      const forged = appendEntry(prev, { object_hash: sha256Hex('forged'), kind: 'event', time_ns: 1n });
      const dup = [...chain.slice(0, k - 1), forged, ...chain.slice(k - 1)];
      expectBad(verifyChain(dup), k, 'inserted'); // forged entry shares seq k with the original
      expectBad(verifyChain(renumber(dup)), k, 'inserted'); // the rows after it were renumbered up
      const stray = appendEntry(chain[N - 1] as LedgerEntry, { object_hash: sha256Hex('x'), kind: 'event', time_ns: 1n });
      const unlinked = [...chain.slice(0, k - 1), { ...stray, seq: k, entry_hash: computeEntryHash({ ...stray, seq: k }) }, ...chain.slice(k - 1)];
      expectBad(verifyChain(renumber(unlinked)), k, 'inserted'); // its own hash is fine, its link is not
    });
  }

  for (const k of [1, 5, N - 1]) {
    it(`names seq ${k} when entries ${k} and ${k + 1} were swapped`, () => {
      const t = [...chain];
      [t[k - 1], t[k]] = [t[k] as LedgerEntry, t[k - 1] as LedgerEntry];
      expectBad(verifyChain(t), k, 'reordered'); // rows kept their seq, iteration order changed
      expectBad(verifyChain(renumber(t)), k, 'reordered'); // row contents swapped under fixed seq numbers
    });
  }

  it('names the first missing seq when the chain was cut after a signed head', () => {
    expectBad(verifyChain(chain.slice(0, 6), { expectedHead: head }), 7, 'truncated');
    expectBad(verifyChain([], { expectedHead: head }), 1, 'truncated');
    const mid = headOf(chain[7] as LedgerEntry);
    expectBad(verifyChain(chain.slice(0, 6), { checkpoints: [mid] }), 7, 'truncated');
  });

  it('accepts entries after the last signed head and says how far the signatures reach', () => {
    const longer = [...chain, appendEntry(chain[N - 1] as LedgerEntry, { object_hash: sha256Hex('tail'), kind: 'event', time_ns: 1n })];
    expect(verifyChain(longer, { expectedHead: head })).toMatchObject({ ok: true, count: N + 1, signed_through: N });
  });

  it('verifies a tail from a trusted entry', () => {
    const after = headOf(chain[4] as LedgerEntry);
    expect(verifyChain(chain.slice(5), { after, expectedHead: head })).toMatchObject({ ok: true, count: 5, head });
    expectBad(verifyChain(chain.slice(5), { after: { seq: 5, entry_hash: 'f'.repeat(64) } }), 6, 'modified');
  });

  it('reports a row with a wrong field type as malformed', () => {
    const t = chain.map((e) => ({ ...e }));
    (t[2] as unknown as Record<string, unknown>).time_ns = 3;
    expectBad(verifyChain(t), 3, 'malformed');
  });

  it('closes the source iterator when it stops early (a SQLite cursor must be released)', () => {
    let closed = false;
    function* rows(): Generator<LedgerEntry> {
      try {
        for (const e of chain) yield e.seq === 3 ? { ...e, kind: 'changed' } : e;
      } finally {
        closed = true;
      }
    }
    expectBad(verifyChain(rows()), 3, 'modified');
    expect(closed).toBe(true);
  });
});
