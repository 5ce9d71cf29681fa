/** Small, hand-made evidence for the store's ledger and mode tests (real objects, real SQLite files). */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { EventVerdict } from '../../src/engine/index.js';
import { sha256Hex } from '../../src/graph/index.js';
import type { Correlation, PolicyDecision, RiskSignal, RuntimeEvent } from '../../src/model/index.js';
import { EvidenceStore, type EvidenceStoreOptions } from '../../src/store/index.js';

export const T0 = 1_795_622_762_000_000_000n;

/** A store whose clock is fixed and whose key comes only from the data dir (no process env). */
export function openStore(dir: string, opts: EvidenceStoreOptions = {}): EvidenceStore {
  return new EvidenceStore(dir, { env: {}, now: () => T0, ...opts });
}

export function event(n: number): RuntimeEvent {
  return {
    event_id: sha256Hex(`event-${n}`),
    type: 'process_exec',
    source: 'falco',
    host: 'h',
    time_ns: T0 + BigInt(n),
    pid: 1000 + n,
    exe: '/usr/bin/curl',
    argv: ['curl', `http://10.0.0.${n}/`],
  } as RuntimeEvent;
}

export function correlation(e: RuntimeEvent, runId: string | null): Correlation {
  return {
    event_id: e.event_id!,
    binding_id: runId ? 'b1' : null,
    run_id: runId,
    tool_call_id: runId ? 'tc1' : null,
    tier: runId ? 'own_cgroup' : 'unattributed',
    keys_matched: runId ? ['cgroup:1'] : [],
    confidence: runId ? 1 : 0,
    reason: runId ? 'own cgroup' : 'no scope',
  };
}

export function verdict(e: RuntimeEvent, runId: string | null, rules: string[]): EventVerdict {
  const c = correlation(e, runId);
  if (rules.length === 0) return { event_id: e.event_id!, correlation: c, decision: null, risks: [], responses: [] };
  const decision: PolicyDecision = {
    decision_id: sha256Hex(`decision-${e.event_id}`),
    event_id: e.event_id!,
    tool_call_id: c.tool_call_id,
    policy_hash: 'p'.repeat(64),
    matches: rules.map((r) => ({ rule_id: r, action: 'alert', mode: 'enforce', severity: 'high', score: 70, tags: [], reason: r })),
    action: 'alert',
    would_action: 'alert',
    time_ns: e.time_ns,
  };
  const risks: RiskSignal[] = rules.map((r) => ({
    risk_id: sha256Hex(`risk-${e.event_id}-${r}`),
    decision_id: decision.decision_id,
    event_id: e.event_id!,
    run_id: runId,
    tool_call_id: c.tool_call_id,
    rule_id: r,
    severity: 'high',
    score: 70,
    tags: [],
    reason: r,
    time_ns: e.time_ns,
  }));
  return { event_id: e.event_id!, correlation: c, decision, risks, responses: [] };
}

export function rawDb(dir: string): Database.Database {
  return new Database(join(dir, 'evidence.db'));
}

export function count(db: Database.Database, sql: string, ...args: unknown[]): number {
  return (db.prepare(sql).get(...args) as { n: number }).n;
}
