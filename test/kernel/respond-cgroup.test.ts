/**
 * The live pipeline on real cgroups v2 and the real eBPF sensor: a tool call that connects to a denied
 * address is killed through cgroup.kill while its sibling (same run, its own cgroup) keeps running, and the
 * response record carries the measured latency from the kernel event. The kill rule is one the kernel decides
 * alone, so the sensor's ring thread kills, even while this thread is blocked or behind.
 */
import { expect, it } from 'vitest';
import { cgroupIdOf, isPopulated } from '../../src/host/index.js';
import { responsesOfRun, nodesOfRun, edgesOfRun, decisionsOfRun } from '../../src/store/index.js';
import { rawBodies } from '../helpers/stored-events.js';
import { describeKernel } from './require-ebpf.js';
import { exitOf, lines, sensorPipelineForSuite, until } from './respond-harness.js';

const POLICY = `
version: 1
name: respond-test
rules:
  - id: denied-address
    severity: critical
    action: kill
    match:
      event_type: network_connect
      dst_ip: 127.0.0.2
  - id: denied-destination
    severity: high
    action: deny
    match:
      event_type: network_connect
      dst_ip: 127.0.0.4
`;

/** A kill rule only the engine can decide (argv), for the backlog suite. */
const MARKER_RULE = `  - id: marker
    severity: critical
    action: kill
    match:
      event_type: process_exec
      argv_contains: [agentprov-backlog-marker]
`;

