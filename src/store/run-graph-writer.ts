/**
 * @module store/run-graph-writer: stores a derivation of a run's DAG without ever updating a node.
 *
 * Nodes and edges are content addressed, so they are inserted once (INSERT OR IGNORE) and never changed; a
 * `run_graphs` row names the node and edge hashes of one derivation, and the queries read the latest. One
 * ledger entry per derivation covers them all: its object hash commits to both hash lists, and each hash
 * commits to its node's content. Mutable mode drops the run's previous derivation and the nodes only it
 * used; revisioned and sealed keep every derivation.
 */
import type Database from 'better-sqlite3';
import type { DagEdge, DagNode } from '../model/index.js';
import { encodeBody } from './codec.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { Db } from './open-database.js';
import { runGraphRoot } from './row-objects.js';
import type { StoreMode } from './store-mode.js';

export class RunGraphWriter {
  readonly #ledger: LedgerWriter;
  readonly #latest: Database.Statement;
  readonly #node: Database.Statement;
  readonly #edge: Database.Statement;
  readonly #derivation: Database.Statement;
  readonly #dropStaleNodes: Database.Statement;
  readonly #dropStaleEdges: Database.Statement;
  readonly #dropDerivations: Database.Statement;

  constructor(db: Db, ledger: LedgerWriter) {
    this.#ledger = ledger;
    this.#latest = db.prepare('SELECT root FROM run_graphs WHERE run_id = ? ORDER BY ledger_seq DESC LIMIT 1');
    this.#node = db.prepare('INSERT OR IGNORE INTO dag_nodes (hash, kind, key, run_id, body, parents) VALUES (?,?,?,?,?,?)');
    this.#edge = db.prepare('INSERT OR IGNORE INTO dag_edges (hash, name, from_hash, to_hash, run_id) VALUES (?,?,?,?,?)');
    this.#derivation = db.prepare('INSERT INTO run_graphs (run_id, ledger_seq, root, nodes, edges) VALUES (?,?,?,?,?)');
    this.#dropStaleNodes = db.prepare('DELETE FROM dag_nodes WHERE run_id = ? AND hash NOT IN (SELECT value FROM json_each(?))');
    this.#dropStaleEdges = db.prepare('DELETE FROM dag_edges WHERE run_id = ? AND hash NOT IN (SELECT value FROM json_each(?))');
    this.#dropDerivations = db.prepare('DELETE FROM run_graphs WHERE run_id = ?');
  }

  /** Stores the derivation unless it equals the latest one; returns what the ledger recorded. */
  write(runId: string, nodes: readonly DagNode[], edges: readonly DagEdge[], mode: StoreMode): 'same' | 'put' | 'revise' | 'replace' {
    const nodeHashes = nodes.map((n) => n.hash);
    const edgeHashes = edges.map((e) => e.hash);
    const root = runGraphRoot(runId, nodeHashes, edgeHashes);
    const latest = this.#latest.get(runId) as { root: string } | undefined;
    if (latest?.root === root) return 'same';
    for (const n of nodes) this.#node.run(n.hash, n.kind, n.key, runId, encodeBody(n.body), JSON.stringify(n.parents));
    for (const e of edges) this.#edge.run(e.hash, e.name, e.from, e.to, runId);
    const nodeList = JSON.stringify(nodeHashes);
    const edgeList = JSON.stringify(edgeHashes);
    let op: 'put' | 'revise' | 'replace' = latest ? 'revise' : 'put';
    if (latest && mode === 'mutable') {
      this.#dropStaleNodes.run(runId, nodeList);
      this.#dropStaleEdges.run(runId, edgeList);
      this.#dropDerivations.run(runId);
      op = 'replace';
    }
    const seq = this.#ledger.append(`${op}:run_graphs`, root);
    this.#derivation.run(runId, seq, root, nodeList, edgeList);
    return op;
  }
}
