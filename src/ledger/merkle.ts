/**
 * @module ledger/merkle: RFC 9162 (certificate transparency v2) Merkle Tree Hash and inclusion proofs.
 *
 * leaf = sha256(0x00 || data), node = sha256(0x01 || left || right), and a tree of n leaves splits at the
 * largest power of two below n, so an odd node is carried up, never duplicated (the Bitcoin-style
 * duplication lets two different leaf lists share a root). The empty tree's hash is sha256("").
 * Built bottom-up level by level, which gives the same tree as the RFC's recursive split without recursion.
 */
import { hash } from 'node:crypto';
import { bytesEqual, sha256Bytes } from './encoding.js';

export const EMPTY_TREE_ROOT: Uint8Array = sha256Bytes(new Uint8Array(0));

// One-shot hashing of the prefixed bytes: a Hash object per call would cost more than the hash itself,
// and every stored event is a leaf and, on average, one inner node of its block's tree.
function sha256Of(buf: Uint8Array | string): Uint8Array {
  const d = hash('sha256', buf, 'buffer');
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** leaf = sha256(0x00 || data); text is hashed as UTF-8, where U+0000 is the single byte 0x00. */
export function leafHash(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return sha256Of(`\u0000${data}`);
  const buf = Buffer.allocUnsafe(data.byteLength + 1);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256Of(buf);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = Buffer.allocUnsafe(1 + left.byteLength + right.byteLength);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.byteLength);
  return sha256Of(buf);
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) out.push(nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
  if (level.length % 2 === 1) out.push(level[level.length - 1] as Uint8Array); // carried up unchanged
  return out;
}

/** MTH over leaf hashes (already `leafHash`ed). */
export function merkleRootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_TREE_ROOT;
  let level: readonly Uint8Array[] = leafHashes;
  while (level.length > 1) level = nextLevel(level);
  return level[0] as Uint8Array;
}

/** MTH over leaf data (RFC 9162 section 2.1.1). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return merkleRootFromLeafHashes(leaves.map(leafHash));
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${size} leaves`);
  }
}

/** The audit path PATH(m, D[n]) of RFC 9162 section 2.1.3.1, leaf side first, from leaf hashes. */
export function inclusionProofFromLeafHashes(index: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  checkIndex(index, leafHashes.length);
  const path: Uint8Array[] = [];
  let level: readonly Uint8Array[] = leafHashes;
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length) path.push(level[sibling] as Uint8Array); // no sibling: the node is carried up
    level = nextLevel(level);
    i = Math.floor(i / 2);
  }
  return path;
}

export function inclusionProof(index: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  return inclusionProofFromLeafHashes(index, leaves.map(leafHash));
}

/**
 * The root an inclusion proof leads to (RFC 9162 section 2.1.3.2), or undefined when the proof cannot
 * belong to a tree of that size (too long, too short, wrong element size). Indices are handled with
 * arithmetic, not bit operators, so sizes past 2^31 work.
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) {
    return undefined;
  }
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.byteLength !== 32 || sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** Verify that `leafData` is leaf `index` of the tree of `treeSize` leaves whose root is `root`. */
export function verifyInclusion(
  leafData: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  return verifyInclusionOfHash(leafHash(leafData), index, treeSize, proof, root);
}

export function verifyInclusionOfHash(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leaf.byteLength !== 32 || root.byteLength !== 32) return false;
  const got = rootFromInclusionProof(leaf, index, treeSize, proof);
  return got !== undefined && bytesEqual(got, root);
}
