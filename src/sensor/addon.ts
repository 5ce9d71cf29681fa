/**
 * @module sensor/addon: the only file that loads the native addon, and its typed surface.
 *
 * Where: `native/build/Release/agentprov_sensor.node` under the package root — node-gyp's default output for
 * `npx node-gyp rebuild -C native` (after `make -C bpf`, which makes the skeleton it compiles in). The root is
 * found by walking up from this file to the directory holding `native/binding.gyp`, so the same code works from
 * src/ (vitest) and dist/src/ (built bin). AGENTPROV_SENSOR_ADDON overrides the path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SensorError } from '../errors.js';
import type { NativeContainmentReport } from './containment.js';

export interface NativeSensorOptions {
  ringBytes: number;
  traceAll: boolean;
  selfTgid: number;
  enforce: boolean;
  cgroupRoot: string | null;
  /** The poller's queue bound in bytes (native/ring-poller.h: 512 MiB by default). */
  userQueueBytes?: number;
  /** Open only: load() then verifies on a libuv thread (the caller opens its store meanwhile). */
  deferLoad?: boolean;
}

export interface NativeStats {
  emitted: bigint[];
  dropped: bigint[];
  /** Per kind: records the poller drained from the ring and discarded, its queue being full. */
  userDropped: bigint[];
  pollErrors: number;
}

/** The C++ Sensor (native/sensor.cc). Arguments are validated by sensor.ts before they get here. */
export interface NativeSensor {
  /** For a sensor made with deferLoad: loads and verifies the programs off the JavaScript thread. */
  load(): Promise<void>;
  /** Attaches every hook and starts the poller; onBatch gets one Buffer per batch, undefined after a flush. */
  start(onBatch: (batch: Buffer | undefined) => void): void;
  /**
   * Stops the poller and quiesces every program at once; resolves when our link fds are closed. Detaching
   * waits on kernel grace periods unless `handOff` gave the fds to a process that outlives the wait
   * (host/link-reaper) and answered true.
   */
  stop(handOff?: (fds: number[]) => boolean): Promise<void>;
  flush(): boolean;
  /** Every program traces nothing from now on; the poller still delivers what is in the ring. */
  quiesce(): void;
  /** A delivered batch of `bytes` was decoded: it no longer counts against the poller's queue bound. */
  release(bytes: number): void;
  stats(): NativeStats;
  setTrackFlags(flags: number): void;
  updateCgroup(id: bigint, flags: number): void;
  updateTgid(tgid: number, add: boolean): void;
  updateDenyV4(cgroupId: bigint, addr: Buffer, prefix: number, rule: number, add: boolean): void;
  updateDenyV6(cgroupId: bigint, addr: Buffer, prefix: number, rule: number, add: boolean): void;
  updateDenyExecPath(cgroupId: bigint, path: string, rule: number, add: boolean): void;
  updateDenyExecIno(cgroupId: bigint, kernelDev: number, ino: bigint, rule: number, add: boolean): void;
  /** Opens cgroup.kill / cgroup.freeze / cgroup.events of a cgroup v2 dir for the ring thread's fast path. */
  armContainment(cgroupId: bigint, dir: string): void;
  disarmContainment(cgroupId: bigint): void;
  /** What the ring thread contained since the last call. */
  takeContainments(): NativeContainmentReport[];
  /** Returns the SSL_* functions attached; throws if the file has none. */
  /** `offsets`: file offset by function name; a function without one is found by name (libbpf parses the ELF). */
  attachTls(path: string, offsets?: Record<string, number>): string[];
}

export interface StructTable {
  [struct: string]: { size: number; fields: Record<string, number> };
}

export interface NativeAddon {
  init(errorClass: typeof SensorError): void;
  layout(): StructTable;
  constants(): Record<string, number>;
  /** CLOCK_REALTIME - CLOCK_BOOTTIME in ns, read once per call from bracketed clock_gettime pairs. */
  bootOffsetNs(): bigint;
  Sensor: new (opts: NativeSensorOptions) => NativeSensor;
}

const ADDON_RELATIVE = join('native', 'build', 'Release', 'agentprov_sensor.node');

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Absolute path the addon is (or would be) loaded from. */
export function addonPath(): string {
  return process.env['AGENTPROV_SENSOR_ADDON'] ?? join(findPackageRoot(), ADDON_RELATIVE);
}

export function isAddonBuilt(): boolean {
  return existsSync(addonPath());
}

let cached: NativeAddon | undefined;

/** Loads the addon once and hands it the SensorError class it throws. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new SensorError(
      `the sensor addon is not built (${path}): run \`make -C bpf && npx node-gyp rebuild -C native\``,
      { code: 'AP_NO_EBPF', op: 'load addon' },
    );
  }
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(path) as NativeAddon;
  } catch (cause) {
    throw new SensorError(`cannot load the sensor addon ${path}: ${(cause as Error).message}`, {
      code: 'AP_NO_EBPF',
      op: 'load addon',
      cause,
    });
  }
  addon.init(SensorError);
  cached = addon;
  return addon;
}
