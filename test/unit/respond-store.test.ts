/**
 * Migration 003 and ResponseStore on a real SQLite file: 64-bit ns survive, only one of two racing answers
 * to an approval wins (two connections, as a CLI and the daemon would be), steps keep their order, and the
 * approval webhook posts the documented JSON (or records why it could not).
 */
import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalPayload, checkWebhookUrl, postWebhook } from '../../src/service/approval-webhook.js';
import { EvidenceStore, ResponseStore, type ApprovalRecord } from '../../src/store/index.js';
import { tempDir } from '../helpers/cli.js';

const BIG = 1_795_622_762_649_493_652n; // > 2^53: must not go through a JS number

function approval(id: string): ApprovalRecord {
  return {
    approval_id: id,
    status: 'pending',
    run_id: 'r',
    tool_call_id: 'tc',
    agent_id: 'coder',
    decision_id: 'd',
    event_id: 'e',
    gate_record_id: null,
    target_kind: 'cgroup',
    target: '/sys/fs/cgroup/x',
    target_spec: { kind: 'cgroup2', path: '/sys/fs/cgroup/x', id: '42' },
    response_id: 'resp',
    rules: ['rule-a'],
    summary: 'curl[7] connect 10.0.0.1:443',
    requested_at_ns: BIG,
    expires_at_ns: BIG + 1_000_000_000n,
    decided_at_ns: null,
    decided_by: null,
    decision_reason: null,
  };
}

describe('ResponseStore', () => {
  let dir: ReturnType<typeof tempDir>;
  let a: EvidenceStore;
  let b: EvidenceStore;
  beforeEach(() => {
    dir = tempDir();
    a = new EvidenceStore(dir.path);
    b = new EvidenceStore(dir.path);
  });
  afterEach(() => {
    a.close();
    b.close();
    dir.cleanup();
  });

  it('keeps 64-bit times exact and lets exactly one of two racing answers decide', () => {
    const ra = new ResponseStore(a.db);
    const rb = new ResponseStore(b.db);
    ra.insertApproval(approval('ap1'));
    expect(rb.getApproval('ap1')).toMatchObject({ requested_at_ns: BIG, expires_at_ns: BIG + 1_000_000_000n, status: 'pending' });
    expect(rb.dueApprovals(BIG)).toEqual([]);
    expect(rb.dueApprovals(BIG + 1_000_000_000n).map((x) => x.approval_id)).toEqual(['ap1']);
    expect(ra.claimApproval('ap1', 'approved', BIG + 5n, 'alice', 'ok')).toBe(true);
    expect(rb.claimApproval('ap1', 'expired', BIG + 6n, 'timeout', null)).toBe(false);
    expect(rb.getApproval('ap1')).toMatchObject({ status: 'approved', decided_by: 'alice', decided_at_ns: BIG + 5n, decision_reason: 'ok' });
    expect(rb.listApprovals('pending')).toEqual([]);
  });

  it('numbers steps per approval in order, across connections', () => {
    const ra = new ResponseStore(a.db);
    const rb = new ResponseStore(b.db);
    ra.insertApproval(approval('ap2'));
    ra.addStep('ap2', 'requested', BIG, 'agentprov', 'x');
    rb.addStep('ap2', 'notified', BIG + 1n, 'webhook', 'HTTP 200');
    ra.addStep('ap2', 'approved', BIG + 2n, 'alice', '');
    expect(rb.stepsOf('ap2').map((s) => [s.seq, s.step, s.time_ns])).toEqual([
      [1, 'requested', BIG],
      [2, 'notified', BIG + 1n],
      [3, 'approved', BIG + 2n],
    ]);
  });

  it('remembers containments until they are released', () => {
    const r = new ResponseStore(a.db);
    r.putContainment({ target_kind: 'container', target: 'abc', state: 'quarantined', response_id: 'x', updated_at_ns: BIG, body: { networks: ['bridge'] } });
    expect(new ResponseStore(b.db).getContainment('container', 'abc')).toMatchObject({ state: 'quarantined', updated_at_ns: BIG, body: { networks: ['bridge'] } });
    r.deleteContainment('container', 'abc');
    expect(r.getContainment('container', 'abc')).toBeNull();
  });
});

describe('approval webhook', () => {
  it('posts the request as JSON and reports the HTTP status', async () => {
    let got: any = null;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => {
        got = { method: req.method, type: req.headers['content-type'], body: JSON.parse(body) };
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/x`;
    try {
      const res = await postWebhook(url, approvalPayload(approval('ap3'), { owner: 'alice' }));
      expect(res).toMatchObject({ ok: true, status: 204 });
      expect(got).toMatchObject({ method: 'POST', type: 'application/json' });
      expect(got.body).toMatchObject({ schema_version: 'agentprov.approval-request/v1', approval_id: 'ap3', owner: 'alice', expires_at: '2026-11-25T16:06:03.649493652Z', deny: 'agentprov approvals deny ap3' });
    } finally {
      server.close();
    }
    const down = await postWebhook(url, {}, 1000);
    expect(down).toMatchObject({ ok: false, status: null });
    expect(down.detail).toContain('ECONNREFUSED');
  });

  it('accepts only http(s) URLs', () => {
    expect(checkWebhookUrl('https://hooks.example/a')).toBe('https://hooks.example/a');
    expect(() => checkWebhookUrl('file:///etc/passwd')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => checkWebhookUrl('not a url')).toThrow(/not a URL/);
  });
});
