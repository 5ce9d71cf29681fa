import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/graph/index.js';
import {
  anchorFromJson,
  anchorMatchesEntries,
  anchorToJson,
  appendEntry,
  buildAnchorBody,
  bytesToHex,
  EMPTY_TREE_ROOT,
  generateKeyPair,
  hexToBytes,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  proveEntry,
  rootFromInclusionProof,
  signAnchor,
  verifyAnchorSignature,
  verifyEntryProof,
  verifyInclusion,
  verifyInclusionOfHash,
  type LedgerEntry,
} from '../../src/ledger/index.js';

const h = (s: string): Uint8Array => hexToBytes(s) as Uint8Array;

// Certificate Transparency reference leaves and tree heads (RFC 6962 / RFC 9162 test data, as used by
// transparency-dev/merkle and google/certificate-transparency).
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Reference audit paths (0-based leaf index, tree size).
const CT_PATHS: { index: number; size: number; path: string[] }[] = [
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

describe('RFC 9162 Merkle tree', () => {
  it('matches the reference root for every size 0..8', () => {
    expect(bytesToHex(EMPTY_TREE_ROOT)).toBe(CT_ROOTS[0]);
    for (let n = 0; n <= 8; n++) expect(bytesToHex(merkleRoot(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('uses the 0x00 leaf and 0x01 node prefixes', () => {
    expect(bytesToHex(leafHash(new Uint8Array(0)))).toBe(CT_ROOTS[1]);
    expect(bytesToHex(nodeHash(leafHash(h('')), leafHash(h('00'))))).toBe(CT_ROOTS[2]);
  });

  it('does not duplicate an odd node: [a,b,c] and [a,b,c,c] have different roots', () => {
    const abc = CT_LEAVES.slice(1, 4);
    expect(bytesToHex(merkleRoot(abc))).not.toBe(bytesToHex(merkleRoot([...abc, abc[2] as Uint8Array])));
  });

  it('produces the reference audit paths, and they verify', () => {
    for (const { index, size, path } of CT_PATHS) {
      const leaves = CT_LEAVES.slice(0, size);
      expect(inclusionProof(index, leaves).map(bytesToHex), `${index}/${size}`).toEqual(path);
      expect(verifyInclusion(leaves[index] as Uint8Array, index, size, path.map(h), h(CT_ROOTS[size] as string))).toBe(true);
    }
  });

  const many = Array.from({ length: 17 }, (_, i) => new TextEncoder().encode(`leaf-${i}`));

  it('verifies every leaf of every size 1..17 and rejects each corrupted variant', () => {
    const someHash = h(sha256Hex('some'));
    for (let n = 1; n <= many.length; n++) {
      const leaves = many.slice(0, n);
      const root = merkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const leaf = leaves[i] as Uint8Array;
        const proof = inclusionProof(i, leaves);
        expect(verifyInclusion(leaf, i, n, proof, root), `${i}/${n}`).toBe(true);
        const lh = leafHash(leaf);
        const probes: [number, number, Uint8Array[], Uint8Array, Uint8Array, string][] = [
          [i - 1, n, proof, root, lh, 'index - 1'],
          [i + 1, n, proof, root, lh, 'index + 1'],
          [i ^ 2, n, proof, root, lh, 'index ^ 2'],
          [i, n * 2, proof, root, lh, 'size * 2'],
          [i, Math.floor(n / 2), proof, root, lh, 'size / 2'],
          [i, n, proof, root, leafHash(new TextEncoder().encode('WrongLeaf')), 'wrong leaf'],
          [i, n, proof, EMPTY_TREE_ROOT, lh, 'empty root'],
          [i, n, proof, someHash, lh, 'random root'],
          [i, n, [...proof, new Uint8Array(0)], root, lh, 'trailing garbage'],
          [i, n, [...proof, root], root, lh, 'trailing root'],
          [i, n, [new Uint8Array(0), ...proof], root, lh, 'preceding garbage'],
          [i, n, [root, ...proof], root, lh, 'preceding root'],
        ];
        proof.forEach((_, j) => {
          const bad = proof.map((p) => p.slice());
          (bad[j] as Uint8Array)[0]! ^= 8;
          probes.push([i, n, bad, root, lh, `flipped bit in proof[${j}]`]);
        });
        if (proof.length > 0) probes.push([i, n, proof.slice(0, -1), root, lh, 'removed component']);
        if (proof.length > 1) probes.push([i, n, [proof[0] as Uint8Array, someHash, ...proof.slice(1)], root, lh, 'inserted component']);
        for (const [pi, ps, pp, pr, pl, desc] of probes) {
          expect(verifyInclusionOfHash(pl, pi, ps, pp, pr), `${i}/${n}: ${desc}`).toBe(false);
        }
      }
    }
  });

  it('handles indices past 2^31 (no 32-bit bit operators)', () => {
    const size = 2 ** 40 + 1;
    const leftSubtree = h(sha256Hex('left 2^40 leaves'));
    const lh = leafHash(h('01'));
    const root = nodeHash(leftSubtree, lh);
    expect(bytesToHex(rootFromInclusionProof(lh, 2 ** 40, size, [leftSubtree]) as Uint8Array)).toBe(bytesToHex(root));
    expect(verifyInclusionOfHash(lh, 2 ** 40, size, [leftSubtree], root)).toBe(true);
  });
});

function chain(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev: LedgerEntry | null = null;
  for (let i = 1; i <= n; i++) out.push((prev = appendEntry(prev, { object_hash: sha256Hex(`o${i}`), kind: 'event', time_ns: BigInt(i) })));
  return out;
}

describe('ledger anchors', () => {
  const key = generateKeyPair(new Uint8Array(32).fill(3));
  const other = generateKeyPair(new Uint8Array(32).fill(4));
  const entries = chain(20).slice(2, 13); // seq 3..13
  const body = buildAnchorBody(entries);
  const anchor = signAnchor(body, key.secretKey, 42n);

  it('signs a root over a seq range and verifies with the pinned key only', () => {
    expect(body).toMatchObject({ from_seq: 3, to_seq: 13, tree_size: 11 });
    expect(body.root).toBe(bytesToHex(merkleRoot(entries.map((e) => h(e.entry_hash)))));
    expect(verifyAnchorSignature(anchor, key.publicKey)).toEqual({ ok: true });
    expect(verifyAnchorSignature(anchor, other.publicKey)).toMatchObject({ ok: false, problem: 'wrong_key' });
    expect(verifyAnchorSignature({ ...anchor, signature: '' }, key.publicKey)).toMatchObject({ ok: false, problem: 'missing_signature' });
    expect(verifyAnchorSignature({ ...anchor, root: sha256Hex('x') }, key.publicKey)).toMatchObject({ ok: false, problem: 'bad_signature' });
    expect(verifyAnchorSignature({ ...anchor, tree_size: 12 }, key.publicKey)).toMatchObject({ ok: false, problem: 'malformed_signature' });
  });

  it('round-trips through its JSON file form', () => {
    const text = anchorToJson(anchor);
    expect(text).toContain('"signed_at_ns":"42"');
    const back = anchorFromJson(text);
    expect(back).toEqual(anchor);
    expect(verifyAnchorSignature(back, key.publicKey)).toEqual({ ok: true });
    expect(() => anchorFromJson(text.replace('"v":', '"extra":1,"v":'))).toThrow(/exactly/);
  });

  it('matches the entries it covers, and not a modified range', () => {
    expect(anchorMatchesEntries(anchor, entries)).toBe(true);
    const changed = entries.map((e, i) => (i === 4 ? { ...e, entry_hash: sha256Hex('x') } : e));
    expect(anchorMatchesEntries(anchor, changed)).toBe(false);
    expect(anchorMatchesEntries(anchor, entries.slice(0, -1))).toBe(false);
  });

  it('proves every entry of the range against the anchor, and a changed proof fails', () => {
    for (const e of entries) {
      const proof = proveEntry(entries, e.seq);
      expect(verifyEntryProof(proof, anchor), `seq ${e.seq}`).toBe(true);
      expect(verifyEntryProof({ ...proof, entry_hash: sha256Hex('x') }, anchor)).toBe(false);
      expect(verifyEntryProof({ ...proof, seq: proof.seq + 1 }, anchor)).toBe(false);
    }
    expect(() => proveEntry(entries, 2)).toThrow(RangeError);
  });
});
