/**
 * @module store/data-dir-checks: the checks `agentprov verify` adds to the ledger's: columns that repeat
 * a row's body, every DAG object by its content address, snapshot and file-change rows by their ids, blobs
 * by their hash, meta against the ledger, and batches left open by a killed ingest.
 *
 * Each returns the problems it found, each naming a table and the row's key, so a user can go from a
 * failed line of `agentprov verify` to the row in one query.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, contentHash, edgeHash, nodeHash, sha256Hex } from '../graph/index.js';
import type { DagEdge, DagNode } from '../model/index.js';
import { fileChangeId, runGraphRoot, type Db, type FileChangeRecord } from './index.js';
import { eventBody } from './event-rows.js';
import { eventLeaf } from './event-blocks.js';
import { checkEventColumns } from './event-block-check.js';
import { EVENT_LAYOUT_META, MIGRATE_KIND } from './event-layout-migration.js';

export interface DataDirProblem {
  table: string;
  key: string;
  problem: string;
  message: string;
  seq?: number;
}

export interface CheckResult {
  checked: number;
  problems: DataDirProblem[];
}

const empty = (): CheckResult => ({ checked: 0, problems: [] });

/** Tables whose columns repeat fields of the row's body (the body is what the ledger or id proves). */
export const BODY_COLUMN_TABLES: Record<string, string[]> = {
  events: ['event_id'],
  scopes: ['binding_id', 'ledger_seq'],
  decisions: ['decision_id', 'ledger_seq'],
  risks: ['risk_id', 'ledger_seq'],
  responses: ['response_id', 'ledger_seq'],
  record_captures: ['binding_id'],
  record_file_changes: ['change_id'],
};

/** Columns that are the row's own bookkeeping, never a copy of a body field. */
const OWN_COLUMNS = new Set(['body', 'ledger_seq', 'tombstone']);

/** A column value and a body field are the same value (ns travel as decimal strings, booleans as 0/1). */
function sameValue(column: unknown, field: unknown): boolean {
  if (field === undefined) return column === null;
  if (field === null || column === null) return field === column;
  if (typeof field === 'boolean') return column === (field ? 1 : 0) || column === (field ? 1n : 0n);
  if (typeof field === 'object') return typeof column === 'string' && canonicalJson(JSON.parse(column)) === canonicalJson(field);
  return String(column) === String(field);
}

const keyOf = (row: Record<string, unknown>, cols: string[]): string => cols.map((c) => String(row[c])).join('@');

/** Every column named like a body field must hold that field's value; a query filtering on it reads the truth. */
export function checkBodyColumns(db: Db): CheckResult {
  const out = empty();
  for (const [table, keyCols] of Object.entries(BODY_COLUMN_TABLES)) {
    const rows = db.prepare(`SELECT * FROM ${table}`).safeIntegers(true).iterate() as IterableIterator<Record<string, unknown>>;
    for (const row of rows) {
      out.checked++;
      const key = keyOf(row, keyCols);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(row.body as string) as Record<string, unknown>;
      } catch {
        out.problems.push({ table, key, problem: 'bad_body', message: `${table} ${key}: body is not JSON` });
        continue;
      }
      for (const [col, value] of Object.entries(row)) {
        if (OWN_COLUMNS.has(col) || !(col in body)) continue;
        if (!sameValue(value, body[col])) {
          out.problems.push({ table, key, problem: 'column_mismatch', message: `${table} ${key}: column ${col} disagrees with the row's body` });
        }
      }
    }
  }
  out.checked += checkEventColumns(db, out.problems);
  return out;
}

