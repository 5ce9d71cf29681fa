/** @module graph/dag-builders: content-addressed DAG nodes and edges, and the plain JSON their bodies hold. */
import type { DagEdge, DagNode, EdgeName, NodeKind } from '../model/index.js';
import { contentHash, sha256Hex } from './canonical-json.js';

/**
 * A JSON-safe copy: bigint becomes its decimal string (as canonical JSON writes it) and undefined members
 * are dropped, so a body stored as JSON and read back hashes exactly as it did when built.
 */
export function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toPlain(v)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlain(v);
  return out;
}

/** sha256 over the canonical {kind, key, body, parents}: parents are hashed in the order stored. */
export function nodeHash(kind: string, key: string, body: unknown, parents: readonly string[]): string {
  return contentHash({ kind, key, body, parents });
}

/** = contentHash({name, from, to}), written out: an edge's fields are plain strings, in canonical key order. */
export function edgeHash(name: string, from: string, to: string): string {
  return sha256Hex(`{"from":${JSON.stringify(from)},"name":${JSON.stringify(name)},"to":${JSON.stringify(to)}}`);
}

/** A node whose hash covers its parents' hashes, so changing any ancestor changes every descendant. */
export function buildNode(
  kind: NodeKind,
  key: string,
  body: Record<string, unknown>,
  parents: readonly string[],
  run_id: string | null,
): DagNode {
  const sorted = [...new Set(parents)].sort();
  const plain = toPlain(body) as Record<string, unknown>;
  return { hash: nodeHash(kind, key, plain, sorted), kind, key, run_id, body: plain, parents: sorted };
}

export function buildEdge(name: EdgeName, from: string, to: string, run_id: string | null): DagEdge {
  return { hash: edgeHash(name, from, to), name, from, to, run_id };
}