describeKernel('respond: cgroup v2 kill from a live sensor event', () => {
  const suite = sensorPipelineForSuite('kill', POLICY);

  it('kills the offending tool call, leaves its sibling running, records latency and links it in the DAG', async () => {
    const { p, port } = suite;
    const bad = p.leaf('tc-bad');
    const good = p.leaf('tc-good');
    p.bind({ run_id: 'r1', tool_call_id: 'tc-bad', own_cgroup_ids: [cgroupIdOf(bad.path).toString()] });
    p.bind({ run_id: 'r1', tool_call_id: 'tc-good', own_cgroup_ids: [cgroupIdOf(good.path).toString()] });
    const sibling = p.spawn(good, '/bin/sleep', ['60']);
    const offender = p.spawn(bad, '/usr/bin/python3', [
      '-c',
      `import socket, time\nwhile True:\n  try: socket.create_connection(('127.0.0.2', ${port}), timeout=1).close()\n  except OSError: pass\n  time.sleep(0.05)`,
    ]);
    const end = await Promise.race([exitOf(offender), new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    expect(end, `errors: ${p.errors.map(String).join('; ')}`).toEqual({ code: null, signal: 'SIGKILL' });
    // The sensor's ring thread kills before the engine judges the connect: wait for the confirmed record.
    const recorded = () => responsesOfRun(p.store.db, 'r1').some((r) => r.action === 'kill' && r.target === bad.path && r.detail.includes('confirmed:'));
    await until('the kill to be recorded', recorded);
    await p.live.settled();

    expect(sibling.exitCode).toBeNull();
    expect(sibling.signalCode).toBeNull();
    expect(isPopulated(good)).toBe(true);
    await until('the killed leaf to empty', () => !isPopulated(bad));

    const responses = responsesOfRun(p.store.db, 'r1');
    const kill = responses.find((r) => r.action === 'kill' && r.target === bad.path);
    expect(kill, JSON.stringify(responses, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBeDefined();
    expect(kill!.result).toBe('done');
    expect(kill!.target_kind).toBe('cgroup');
    expect(kill!.tool_call_id).toBe('tc-bad');
    // The rule is one the kernel decides: binding wrote a deny entry with containment, so the sensor's ring
    // thread killed the cgroup when the kernel refused the connect, before this thread judged the event.
    expect(kill!.detail).toContain("the sensor's ring thread wrote 1 to cgroup.kill");
    expect(kill!.detail).toMatch(/is empty|was already empty/);
    expect(kill!.latency_ns).not.toBeNull();
    expect(kill!.latency_ns!).toBeGreaterThan(0n);
    expect(kill!.latency_ns!).toBeLessThan(1_000_000_000n);
    const decision = decisionsOfRun(p.store.db, 'r1').find((d) => d.decision_id === kill!.decision_id);
    expect(decision?.action).toBe('kill');
    expect(responses.every((r) => r.target !== good.path)).toBe(true);

    p.engine.rebuildRun('r1');
    const node = nodesOfRun(p.store.db, 'r1').find((n) => n.kind === 'response_action' && (n.body.response as { response_id: string }).response_id === kill!.response_id);
    expect(node).toBeDefined();
    expect(edgesOfRun(p.store.db, 'r1').some((e) => e.name === 'response_to' && e.from === node!.hash)).toBe(true);
    console.log(`kill latency (kernel refusal of connect() -> cgroup.kill written): ${Number(kill!.latency_ns) / 1e6} ms`);
  });

  it('contains without the JavaScript thread: the cgroup is killed while this thread is blocked', async () => {
    const { p, port } = suite;
    const bad = p.leaf('tc-blocked');
    p.bind({ run_id: 'r3', tool_call_id: 'tc-blocked', own_cgroup_ids: [cgroupIdOf(bad.path).toString()] });
    const offender = p.spawn(bad, '/usr/bin/python3', ['-c', `import socket, time
try: socket.create_connection(('127.0.0.2', ${port}), timeout=1)
except OSError: pass
time.sleep(30)`]);
    // Block this thread (as a long SQLite write would) and watch the cgroup synchronously: no batch can reach
    // the engine meanwhile, so an empty cgroup here can only be the sensor's ring thread's doing.
    // The child joins its cgroup just after the spawn: wait for that first, then for the cgroup to empty.
    let populated = false;
    let emptiedWhileBlocked = false;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!populated) populated = isPopulated(bad);
      else if (!isPopulated(bad)) {
        emptiedWhileBlocked = true;
        break;
      }
    }
    expect(populated).toBe(true);
    expect(emptiedWhileBlocked, `errors: ${p.errors.map(String).join('; ')}`).toBe(true);
    expect((await exitOf(offender)).signal).toBe('SIGKILL');
    await until('the kill to be recorded', () => responsesOfRun(p.store.db, 'r3').some((r) => r.action === 'kill'));
    await p.live.settled();
    const kill = responsesOfRun(p.store.db, 'r3').find((r) => r.action === 'kill' && r.target === bad.path);
    expect(kill?.detail).toContain("the sensor's ring thread wrote 1 to cgroup.kill");
  });

  it('ending the tool call removes its kernel entries: the destination is reachable from that cgroup again', async () => {
    const { p, port } = suite;
    const leaf = p.leaf('tc-ended');
    const id = cgroupIdOf(leaf.path);
    const scope = { run_id: 'r4', tool_call_id: 'tc-ended', own_cgroup_ids: [id.toString()], started_at_ns: BigInt(Date.now() - 1000) * 1_000_000n };
    p.bind(scope);
    expect(p.sensor!.deniedCidrsOf(id).sort()).toEqual(['127.0.0.2/32', '127.0.0.4/32']);
    p.bind({ ...scope, ended_at_ns: BigInt(Date.now()) * 1_000_000n });
    expect(p.sensor!.deniedCidrsOf(id)).toEqual([]);
    // Nothing attributes this process to the ended tool call, and the kernel no longer refuses the address.
    const probe = p.spawn(leaf, '/usr/bin/python3', ['-u', '-c', `import socket\ntry: socket.create_connection(('127.0.0.2', ${port}), timeout=2).close(); print('ok')\nexcept OSError as e: print('errno', e.errno)`]);
    const out = lines(probe);
    expect(await exitOf(probe)).toEqual({ code: 0, signal: null });
    expect(out).toEqual(['ok']);
  });

  it('deny refuses the destination in the kernel from the first try: the process sees EPERM and goes on, nothing else is touched', async () => {
    const { p, port } = suite;
    const leaf = p.leaf('tc-deny');
    p.bind({ run_id: 'r2', tool_call_id: 'tc-deny', own_cgroup_ids: [cgroupIdOf(leaf.path).toString()] });
    const bystander = p.spawn(leaf, '/bin/sleep', ['60']);
    const connect = `try:\n  socket.create_connection(('127.0.0.4', ${port}), timeout=2).close(); print('ok')\nexcept OSError as e: print('errno', e.errno)`;
    // two tries, 300 ms apart: the responder has answered the first before the second is made
    const proc = p.spawn(leaf, '/usr/bin/python3', ['-u', '-c', `import socket, time\n${connect}\ntime.sleep(0.3)\n${connect}`]);
    const out = lines(proc);
    expect(await exitOf(proc)).toEqual({ code: 0, signal: null });
    // The deny rule is one the kernel decides: the entry was written at bind, so even the first try was refused.
    expect(out).toEqual(['errno 1', 'errno 1']);
    const denies = () => responsesOfRun(p.store.db, 'r2').filter((r) => r.action === 'deny').sort((a, b) => (a.time_ns < b.time_ns ? -1 : 1));
    await until('both denied connects to be judged and stored', () => denies().length === 2);
    const [first, second] = denies();
    expect(first).toMatchObject({ target_kind: 'cgroup', target: leaf.path, result: 'done' });
    expect(first!.detail).toContain('the kernel refused this connect to 127.0.0.4/32 before it happened (EPERM)');
    expect(second).toMatchObject({ result: 'skipped' });
    expect(second!.detail).toMatch(/^127\.0\.0\.4\/32 is already in the cgroup's deny list \(decision [0-9a-f]{12}\): the kernel refused this connect/);
    expect(bystander.exitCode).toBeNull();
    // Events in the layout of migration 007: a narrow event_rows row (type a strings id), the body in its block.
    const ENFORCEMENT_OF = "SELECT 1 FROM event_rows e JOIN strings t ON t.id = e.type WHERE e.pid = ? AND t.value = 'enforcement'";
    await until('the refusals to be stored', () => p.store.db.prepare(ENFORCEMENT_OF).get(proc.pid) !== undefined);
    const refused = rawBodies(p.store.db, (e) => e.pid === proc.pid && e.type === 'enforcement');
    expect(refused.length).toBeGreaterThan(0);
    expect(JSON.parse(refused[0]!)).toMatchObject({ enforcement_action: 'connect_denied', dst_ip: '127.0.0.4' });
  });
});

/**
 * An engine that is behind: with maxEventAgeMs 0 every event reaches the live responder as a backlog, which
 * it never acts on. What the kernel decided alone is contained all the same (the sensor's ring thread killed
 * the cgroup when the kernel refused the connect) and recorded as done; a rule only the engine can decide is
 * recorded as skipped and leaves its process alone.
 */
describeKernel('respond: containment while the engine is behind', () => {
  const suite = sensorPipelineForSuite('backlog', `${POLICY}${MARKER_RULE}`, { maxEventAgeMs: 0 });

  it('the kernel-decided kill happens and is recorded; the engine-only rule is skipped as a backlog', async () => {
    const { p, port } = suite;
    const bad = p.leaf('tc-net');
    const slow = p.leaf('tc-argv');
    p.bind({ run_id: 'rb', tool_call_id: 'tc-net', own_cgroup_ids: [cgroupIdOf(bad.path).toString()] });
    p.bind({ run_id: 'rb', tool_call_id: 'tc-argv', own_cgroup_ids: [cgroupIdOf(slow.path).toString()] });
    const offender = p.spawn(bad, '/usr/bin/python3', ['-c', `import socket, time\ntry: socket.create_connection(('127.0.0.2', ${port}), timeout=1)\nexcept OSError: pass\ntime.sleep(30)`]);
    // the shell's own argv carries the marker; it stays to run the command after sleep
    const marked = p.spawn(slow, '/bin/sh', ['-c', 'sleep 30; : agentprov-backlog-marker']);
    expect((await exitOf(offender)).signal).toBe('SIGKILL');
    await until('both decisions to be recorded', () => responsesOfRun(p.store.db, 'rb').length >= 2);
    await p.live.settled();
    const responses = responsesOfRun(p.store.db, 'rb');
    const kill = responses.find((r) => r.target === bad.path);
    expect(kill).toMatchObject({ action: 'kill', result: 'done' });
    expect(kill!.detail).toContain("the sensor's ring thread wrote 1 to cgroup.kill");
    expect(kill!.detail).toContain('(backlog): nothing more done');
    expect(kill!.latency_ns).toBeGreaterThan(0n);
    const skipped = responses.find((r) => r.tool_call_id === 'tc-argv');
    expect(skipped).toMatchObject({ action: 'kill', result: 'skipped' });
    expect(skipped!.detail).toContain('not acting on a backlog');
    expect(isPopulated(slow)).toBe(true);
    marked.kill('SIGKILL');
  });
});