/** Which runs' derivations name each DAG object (a node or edge row must belong to one of them). */
function derivationRuns(db: Db): { nodes: Map<string, Set<string>>; edges: Map<string, Set<string>> } {
  const nodes = new Map<string, Set<string>>();
  const edges = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, h: string, run: string): void => {
    let s = m.get(h);
    if (!s) m.set(h, (s = new Set()));
    s.add(run);
  };
  for (const g of db.prepare('SELECT run_id, nodes, edges FROM run_graphs').iterate() as IterableIterator<{ run_id: string; nodes: string; edges: string }>) {
    for (const h of JSON.parse(g.nodes) as string[]) add(nodes, h, g.run_id);
    for (const h of JSON.parse(g.edges) as string[]) add(edges, h, g.run_id);
  }
  return { nodes, edges };
}

/**
 * Every stored node and edge, of every run and every kept derivation, against its content address; and every
 * derivation's `root` column against the root over its run and hash lists (the ledger entry hashes those,
 * so a changed root would pass the row check while `graph verify` reports it).
 */
export function checkDagObjects(db: Db): CheckResult {
  const out = empty();
  const runs = derivationRuns(db);
  for (const g of db.prepare('SELECT run_id, ledger_seq, root, nodes, edges FROM run_graphs').iterate() as IterableIterator<{ run_id: string; ledger_seq: number; root: string; nodes: string; edges: string }>) {
    out.checked++;
    let again = '';
    try {
      again = runGraphRoot(g.run_id, JSON.parse(g.nodes) as string[], JSON.parse(g.edges) as string[]);
    } catch {
      /* lists that do not parse give no root */
    }
    if (again !== g.root) {
      const key = `${g.run_id}@${g.ledger_seq}`;
      out.problems.push({ table: 'run_graphs', key, problem: 'hash_mismatch', message: `run_graphs ${key}: root is not the root over the run and its node and edge lists` });
    }
  }
  const rows = db.prepare('SELECT * FROM dag_nodes').iterate() as IterableIterator<{ hash: string; kind: string; key: string; run_id: string | null; body: string; parents: string }>;
  for (const r of rows) {
    out.checked++;
    let again: string;
    try {
      again = nodeHash(r.kind as DagNode['kind'], r.key, JSON.parse(r.body) as DagNode['body'], JSON.parse(r.parents) as string[]);
    } catch {
      again = '';
    }
    if (again !== r.hash) out.problems.push({ table: 'dag_nodes', key: r.hash, problem: 'hash_mismatch', message: `dag_nodes ${r.hash}: the node's content does not hash to it` });
    else if (r.run_id === null || !runs.nodes.get(r.hash)?.has(r.run_id)) {
      out.problems.push({ table: 'dag_nodes', key: r.hash, problem: 'run_mismatch', message: `dag_nodes ${r.hash}: no derivation of run ${String(r.run_id)} names this node` });
    }
  }
  const edges = db.prepare('SELECT * FROM dag_edges').iterate() as IterableIterator<{ hash: string; name: string; from_hash: string; to_hash: string; run_id: string | null }>;
  for (const e of edges) {
    out.checked++;
    if (edgeHash(e.name as DagEdge['name'], e.from_hash, e.to_hash) !== e.hash) {
      out.problems.push({ table: 'dag_edges', key: e.hash, problem: 'hash_mismatch', message: `dag_edges ${e.hash}: name, from and to do not hash to it` });
    } else if (e.run_id === null || !runs.edges.get(e.hash)?.has(e.run_id)) {
      out.problems.push({ table: 'dag_edges', key: e.hash, problem: 'run_mismatch', message: `dag_edges ${e.hash}: no derivation of run ${String(e.run_id)} names this edge` });
    }
  }
  return out;
}

