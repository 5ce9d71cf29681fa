/**
 * Sealed rows (migration 006, store/row-seal) on a real SQLite file: every write of an approval, its steps,
 * a gate record, a containment and an agent leaves a row whose `put:<table>` entry hashes what is stored;
 * a decision seals the changed row again; a changed byte, a forged seal, a deleted step and an unsealed
 * row are each named by table and key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSealedRows } from '../../src/store/sealed-row-check.js';
import { responseStoreOf } from '../../src/service/respond-record.js';
import { EvidenceStore, sealedRowHash, type ApprovalRecord, type ResponseStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/cli.js';

const NS = 1_795_622_762_649_493_652n; // > 2^53: the hash must see the exact integer

function approval(id: string): ApprovalRecord {
  return {
    approval_id: id, status: 'pending', run_id: 'r', tool_call_id: 'tc', agent_id: 'coder', decision_id: 'd', event_id: 'e',
    gate_record_id: null, target_kind: 'cgroup', target: '/sys/fs/cgroup/x', target_spec: { kind: 'cgroup2', path: '/sys/fs/cgroup/x', id: '42' },
    response_id: 'resp', rules: ['rule-a'], summary: 'curl[7] connect 10.0.0.1:443', requested_at_ns: NS, expires_at_ns: NS + 1n,
    decided_at_ns: null, decided_by: null, decision_reason: null,
  };
}

describe('sealed rows', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: EvidenceStore;
  let responses: ResponseStore;
  beforeEach(() => {
    dir = tempDir();
    store = new EvidenceStore(dir.path);
    responses = responseStoreOf(store);
    responses.insertApproval(approval('ap1'));
    responses.addStep('ap1', 'requested', NS, 'agentprov', 'x');
    responses.addStep('ap1', 'webhook', NS + 5n, 'agentprov', 'y');
    responses.putContainment({ target_kind: 'pid', target: '42', state: 'frozen', response_id: 'resp', updated_at_ns: NS, body: { signal: 'SIGSTOP' } });
  });
  afterEach(() => {
    store.close();
    dir.cleanup();
  });

  const problems = () => checkSealedRows(store.db).problems.map((p) => `${p.table} ${p.key} ${p.problem}`);

  it('every write is sealed, and a decision seals the changed row again', () => {
    expect(problems()).toEqual([]);
    const before = store.db.prepare('SELECT ledger_seq FROM approvals').pluck().get() as number;
    expect(responses.claimApproval('ap1', 'approved', NS + 9n, 'alice', 'ok')).toBe(true);
    const after = store.db.prepare('SELECT * FROM approvals').safeIntegers(true).get() as Record<string, unknown>;
    expect(Number(after.ledger_seq)).toBeGreaterThan(before);
    const entry = store.db.prepare('SELECT kind, object_hash FROM ledger WHERE seq = ?').get(Number(after.ledger_seq)) as { kind: string; object_hash: string };
    expect(entry).toEqual({ kind: 'put:approvals', object_hash: sealedRowHash('approvals', after) });
    expect(checkSealedRows(store.db).checked).toBe(4);
    expect(problems()).toEqual([]);
  });

  it('names a changed column, a forged seal, a deleted step and an unsealed row', () => {
    store.db.prepare(`UPDATE approvals SET decided_by = 'mallory'`).run();
    store.db.prepare(`UPDATE containments SET ledger_seq = (SELECT seq FROM ledger WHERE kind = 'put:approval_steps' LIMIT 1)`).run();
    store.db.prepare(`DELETE FROM approval_steps WHERE seq = 2`).run();
    store.db.prepare(`INSERT INTO agents (agent_id, owner, autonomy, allowed_tools, created_at_ns, updated_at_ns, body) VALUES ('ghost','m','autonomous','[]',1,1,'{}')`).run();
    expect(problems()).toEqual([
      'agents ghost row_unledgered',
      'approvals ap1 row_modified',
      'containments pid/42 row_kind_mismatch',
      'approval_steps ? row_missing',
    ]);
  });
});
