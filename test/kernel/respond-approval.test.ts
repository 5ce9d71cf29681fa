/**
 * require_approval on real cgroups: the offending tool call is frozen while a person decides; approve thaws,
 * deny kills, silence past the timeout denies; the webhook (a local HTTP server) received the request, and
 * every step is recorded. The events are fed to the engine as the sensor delivers them (no eBPF needed).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cgroupIdOf, isFrozen, isPopulated } from '../../src/host/index.js';
import { wallClockNs } from '../../src/clock.js';
import { ResponseStore, responsesOfRun } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { describeRoot } from './require-root.js';
import { exitOf, startPipeline, until, type Pipeline } from './respond-harness.js';

const POLICY = `
version: 1
name: approval-test
rules:
  - id: needs-a-person
    severity: high
    action: require_approval
    match:
      event_type: network_connect
      dst_ip: 10.9.9.9
`;

describeRoot('respond: require_approval', () => {
  let p: Pipeline;
  let server: Server;
  const posts: any[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => {
        posts.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/approvals`;
    p = await startPipeline('approval', POLICY, { approvalTimeoutMs: 1500, webhookUrl: url });
  });
  afterAll(async () => {
    await p?.close();
    server?.close();
  });

  /** A tool call in its own leaf, running sleep, that "connects" to the guarded address. */
  async function offend(name: string) {
    const leaf = p.leaf(name);
    const id = cgroupIdOf(leaf.path).toString();
    p.bind({ run_id: 'ra', tool_call_id: name, agent_id: 'coder', own_cgroup_ids: [id] });
    const child = p.spawn(leaf, '/bin/sleep', ['60']);
    await until('sleep to run', () => isPopulated(leaf));
    p.feed([{ type: 'network_connect', source: 'agentprov_ebpf', host: 'h', time_ns: wallClockNs(), pid: child.pid!, tgid: child.pid!, comm: 'sleep', cgroup_id: id, family: 'inet', dst_ip: '10.9.9.9', dst_port: 443 }]);
    await until('the leaf to be frozen', () => isFrozen(leaf));
    const approvals = new ResponseStore(p.store.db).listApprovals('pending').filter((a) => a.tool_call_id === name);
    expect(approvals).toHaveLength(1);
    return { leaf, child, approval: approvals[0]! };
  }
  const cli = (args: string[]) => runCli(args, { dataDir: p.dataDir, env: { USER: 'alice' } });
  const steps = async (id: string) => (await cli(['approvals', 'show', id, '--json'])).json().steps.map((s: any) => s.step);

  it('freezes while waiting; approve thaws and the tool call goes on', async () => {
    const { leaf, child, approval } = await offend('tc-approve');
    const freeze = responsesOfRun(p.store.db, 'ra').find((r) => r.tool_call_id === 'tc-approve' && r.action === 'require_approval');
    expect(freeze?.detail).toContain(`approval ${approval.approval_id} pending`);
    expect(freeze?.latency_ns).toBeGreaterThan(0n);
    const listed = (await cli(['approvals', 'list', '--json'])).json().items.map((a: any) => a.approval_id);
    expect(listed).toContain(approval.approval_id);

    // the person answers after the webhook reached them
    await until('the webhook to be delivered', () => posts.some((x) => x.approval_id === approval.approval_id));
    await p.live.settled();
    const res = await cli(['approvals', 'approve', approval.approval_id, '--reason', 'expected call', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json().action).toMatchObject({ action: 'thaw', result: 'done', target: leaf.path, decision_id: freeze!.decision_id });
    expect(isFrozen(leaf)).toBe(false);
    expect(child.exitCode).toBeNull();
    await p.live.settled();
    expect(await steps(approval.approval_id)).toEqual(['requested', 'held', 'notified', 'approved', 'thawed']);
    const decided = new ResponseStore(p.store.db).getApproval(approval.approval_id)!;
    expect(decided).toMatchObject({ status: 'approved', decided_by: 'alice', decision_reason: 'expected call' });
  });

  it('deny kills the frozen tool call', async () => {
    const { leaf, child, approval } = await offend('tc-deny');
    await until('the webhook to be delivered', () => posts.some((x) => x.approval_id === approval.approval_id));
    const res = await cli(['approvals', 'deny', approval.approval_id, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json().action).toMatchObject({ action: 'kill', result: 'done' });
    expect((await exitOf(child)).signal).toBe('SIGKILL');
    expect(isPopulated(leaf)).toBe(false);
    // a second answer changes nothing and says so
    const again = await cli(['approvals', 'approve', approval.approval_id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already denied');
  });

  it('silence past the timeout denies: the tool call is killed', async () => {
    const { leaf, child, approval } = await offend('tc-silent');
    const end = await exitOf(child);
    expect(end.signal).toBe('SIGKILL');
    await p.live.settled();
    expect(isPopulated(leaf)).toBe(false);
    const a = new ResponseStore(p.store.db).getApproval(approval.approval_id)!;
    expect(a).toMatchObject({ status: 'expired', decided_by: 'timeout' });
    expect(await steps(approval.approval_id)).toEqual(['requested', 'held', 'notified', 'expired', 'killed']);
    const kill = responsesOfRun(p.store.db, 'ra').find((r) => r.tool_call_id === 'tc-silent' && r.action === 'kill');
    expect(kill?.detail).toContain('expired by timeout');
  });

  it('the webhook received every request', () => {
    expect(posts.map((x) => x.tool_call_id)).toEqual(['tc-approve', 'tc-deny', 'tc-silent']);
    expect(posts[0]).toMatchObject({ schema_version: 'agentprov.approval-request/v1', run_id: 'ra', agent_id: 'coder', rules: ['needs-a-person'], target_kind: 'cgroup', on_timeout: 'deny' });
    expect(posts[0].summary).toContain('10.9.9.9');
  });
});