/** Snapshot rows by their id (which covers binding, phase and the whole snapshot) and their columns. */
export function checkSnapshots(db: Db): CheckResult & { stored_blobs: Map<string, string> } {
  const out = { ...empty(), stored_blobs: new Map<string, string>() };
  const rows = db.prepare('SELECT * FROM record_snapshots').iterate() as IterableIterator<Record<string, unknown>>;
  for (const r of rows) {
    out.checked++;
    const key = r.snapshot_id as string;
    const bad = (problem: string, what: string): void => {
      out.problems.push({ table: 'record_snapshots', key, problem, message: `record_snapshots ${key}: ${what}` });
    };
    let snap: { root: string; files: Record<string, { sha256?: string; stored?: boolean }>; truncated: boolean };
    try {
      snap = JSON.parse(r.body as string) as typeof snap;
    } catch {
      bad('bad_body', 'body is not JSON');
      continue;
    }
    const id = contentHash({ v: 'agentprov.snapshot/v1', binding_id: r.binding_id, phase: r.phase, snapshot: snap });
    if (id !== key) bad('hash_mismatch', 'binding, phase and body do not hash to the snapshot id');
    else if (r.root !== snap.root || r.files !== Object.keys(snap.files).length || r.truncated !== (snap.truncated ? 1 : 0)) {
      bad('column_mismatch', 'root, files or truncated disagree with the body');
    }
    for (const [rel, f] of Object.entries(snap.files)) if (f.stored && f.sha256) out.stored_blobs.set(f.sha256, `${key} ${rel}`);
  }
  return out;
}

/** File-change rows by their id: it is the content address of the whole change (diff and writers included). */
export function checkFileChanges(db: Db): CheckResult {
  const out = empty();
  for (const r of db.prepare('SELECT change_id, body FROM record_file_changes').iterate() as IterableIterator<{ change_id: string; body: string }>) {
    out.checked++;
    let again = '';
    try {
      const c = JSON.parse(r.body) as FileChangeRecord & { time_ns: string };
      again = fileChangeId({ ...c, time_ns: BigInt(c.time_ns) });
    } catch {
      /* a body that does not parse cannot give the id */
    }
    if (again !== r.change_id) {
      out.problems.push({ table: 'record_file_changes', key: r.change_id, problem: 'hash_mismatch', message: `record_file_changes ${r.change_id}: the body does not hash to the change id` });
    }
  }
  return out;
}

/** Every blob file under <data-dir>/blobs against its name, and every blob a snapshot stored is there. */
export function checkBlobs(dataDir: string, stored: Map<string, string>): CheckResult {
  const out = empty();
  const root = join(dataDir, 'blobs');
  const seen = new Set<string>();
  let fans: string[] = [];
  try {
    fans = readdirSync(root);
  } catch {
    /* no blobs dir: no snapshot stored content */
  }
  for (const fan of fans) {
    for (const rest of readdirSync(join(root, fan))) {
      if (rest.includes('.tmp-')) continue; // a writer's temp file, renamed into place when whole
      const name = `${fan}${rest}`;
      out.checked++;
      seen.add(name);
      if (sha256Hex(readFileSync(join(root, fan, rest))) !== name) {
        out.problems.push({ table: 'blobs', key: name, problem: 'hash_mismatch', message: `blob ${join(root, fan, rest)} does not hash to its name` });
      }
    }
  }
  for (const [hash, where] of stored) {
    if (!seen.has(hash)) out.problems.push({ table: 'blobs', key: hash, problem: 'blob_missing', message: `blob ${hash} (stored for snapshot ${where}) is gone` });
  }
  return out;
}

/**
 * Each redaction names the event it hides: `tbl` must be events and the event `row_key` must be the one whose
 * ledger entry has the redacted object hash. Only the object hash is ledgered, so a row edited to name
 * another table or event would stop hiding the content while the row check still passed.
 */
