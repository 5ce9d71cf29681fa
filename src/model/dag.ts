/** @module model/dag: nodes and named edges of the causality DAG, each a content-addressed object. */
import { z } from 'zod';

export const NODE_KINDS = [
  'run',
  'session',
  'attempt',
  'tool_call',
  /** When a tool call ended: its own node, so the tool call's hash (and every descendant's) never changes at the end. */
  'tool_call_end',
  'process',
  'runtime_event',
  /** A process's read-only opens that no rule judged: one summary (path set and count), not a node per open. */
  'file_reads',
  'file',
  'endpoint',
  'policy_decision',
  'risk_signal',
  'response_action',
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const EDGE_NAMES = [
  'run_has_session',
  'session_has_attempt',
  'attempt_has_tool_call',
  'tool_call_ended',
  'tool_call_spawned',
  'process_forked',
  'process_emitted',
  'tool_call_emitted',
  'event_touched_file',
  /** A process's unjudged writes, renames or unlinks of a file (the events are in the store, not nodes). */
  'process_touched_file',
  'process_read_files',
  'event_connected',
  /** A process's unjudged connects, TLS requests or DNS queries to an endpoint. */
  'process_connected',
  'decision_on',
  'risk_from',
  'response_to',
] as const;
export type EdgeName = (typeof EDGE_NAMES)[number];

/**
 * A node: `hash` = sha256(canonical({kind, key, body, parents})). `key` is the node's stable identity
 * (e.g. "process:1234:5678" for pid 1234 started at 5678) so that re-deriving it yields the same hash.
 */
export const DagNodeSchema = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  kind: z.enum(NODE_KINDS),
  key: z.string(),
  run_id: z.string().nullable(),
  body: z.record(z.string(), z.unknown()),
  parents: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
});
export type DagNode = z.infer<typeof DagNodeSchema>;

/** An edge is content-addressed too: hash = sha256(canonical({name, from, to})). */
export const DagEdgeSchema = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.enum(EDGE_NAMES),
  from: z.string().regex(/^[0-9a-f]{64}$/),
  to: z.string().regex(/^[0-9a-f]{64}$/),
  run_id: z.string().nullable(),
});
export type DagEdge = z.infer<typeof DagEdgeSchema>;
