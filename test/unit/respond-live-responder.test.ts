/**
 * The live responder on processes this test owns (signals to one's own children need no privilege): the
 * step chosen per decision, the latency from the event, idempotency across re-judging, dry run, the
 * pid-reuse guard, and require_approval through the approval service on a real store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { EvidenceEngine, finalizeEvent, type ResponseRequest } from '../../src/engine/index.js';
import { readProcStat } from '../../src/host/index.js';
import type { Correlation, PolicyDecision, RuntimeEvent } from '../../src/model/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import { Actuator, CgroupLocator, LiveResponder } from '../../src/respond/index.js';
import { wallClockNs } from '../../src/clock.js';
import { createLiveResponse } from '../../src/service/respond-live.js';
import { ResponseStore, responsesOfRun } from '../../src/store/index.js';
import { freshStoreEachTest } from '../helpers/store.js';

const kids: ChildProcess[] = [];
function sleeper(): ChildProcess {
  const c = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  kids.push(c);
  return c;
}
const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.signalCode) : new Promise<NodeJS.Signals | null>((r) => c.on('exit', (_code, sig) => r(sig)));
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

function request(action: PolicyDecision['action'], event: Partial<RuntimeEvent>, now = wallClockNs()): ResponseRequest {
  const e = finalizeEvent({ type: 'network_connect', source: 'agentprov_ebpf', host: 'h', time_ns: now, ...event } as RuntimeEvent);
  const correlation: Correlation = { event_id: e.event_id!, binding_id: null, run_id: 'r', tool_call_id: 'tc', tier: 'unattributed', keys_matched: [], confidence: 0, reason: '' };
  const decision: PolicyDecision = { decision_id: `d-${action}-${e.event_id!.slice(0, 8)}`, event_id: e.event_id!, tool_call_id: 'tc', policy_hash: 'p', matches: [], action, would_action: action, time_ns: e.time_ns };
  return { decision, event: e, correlation, scope: null, now };
}

afterEach(() => {
  for (const k of kids.splice(0)) k.kill('SIGKILL');
});

describe('LiveResponder on a process', () => {
  const recorded: string[] = [];
  const responder = () => new LiveResponder({ actuator: new Actuator(), locator: new CgroupLocator(null), record: (a) => recorded.push(`${a.response_id}:${a.result}`) });

  it('deny SIGKILLs the offending process and records the latency from the event', async () => {
    const c = sleeper();
    const r = responder();
    const before = wallClockNs();
    const a = r.respond(request('deny', { pid: c.pid! }, before));
    expect(a).toMatchObject({ action: 'deny', target_kind: 'process', target: String(c.pid), result: 'done' });
    expect(a.latency_ns!).toBeGreaterThan(0n);
    expect(a.latency_ns!).toBeLessThan(wallClockNs() - before + 1n);
    expect(await exited(c)).toBe('SIGKILL');
    await r.settled();
    expect(recorded.at(-1)).toBe(`${a.response_id}:done`);
  });

  it('answers the same event and action again with the same record, without acting twice', async () => {
    const c = sleeper();
    const r = responder();
    const req = request('quarantine', { pid: c.pid! });
    const first = r.respond(req);
    await until(() => readProcStat(c.pid!)?.state === 'T');
    process.kill(c.pid!, 'SIGCONT');
    await until(() => readProcStat(c.pid!)?.state !== 'T');
    const again = r.respond({ ...req, decision: { ...req.decision, decision_id: 'rejudged' } });
    expect(again.response_id).toBe(first.response_id);
    expect(again.decision_id).toBe('rejudged');
    await new Promise((res) => setTimeout(res, 50));
    expect(readProcStat(c.pid!)?.state).not.toBe('T');
  });

  it('does not act on old events, on events that name nothing, or on a reused pid', () => {
    const c = sleeper();
    const r = responder();
    const old = r.respond(request('kill', { pid: c.pid! }, wallClockNs() - 120_000_000_000n));
    expect(old).toMatchObject({ result: 'skipped', target_kind: 'none' });
    expect(old.detail).toContain('old: not acting');
    expect(r.respond(request('kill', {})).detail).toContain('no live target');
    const reused = r.respond(request('kill', { pid: c.pid!, process_start_ns: wallClockNs() - 3_600_000_000_000n }));
    expect(reused.result).toBe('skipped');
    expect(reused.detail).toContain('pid was reused');
    expect(readProcStat(c.pid!)).not.toBeNull();
  });

  it('acts only where the entry point says it may, and says why not', () => {
    const c = sleeper();
    const r = new LiveResponder({ actuator: new Actuator(), locator: new CgroupLocator(null), skipReason: (req) => (req.decision.action === 'kill' ? 'not this entry point' : null) });
    const a = r.respond(request('kill', { pid: c.pid! }));
    expect(a).toMatchObject({ result: 'skipped', target_kind: 'none', detail: 'not this entry point' });
    expect(readProcStat(c.pid!)?.state).not.toBe('Z');
  });

  it('dry run records what it would do and touches nothing', () => {
    const c = sleeper();
    const r = new LiveResponder({ actuator: new Actuator({ dryRun: true }), locator: new CgroupLocator(null) });
    const a = r.respond(request('kill', { pid: c.pid! }));
    expect(a).toMatchObject({ result: 'dry_run', latency_ns: null });
    expect(a.detail).toContain(`would send SIGKILL to process ${c.pid}`);
    expect(readProcStat(c.pid!)?.state).not.toBe('Z');
  });
});

describe('require_approval through the engine, on a real store', () => {
  const fresh = freshStoreEachTest();

  it('stops the process while a person decides; approve continues it; every step is recorded', async () => {
    const { store } = fresh;
    const live = createLiveResponse({ store, now: wallClockNs, approvalTimeoutMs: 60_000 });
    const policy = loadPolicies([{ file: 'p.yaml', text: 'version: 1\nname: p\nrules:\n  - id: ask\n    severity: high\n    action: require_approval\n    match:\n      event_type: network_connect\n      dst_port: 6667\n' }]);
    const engine = new EvidenceEngine({ sink: store, policy, clock: wallClockNs, responder: live.responder });
    const c = sleeper();
    engine.bind({ run_id: 'ra', session_id: 's', attempt_id: '1', tool_call_id: 'tc-a', started_at_ns: 0n, own_cgroup_ids: [], cgroup_ids: [], container_ids: [], pids: [{ pid: c.pid! }], asserted: false, confidence: 1 });
    engine.processBatch([finalizeEvent({ type: 'network_connect', source: 'agentprov_ebpf', host: 'h', time_ns: wallClockNs(), pid: c.pid!, dst_ip: '198.51.100.1', dst_port: 6667 })], null);
    await until(() => readProcStat(c.pid!)?.state === 'T');
    const responses = new ResponseStore(store.db);
    const [pending] = responses.listApprovals('pending');
    expect(pending).toMatchObject({ run_id: 'ra', tool_call_id: 'tc-a', target_kind: 'process', rules: ['ask'] });
    const res = await live.approvals.approve(pending!.approval_id, 'alice');
    expect(res.action).toMatchObject({ action: 'thaw', result: 'done' });
    expect(readProcStat(c.pid!)?.state).not.toBe('T');
    expect(responses.stepsOf(pending!.approval_id).map((s) => s.step)).toEqual(['requested', 'held', 'not_notified', 'approved', 'thawed']);
    const actions = responsesOfRun(store.db, 'ra').map((r) => r.action).sort();
    expect(actions).toEqual(['require_approval', 'thaw']);
    live.close();
  });
});
