/**
 * @module respond/actuator: one entry point for every containment step on every kind of target, with a
 * dry-run mode and a guard that refuses to freeze or kill the cgroup agentprov itself runs in.
 */
import { cgroupPathOfPid, findCgroup2Mounts, isSameOrBelow, ownCgroup2Dir, readMountInfo, resolveV1Dir } from '../host/index.js';
import type { KernelConnectEntry } from '../policy/index.js';
import type { ContainVerb, KernelContainment } from '../sensor/index.js';
import { actCgroup1, actCgroup2, type ActContext, type SensorControl } from './act-cgroup.js';
import { actContainer } from './act-docker.js';
import { actProcess } from './act-process.js';
import { armKernelEntries, kernelContainmentOf, releaseKernelEntries } from './kernel-containment.js';
import { wallClockNs } from '../clock.js';
import type { DockerPort } from './docker-control.js';
import type { ContainmentState, Effect } from './effect.js';
import type { ResponseTarget, ResponseVerb } from './target.js';

export interface ActuatorOptions {
  /** Record what would be done, touch nothing. */
  dryRun?: boolean;
  /** The live eBPF sensor, for the in-kernel quarantine flag; without it quarantine only freezes. */
  sensor?: SensorControl | null;
  docker?: DockerPort | null;
  /** How long to wait for the kernel (or dockerd) to confirm a state. Default 2000 ms. */
  confirmTimeoutMs?: number;
  /** How long to spin synchronously for a cgroup confirmation before yielding. Default 1 ms. */
  confirmSpinMs?: number;
  /** Wall-clock ns (default: wallClockNs, µs resolution). */
  clock?: () => bigint;
}

export class Actuator {
  readonly #ctx: ActContext & { docker: DockerPort | null };
  #ownV2: string | null | undefined;

  constructor(opts: ActuatorOptions = {}) {
    this.#ctx = {
      clock: opts.clock ?? wallClockNs,
      dryRun: opts.dryRun === true,
      confirmTimeoutMs: opts.confirmTimeoutMs ?? 2000,
      confirmSpinMs: opts.confirmSpinMs ?? 1,
      sensor: opts.sensor ?? null,
      docker: opts.docker ?? null,
      guardCgroup: (t) => this.#guard(t),
    };
  }

  get dryRun(): boolean {
    return this.#ctx.dryRun;
  }

  get clock(): () => bigint {
    return this.#ctx.clock;
  }

  /** The sensor is usually started after the responder it feeds: attach it once it runs. */
  attachSensor(sensor: SensorControl | null): void {
    this.#ctx.sensor = sensor;
  }

  attachDocker(docker: DockerPort | null): void {
    this.#ctx.docker = docker;
  }

  get hasSensor(): boolean {
    return this.#ctx.sensor !== null;
  }

  /**
   * Carries out one step. Never throws: failures come back as a `failed` effect naming the target. The
   * synchronous part (a cgroup write, a signal) is done before this returns; `prior` is what an earlier
   * quarantine recorded, for a release to undo.
   */
  apply(verb: ResponseVerb, target: ResponseTarget, prior: ContainmentState | null = null): Effect {
    switch (target.kind) {
      case 'cgroup2':
        return actCgroup2(verb, target, this.#ctx);
      case 'cgroup1':
        return actCgroup1(verb, target, this.#ctx);
      case 'process':
        return actProcess(verb, target, this.#ctx);
      case 'container':
        return actContainer(verb, target, this.#ctx, prior);
    }
  }

  /**
   * Adds `ip` to the sensor's in-kernel deny list of cgroup `cgroupId`, so the next connect() there fails with
   * EPERM before any packet leaves. Never throws; says what happened.
   */
  denyAddress(cgroupId: string, ip: string): { ok: boolean; detail: string } {
    const sensor = this.#ctx.sensor;
    const cidr = `${ip}/${ip.includes(':') ? 128 : 32}`;
    if (this.#ctx.dryRun) return { ok: false, detail: `dry run: would add ${cidr} to the sensor deny list of cgroup ${cgroupId}` };
    if (sensor?.denyCidr === undefined) return { ok: false, detail: `${cidr} not added to a kernel deny list: no eBPF sensor runs in this process` };
    try {
      sensor.denyCidr(BigInt(cgroupId), cidr);
      return { ok: true, detail: `${cidr} added to the sensor deny list of cgroup ${cgroupId}` };
    } catch (err) {
      return { ok: false, detail: `${cidr} not added to the deny list: ${(err as Error).message}` };
    }
  }

  /**
   * Writes a scope's kernel-decidable rules into the sensor for its own cgroup: deny entries, and for kill and
   * quarantine the ring thread's containment of the cgroup. Never throws; says what happened.
   */
  armKernel(target: Extract<ResponseTarget, { kind: 'cgroup2' }>, entries: readonly KernelConnectEntry[]): { ok: boolean; detail: string } {
    if (entries.length === 0) return { ok: true, detail: 'no rule the kernel can decide alone' };
    if (this.#ctx.dryRun) return { ok: false, detail: `dry run: would add ${entries.length} deny entries to cgroup ${target.id}` };
    if (this.#ctx.sensor === null) return { ok: false, detail: 'no eBPF sensor runs in this process: the engine alone responds' };
    const refused = this.#guard(target);
    if (refused) return { ok: false, detail: refused };
    try {
      return { ok: true, detail: armKernelEntries(this.#ctx.sensor, target.id, target.path, entries) };
    } catch (err) {
      return { ok: false, detail: `kernel entries not written for cgroup ${target.id}: ${(err as Error).message}` };
    }
  }

  /** The scope of this cgroup ended: its kernel entries go (see Sensor.releaseEnforcement). */
  releaseKernel(cgroupId: string): void {
    if (!this.#ctx.dryRun) releaseKernelEntries(this.#ctx.sensor, cgroupId);
  }

  /** What the sensor's ring thread did (`verb`) to cgroup `cgroupId` for the connect() that ended at `eventNs`. */
  kernelContainment(cgroupId: string, verb: ContainVerb, eventNs: bigint, tgid: number | null): KernelContainment | null {
    return kernelContainmentOf(this.#ctx.sensor, cgroupId, verb, eventNs, tgid);
  }

  #guard(t: ResponseTarget): string | null {
    if (t.kind === 'cgroup2') {
      if (findCgroup2Mounts(readMountInfo()).some((m) => m.mountPoint === t.path)) {
        return `refusing to act on ${t.path}: it is the root of a cgroup v2 hierarchy (every process on the host)`;
      }
      if (this.#ownV2 === undefined) this.#ownV2 = ownCgroup2Dir();
      if (this.#ownV2 !== null && isSameOrBelow(this.#ownV2, t.path)) {
        return `refusing to act on ${t.path}: agentprov itself runs in it (${this.#ownV2})`;
      }
    } else if (t.kind === 'cgroup1') {
      const own = cgroupPathOfPid(process.pid)?.v1.freezer;
      try {
        const dir = resolveV1Dir(t.path, 'freezer');
        if (own !== undefined && isSameOrBelow(resolveV1Dir(own, 'freezer'), dir)) {
          return `refusing to act on ${t.path}: agentprov itself runs in it`;
        }
      } catch {
        return null; // no freezer hierarchy: the step itself reports what is missing
      }
    }
    return null;
  }
}
