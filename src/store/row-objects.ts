/**
 * @module store/row-objects: the object hash the ledger records for each kind of stored row, computed the
 * same way when writing and when verifying.
 *
 * Rows with a `body` column hash the exact stored text (sha256 of the bytes the queries read). Rows without
 * one hash RFC 8785 JSON of their columns; for correlations, on the ingest hot path, that JSON is an array of
 * strings and numbers, which JSON.stringify already writes canonically.
 */
import { canonicalJson, sha256Hex } from '../graph/index.js';
import type { Correlation, IngestManifest } from '../model/index.js';
import { kindHash, kindOfRow } from './correlation-log.js';

/**
 * Tables whose rows the ledger records one entry per row for (`events` and `correlations` only in stores
 * written before migration 007; event blocks and correlation batches are checked by store/event-block-check).
 */
export const LEDGERED_TABLES = [
  'events',
  'scopes',
  'correlations',
  'decisions',
  'risks',
  'responses',
  'ingest_batches',
  'policies',
  'run_graphs',
  'correlation_kinds',
] as const;
export type LedgeredTable = (typeof LEDGERED_TABLES)[number];

/** Tables keyed by (id, ledger_seq): the current row is the highest ledger_seq per id. */
export const VERSIONED_KEYS = {
  scopes: 'binding_id',
  correlations: 'event_id',
  decisions: 'decision_id',
  risks: 'risk_id',
  responses: 'response_id',
} as const;
export type VersionedTable = keyof typeof VERSIONED_KEYS;

export function bodyHash(body: string): string {
  return sha256Hex(body);
}

export function correlationHash(c: Correlation): string {
  return sha256Hex(
    JSON.stringify([c.event_id, c.binding_id, c.run_id, c.tool_call_id, c.tier, c.confidence, c.keys_matched, c.reason]),
  );
}

export interface PolicyRow {
  policy_hash: string;
  name: string;
  files: { file: string; sha256: string }[];
  loaded_at: string;
}

export function policyHash(p: PolicyRow): string {
  return sha256Hex(canonicalJson({ policy_hash: p.policy_hash, name: p.name, files: p.files, loaded_at: p.loaded_at }));
}

export function manifestHash(m: IngestManifest): string {
  return sha256Hex(
    canonicalJson({
      batch_id: m.batch_id,
      source_file: m.source_file,
      format: m.format,
      input_sha256: m.input_sha256,
      lines: m.lines,
      accepted: m.accepted,
      duplicates: m.duplicates,
      rejected: m.rejected,
      rejected_lines: m.rejected_lines,
      started_at: m.started_at,
      finished_at: m.finished_at,
    }),
  );
}

/**
 * The object hash of an ingest_batches row (migration 005): the manifest plus whether the batch is complete
 * and the seq that opened it. Rows from before 005 (`started_seq` 0) hash as the plain manifest; a row of
 * the new form rewritten to look old no longer gives its entry's hash, since that hash covered the flag.
 */
export function batchRowHash(m: IngestManifest, complete: boolean, startedSeq: number): string {
  if (startedSeq === 0) return manifestHash(m);
  return sha256Hex(
    canonicalJson({
      v: 'agentprov.batch-row/v2',
      manifest: JSON.parse(JSON.stringify(m)) as unknown,
      complete,
      started_seq: startedSeq,
    }),
  );
}

/** The object hash of one derivation of a run's DAG: commits to the run and both hash lists, in order. */
export function runGraphRoot(runId: string, nodeHashes: readonly string[], edgeHashes: readonly string[]): string {
  return sha256Hex(canonicalJson({ v: 'agentprov.run-graph/v1', run_id: runId, nodes: nodeHashes, edges: edgeHashes }));
}

/** A stored row -> the object hash its ledger entry must name. Rows come straight from `SELECT *`. */
export function storedRowHash(table: LedgeredTable, row: Record<string, unknown>): string {
  switch (table) {
    case 'correlations':
      return correlationHash({ event_id: row.event_id as string, ...kindOfRow(row) });
    case 'policies':
      return policyHash({
        policy_hash: row.policy_hash as string,
        name: row.name as string,
        files: JSON.parse(row.files as string) as PolicyRow['files'],
        loaded_at: row.loaded_at as string,
      });
    case 'ingest_batches':
      return batchRowHash(manifestOfRow(row), row.complete !== 0, row.started_seq as number);
    case 'correlation_kinds':
      return kindHash(kindOfRow(row));
    case 'run_graphs':
      return runGraphRoot(row.run_id as string, JSON.parse(row.nodes as string) as string[], JSON.parse(row.edges as string) as string[]);
    default:
      return bodyHash(row.body as string);
  }
}

/** The manifest an ingest_batches row holds (without the row's own columns: ledger_seq, complete, started_seq). */
export function manifestOfRow(row: Record<string, unknown>): IngestManifest {
  return {
    batch_id: row.batch_id as string,
    source_file: row.source_file as string,
    format: row.format as string,
    input_sha256: row.input_sha256 as string,
    lines: row.lines as number,
    accepted: row.accepted as number,
    duplicates: row.duplicates as number,
    rejected: row.rejected as number,
    rejected_lines: JSON.parse(row.rejected_lines as string) as IngestManifest['rejected_lines'],
    started_at: row.started_at as string,
    finished_at: row.finished_at as string,
  };
}

/** The row's identity for messages: its id column (and run for a derivation). */
export function rowKeyOf(table: LedgeredTable, row: Record<string, unknown>): string {
  switch (table) {
    case 'events':
      return row.event_id as string;
    case 'ingest_batches':
      return row.batch_id as string;
    case 'policies':
      return row.policy_hash as string;
    case 'run_graphs':
      return row.run_id as string;
    case 'correlation_kinds':
      return String(row.id);
    default:
      return row[VERSIONED_KEYS[table]] as string;
  }
}
