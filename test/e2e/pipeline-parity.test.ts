// The same events, judged through every entry point that takes given events (after-the-fact ingest, the
// sensor's store output, `policy test` over the data dir), give the same decisions: owner rules (the owner
// comes from the agent registry), $WORKSPACE rules (the workspace the scope declares) and plain rules alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { StoreEventSink } from '../../src/service/store-event-sink.js';
import { EvidenceStore } from '../../src/store/index.js';
import type { RuntimeEventInput, ToolCallScopeInput } from '../../src/model/index.js';
import { ToolCallScopeSchema } from '../../src/model/index.js';

const POLICY = `version: 1
name: parity
default_action: audit
rules:
  - id: owner-alice-reads-etc
    description: an agent owned by alice reads under /etc
    severity: low
    score: 10
    action: alert
    match:
      event_type: file_open
      agent_owner: [alice]
      path_glob: ["/etc/**"]
  - id: write-outside-workspace
    description: a write outside the declared workspace
    severity: medium
    score: 45
    action: alert
    match:
      event_type: file_open
      open_flags_any: [write, create, truncate]
      path_outside: ["$WORKSPACE", "/tmp/**"]
  - id: any-connect
    description: every connect
    severity: info
    score: 1
    action: audit
    match:
      event_type: network_connect
`;

const T0 = 1_764_064_800_000_000_000n; // 2025-11-25T10:00:00Z
const base = { source: 'agentprov_ebpf', host: 'h', pid: 4242, ppid: 1, comm: 'agent', process_start_ns: String(T0 - 1_000_000_000n), cgroup_id: '8421' };
const EVENTS: Record<string, unknown>[] = [
  { ...base, type: 'file_open', time_ns: String(T0 + 1_000_000_000n), path: '/etc/hosts', open_flags: ['read'], result: 3 },
  { ...base, type: 'file_open', time_ns: String(T0 + 2_000_000_000n), path: '/work/ws/src/a.ts', open_flags: ['write', 'create'], result: 4 },
  { ...base, type: 'file_open', time_ns: String(T0 + 3_000_000_000n), path: '/home/alice/.bashrc', open_flags: ['write', 'truncate'], result: 5 },
  { ...base, type: 'file_open', time_ns: String(T0 + 4_000_000_000n), path: '/tmp/scratch', open_flags: ['write', 'create'], result: 6 },
  { ...base, type: 'network_connect', time_ns: String(T0 + 5_000_000_000n), dst_ip: '127.0.0.1', dst_port: 8080, result: 0 },
];
const SCOPE: ToolCallScopeInput = {
  run_id: 'r1',
  tool_call_id: 'tc-1',
  tool_name: 'run_shell',
  agent_id: 'coder-1',
  workspace: '/work/ws',
  started_at_ns: T0,
  ended_at_ns: T0 + 10_000_000_000n,
  pids: [{ pid: 4242 }],
};
const BIND = [
  'telemetry', 'bind', '--run', 'r1', '--tool-call', 'tc-1', '--tool-name', 'run_shell', '--agent-id', 'coder-1',
  '--workspace', '/work/ws', '--pid', '4242', '--started-at', String(T0), '--ended-at', String(T0 + 10_000_000_000n),
];

/** What a user compares: per event (by time), the rules that decided it and the action. */
type Decided = Record<string, { action: string; rules: string[] }>;

function decidedOf(store: EvidenceStore): Decided {
  const events = new Map(store.query.eventsOfRun('r1').map((e) => [e.event_id!, e]));
  const out: Decided = {};
  for (const d of store.query.decisionsOfRun('r1')) {
    out[String(events.get(d.event_id)!.time_ns)] = { action: d.action, rules: d.matches.map((m) => m.rule_id).sort() };
  }
  return out;
}

describe('one composition: every entry point judges the same events alike', () => {
  const dir = tempDir('agentprov-parity-');
  const policy = join(dir.path, 'parity.yaml');
  const file = join(dir.path, 'events.jsonl');
  const ingestDir = join(dir.path, 'ingest');
  const sensorDir = join(dir.path, 'sensor');
  const results: Record<string, Decided> = {};

  beforeAll(async () => {
    writeFileSync(policy, POLICY);
    writeFileSync(file, `${EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n`);
    for (const d of [ingestDir, sensorDir]) {
      const add = await runCli(['agents', 'add', 'coder-1', '--owner', 'alice', '--autonomy', 'autonomous'], { dataDir: d });
      expect(add.code, add.stderr).toBe(0);
    }
  });
  afterAll(() => dir.cleanup());

  it('after-the-fact ingest: bind, then ingest-jsonl', async () => {
    expect((await runCli([...BIND, '--policy', policy], { dataDir: ingestDir })).code).toBe(0);
    const ing = await runCli(['telemetry', 'ingest-jsonl', '--format', 'native', '--file', file, '--policy', policy, '--strict'], { dataDir: ingestDir });
    expect(ing.code, ing.stderr).toBe(0);
    const store = new EvidenceStore(ingestDir, { mustExist: true });
    results.ingest = decidedOf(store);
    store.close();
    // the rules that need the registry's owner and the scope's workspace did fire
    expect(results.ingest).toEqual({
      [String(T0 + 1_000_000_000n)]: { action: 'alert', rules: ['owner-alice-reads-etc'] },
      [String(T0 + 3_000_000_000n)]: { action: 'alert', rules: ['write-outside-workspace'] },
      [String(T0 + 5_000_000_000n)]: { action: 'audit', rules: ['any-connect'] },
    });
  });

  it("the sensor's store output: bind over its API, then its batches", async () => {
    const sink = new StoreEventSink({ dataDir: sensorDir, policyFiles: [policy], now: () => T0 });
    try {
      sink.bind(ToolCallScopeSchema.parse(SCOPE));
      sink.processBatch(EVENTS.map((e) => ({ ...e, time_ns: BigInt(e.time_ns as string), process_start_ns: BigInt(e.process_start_ns as string) }) as RuntimeEventInput));
    } finally {
      await sink.close();
    }
    const store = new EvidenceStore(sensorDir, { mustExist: true });
    results.sensor = decidedOf(store);
    store.close();
    expect(results.sensor).toEqual(results.ingest);
  });

  it('policy test over the data dir: its scopes and agents, nothing stored', async () => {
    const t = await runCli(['policy', 'test', file, '--format', 'native', '--policy', policy, '--json'], { dataDir: sensorDir });
    expect(t.code, t.stderr).toBe(0);
    const byTime = new Map(EVENTS.map((e, i) => [i + 1, String(e.time_ns)]));
    const decided: Decided = {};
    for (const it of t.json().items as { line: number; action: string; rules: { rule_id: string }[] }[]) {
      decided[byTime.get(it.line)!] = { action: it.action, rules: it.rules.map((r) => r.rule_id).sort() };
    }
    expect(decided).toEqual(results.ingest);
  });
});
