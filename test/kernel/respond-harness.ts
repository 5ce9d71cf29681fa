/**
 * Shared setup for the response tests: a real evidence store, the engine with the live responder (and
 * approvals) over it, cgroup v2 leaves for tool calls, and optionally the real eBPF sensor feeding it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvidenceEngine, finalizeEvent } from '../../src/engine/index.js';
import { cgroupIdOf, createLeaf, ensureCgroup2Root, killCgroup, prepareSensorHost, removeLeaf, spawnInCgroup, thaw, type CgroupLeaf } from '../../src/host/index.js';
import type { RuntimeEventInput, ToolCallScopeInput } from '../../src/model/index.js';
import { ToolCallScopeSchema } from '../../src/model/index.js';
import { loadPolicies } from '../../src/policy/index.js';
import type { DockerPort } from '../../src/respond/index.js';
import { wallClockNs } from '../../src/clock.js';
import { gateEngineOptions } from '../../src/service/gate-intent.js';
import { createLiveResponse, type LiveResponse } from '../../src/service/respond-live.js';
import { Sensor } from '../../src/sensor/index.js';
import { EvidenceStore } from '../../src/store/index.js';
import { listenLoopback } from './loopback-listener.js';

export interface Pipeline {
  dataDir: string;
  store: EvidenceStore;
  engine: EvidenceEngine;
  live: LiveResponse;
  sensor: Sensor | null;
  cgroup2Root: string;
  errors: unknown[];
  leaf(name: string): CgroupLeaf;
  bind(scope: Omit<ToolCallScopeInput, 'started_at_ns'> & { started_at_ns?: bigint }): void;
  /** Feeds events to the engine as the sensor would (for tests that need no eBPF). */
  feed(events: RuntimeEventInput[]): void;
  spawn(leaf: CgroupLeaf, cmd: string, args: string[]): ChildProcess;
  close(): Promise<void>;
}

export interface PipelineOptions {
  sensor?: false | { enforce?: boolean };
  docker?: DockerPort | null;
  approvalTimeoutMs?: number;
  webhookUrl?: string | null;
  /** Events older than this are a backlog the live responder does not act on (default 60 s). */
  maxEventAgeMs?: number;
}

export async function startPipeline(name: string, policyYaml: string, opts: PipelineOptions = {}): Promise<Pipeline> {
  const cgroup2Root = opts.sensor ? (await prepareSensorHost()).cgroup2Root : await ensureCgroup2Root();
  const parent = `agentprov-test/${name}-${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), `ap-${name}-`));
  const store = new EvidenceStore(dataDir);
  const errors: unknown[] = [];
  const live = createLiveResponse({
    store,
    now: wallClockNs,
    docker: opts.docker ?? null,
    webhookUrl: opts.webhookUrl ?? null,
    ...(opts.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: opts.approvalTimeoutMs } : {}),
    ...(opts.maxEventAgeMs !== undefined ? { maxEventAgeMs: opts.maxEventAgeMs } : {}),
    onError: (e) => errors.push(e),
  });
  const policy = loadPolicies([{ file: `${name}.yaml`, text: policyYaml }]);
  const engine = new EvidenceEngine({ sink: store, policy, clock: wallClockNs, responder: live.responder, ...gateEngineOptions(store) });
  const feed = (events: RuntimeEventInput[]): void => {
    engine.processBatch(events.map(finalizeEvent), null);
  };
  let sensor: Sensor | null = null;
  if (opts.sensor) {
    sensor = Sensor.start({ cgroup2Root, enforce: opts.sensor.enforce === true, tls: false, onBatch: feed, onError: (e) => errors.push(e) });
    live.actuator.attachSensor(sensor);
  }
  const leaves: CgroupLeaf[] = [];
  const children: ChildProcess[] = [];
  return {
    dataDir,
    store,
    engine,
    live,
    sensor,
    cgroup2Root,
    errors,
    leaf(leafName) {
      const leaf = createLeaf(parent, leafName, { root: cgroup2Root });
      leaves.push(leaf);
      sensor?.trackCgroup(cgroupIdOf(leaf.path), leaf.cgroupPath);
      return leaf;
    },
    bind(scope) {
      engine.bind(ToolCallScopeSchema.parse({ started_at_ns: wallClockNs() - 1_000_000_000n, ...scope }));
    },
    feed,
    spawn(leaf, cmd, args) {
      const child = spawnInCgroup(leaf, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    async close() {
      live.close();
      await sensor?.stop();
      for (const leaf of leaves) {
        await killCgroup(leaf).catch(() => {});
        await thaw(leaf, { timeoutMs: 200 }).catch(() => {});
      }
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await removeLeaf(join(cgroup2Root, parent)).catch(() => {});
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
}

/** Lines a child prints, as they come. */
export function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    out.push(...parts);
  });
  return out;
}

export async function until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A process outside every test cgroup. */
export function spawnOutside(cmd: string, args: string[]): ChildProcess {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * For a describe block: a pipeline with the real sensor (enforcing) and a loopback listener its processes
 * connect to, started before the block's tests and stopped after them.
 */
export function sensorPipelineForSuite(name: string, policyYaml: string, opts: Omit<PipelineOptions, 'sensor'> = {}): { readonly p: Pipeline; readonly port: number } {
  let server: Server | undefined;
  const suite = { p: undefined as unknown as Pipeline, port: 0 };
  beforeAll(async () => {
    ({ server, port: suite.port } = await listenLoopback());
    suite.p = await startPipeline(name, policyYaml, { ...opts, sensor: { enforce: true } });
  });
  afterAll(async () => {
    await suite.p?.close();
    server?.close();
  });
  return suite;
}
