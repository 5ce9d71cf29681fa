/**
 * Shared setup for the sensor's kernel tests: a real Sensor on a fresh cgroup v2 leaf, commands spawned inside
 * the leaf, and a wait that flushes the kernel ring until the expected event arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createLeaf, removeLeaf, spawnInCgroup, type CgroupLeaf } from '../../src/host/index.js';
import { cgroupIdOf, prepareSensorHost } from '../../src/host/capabilities.js';
import { MemoryEventSink, Sensor, type SensorOptions } from '../../src/sensor/index.js';
import type { RuntimeEventInput } from '../../src/model/index.js';

export interface RunResult {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Harness {
  sensor: Sensor;
  sink: MemoryEventSink;
  leaf: CgroupLeaf;
  cgroupId: bigint;
  cgroup2Root: string;
  errors: unknown[];
  /** Runs cmd inside the tracked leaf (optionally as uid/gid) and waits for it to exit. */
  run(cmd: string, args: string[], opts?: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv; leaf?: CgroupLeaf }): Promise<RunResult>;
  /** Flushes until an event matches, or fails listing what did arrive. */
  waitFor(what: string, pred: (e: RuntimeEventInput) => boolean, timeoutMs?: number): Promise<RuntimeEventInput>;
  newLeaf(name: string): CgroupLeaf;
  close(): Promise<void>;
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ pid: child.pid ?? -1, code, signal, stdout, stderr }));
  });
}

/**
 * A harness whose JavaScript thread stalls `ms` on the first batch, as a long store write would, then goes
 * on into the sink; `stalled()` says whether the stall happened.
 */
export async function startStalledHarness(name: string, ms: number, extra: Partial<SensorOptions> = {}): Promise<Harness & { stalled(): boolean }> {
  let stalled = false;
  let sink: MemoryEventSink | null = null;
  const h = await startHarness(name, {
    tls: false,
    ...extra,
    onBatch: (events: RuntimeEventInput[]) => {
      if (!stalled) {
        stalled = true;
        const until = Date.now() + ms;
        while (Date.now() < until) {
          /* busy */
        }
      }
      sink!.processBatch(events);
    },
  });
  sink = h.sink;
  return Object.assign(h, { stalled: () => stalled });
}

export async function startHarness(name: string, extra: Partial<SensorOptions> = {}): Promise<Harness> {
  const { cgroup2Root } = await prepareSensorHost();
  const parent = `agentprov-test/${name}-${randomBytes(3).toString('hex')}`;
  const newLeaf = (leafName: string): CgroupLeaf => createLeaf(parent, leafName, { root: cgroup2Root });
  const leaf = newLeaf('tracked');
  const cgroupId = cgroupIdOf(leaf.path);
  const sink = new MemoryEventSink();
  const errors: unknown[] = [];
  const sensor = Sensor.start({
    cgroupIds: extra.all ? [] : [cgroupId],
    cgroup2Root,
    onBatch: (events) => sink.processBatch(events),
    onError: (err) => errors.push(err),
    ...extra,
  });
  return {
    sensor,
    sink,
    leaf,
    cgroupId,
    cgroup2Root,
    errors,
    newLeaf,
    run(cmd, args, opts = {}) {
      const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid };
      const child = spawnInCgroup(opts.leaf ?? leaf, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env, ...ids });
      return collect(child);
    },
    async waitFor(what, pred, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = sink.events.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) {
          const seen = sink.events.map((e) => `${e.type} pid=${e.pid} ${e.comm} ${e.path ?? e.exe ?? ''}`).slice(-40);
          throw new Error(`no event: ${what}; last events:\n${seen.join('\n')}`);
        }
        await sensor.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await sensor.stop();
      // the parent goes too: removeLeaf removes descendants deepest first
      await removeLeaf(join(cgroup2Root, parent)).catch(() => {});
    },
  };
}

/** A process outside every tracked cgroup (the test runner's own cgroup). */
export function runUntracked(cmd: string, args: string[]): Promise<RunResult> {
  return collect(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** `h.run(...openBurst(n))`: a process that opens and closes /dev/null n times, as fast as it can. */
export function openBurst(n: number): [string, string[]] {
  return ['/usr/bin/python3', ['-c', `import os\nfor i in range(${n}): os.close(os.open('/dev/null', os.O_RDONLY))`]];
}