export function checkRedactionTargets(db: Db): CheckResult {
  const out = empty();
  // A store migrated from the layout before 007 may have redacted an event by its old per-event entry.
  const legacy = db.prepare(`SELECT l.object_hash AS h FROM events e JOIN ledger l ON l.seq = e.ledger_seq WHERE e.event_id = ?`).pluck();
  const target = (id: string): string | undefined => {
    const body = eventBody(db, id);
    return body === undefined ? undefined : eventLeaf(body).toString('hex');
  };
  for (const r of db.prepare('SELECT object_hash, tbl, row_key FROM redactions').all() as { object_hash: string; tbl: string; row_key: string }[]) {
    out.checked++;
    if (r.tbl !== 'events' || (target(r.row_key) !== r.object_hash && legacy.get(r.row_key) !== r.object_hash)) {
      out.problems.push({
        table: 'redactions',
        key: r.object_hash,
        problem: 'target_mismatch',
        message: `redactions ${r.object_hash}: ${r.tbl} ${r.row_key} is not the event whose ledgered object it redacts`,
      });
    }
  }
  return out;
}

/** meta: the pinned key fingerprint and the mode must be what the ledger and the key say. */
export function checkMeta(db: Db, pinnedFingerprint: string | null): CheckResult {
  const out = empty();
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  const lastMode = db.prepare(`SELECT kind FROM ledger WHERE kind LIKE 'mode:%' ORDER BY seq DESC LIMIT 1`).get() as { kind: string } | undefined;
  for (const r of rows) {
    out.checked++;
    if (r.key === 'ledger_key' && pinnedFingerprint !== null && r.value !== pinnedFingerprint) {
      out.problems.push({ table: 'meta', key: r.key, problem: 'key_mismatch', message: `meta ledger_key is ${r.value}, the pinned key is ${pinnedFingerprint}` });
    } else if (r.key === 'mode' && `mode:${r.value}` !== (lastMode?.kind ?? 'mode:mutable')) {
      out.problems.push({ table: 'meta', key: r.key, problem: 'mode_mismatch', message: `meta mode is ${r.value}, the ledger last recorded ${lastMode?.kind ?? 'none (mutable)'}` });
    } else if (r.key === EVENT_LAYOUT_META) {
      const seq = Number(/^blocks@(\d+)$/.exec(r.value)?.[1] ?? 0);
      const kind = db.prepare('SELECT kind FROM ledger WHERE seq = ?').pluck().get(seq);
      if (kind !== MIGRATE_KIND) {
        out.problems.push({ table: 'meta', key: r.key, problem: 'layout_mismatch', message: `meta ${r.key} is ${r.value}, but ledger entry ${seq} is not the migration it names` });
      }
    } else if (r.key !== 'ledger_key' && r.key !== 'mode') {
      out.problems.push({ table: 'meta', key: r.key, problem: 'unknown_key', message: `meta ${r.key}: not a key agentprov writes` });
    }
  }
  if (lastMode && !rows.some((r) => r.key === 'mode')) {
    out.problems.push({ table: 'meta', key: 'mode', problem: 'mode_mismatch', message: `meta has no mode, the ledger last recorded ${lastMode.kind}` });
  }
  return out;
}

/** Batches a killed ingest left open: part of an input is stored, the rest is not. */
export function checkBatches(db: Db): CheckResult {
  const out = empty();
  out.checked = (db.prepare('SELECT COUNT(*) AS n FROM ingest_batches').get() as { n: number }).n;
  const open = db.prepare('SELECT batch_id, source_file, format, input_sha256 FROM ingest_batches WHERE complete = 0 ORDER BY started_seq').all() as {
    batch_id: string;
    source_file: string;
    format: string;
    input_sha256: string;
  }[];
  for (const b of open) {
    // stdin has no hash before it is read, so a re-run cannot be matched to the batch it would complete
    const fix =
      b.input_sha256 === ''
        ? 'it was read from a pipe, so it cannot be resumed: its stored events stay a partial batch (ingest from a file to make batches resumable)'
        : 'run the same ingest of that file again to complete it';
    out.problems.push({
      table: 'ingest_batches',
      key: b.batch_id,
      problem: 'batch_incomplete',
      message: `ingest of ${b.source_file} (${b.format}) did not finish: ${fix}`,
    });
  }
  return out;
}
