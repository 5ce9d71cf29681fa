/**
 * @module record/record-capture: the live capture behind a recording. With root, BTF, the addon and a cgroup
 * it is the eBPF sensor in-process, tracking only the recorded cgroups; otherwise it falls back to polling
 * /proc for each watched process tree, and says why.
 */
import { existsSync } from 'node:fs';
import { AgentprovError } from '../errors.js';
import type { RuntimeEventInput } from '../model/index.js';
import { BTF_PATH, prepareSensorHost, preparedSensorHost, type CgroupLeaf } from '../host/index.js';
import { addonPath, isAddonBuilt, Sensor } from '../sensor/index.js';
import type { CaptureKind } from '../store/index.js';
import { ProcPoller } from './proc-poller.js';

/** auto: eBPF when it can run here, else /proc polling; ebpf: fail rather than fall back; proc: always poll. */
export type CaptureMode = 'auto' | 'ebpf' | 'proc';

/** Where an event came from: a poller is started per watched process and tags its events with its owner. */
export type EventsHandler = (events: RuntimeEventInput[], owner: string | null) => void;

export interface LiveCapture {
  readonly kind: CaptureKind;
  /** Why this capture was chosen (the fallback reason, when it is one). */
  readonly reason: string;
  /** The in-process sensor, when the capture is eBPF (responders use its deny lists and quarantine). */
  readonly sensor: Sensor | null;
  readonly enforcing: boolean;
  /** Watch a tool call: its leaf (eBPF), and/or a process tree rooted at pid (polling, or eBPF pid tracking). */
  watch(owner: string, target: { leaf?: CgroupLeaf | null; pid?: number }): void;
  unwatch(owner: string): void;
  /** Everything captured so far has been handed to the handler when this resolves. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartCaptureOptions {
  mode: CaptureMode;
  /** Load the enforcement programs too (deny lists, quarantine). */
  enforce: boolean;
  /** Why recorded runs get no cgroup leaves, or null when they do (the in-process sensor tracks cgroups). */
  noCgroupReason: string | null;
  onEvents: EventsHandler;
  onError: (err: unknown) => void;
  pollIntervalMs?: number;
}

/** Null when eBPF can run here; else why not, in words a user can act on. */
export function ebpfUnavailableReason(noCgroupReason: string | null): string | null {
  const uid = process.geteuid?.() ?? -1;
  if (uid !== 0) return `not root (uid ${uid}): loading eBPF programs needs root`;
  if (!existsSync(BTF_PATH)) return `no BTF at ${BTF_PATH}: the kernel lacks CONFIG_DEBUG_INFO_BTF`;
  if (!isAddonBuilt()) return `the sensor addon is not built (${addonPath()}): run make build`;
  if (noCgroupReason !== null) return `no cgroup for the run (${noCgroupReason})`;
  return null;
}

class EbpfCapture implements LiveCapture {
  readonly kind = 'ebpf' as const;
  readonly reason: string;
  readonly sensor: Sensor;
  readonly enforcing: boolean;
  readonly #owned = new Map<string, { leaf: CgroupLeaf | null; pid: number | null }>();

  constructor(sensor: Sensor, enforcing: boolean) {
    this.sensor = sensor;
    this.enforcing = enforcing;
    this.reason = `eBPF sensor in-process, tracking only the recorded cgroups${enforcing ? ', enforcement programs attached' : ''}`;
  }

  watch(owner: string, t: { leaf?: CgroupLeaf | null; pid?: number }): void {
    if (t.leaf) this.sensor.trackCgroup(BigInt(t.leaf.id), t.leaf.cgroupPath);
    // A process outside every leaf (bindPid): the kernel follows it and the children it forks.
    else if (t.pid !== undefined) this.sensor.trackPid(t.pid);
    this.#owned.set(owner, { leaf: t.leaf ?? null, pid: t.leaf ? null : (t.pid ?? null) });
  }

  unwatch(owner: string): void {
    const o = this.#owned.get(owner);
    if (!o) return;
    if (o.leaf) this.sensor.untrackCgroup(BigInt(o.leaf.id));
    if (o.pid !== null) this.sensor.untrackPid(o.pid);
    this.#owned.delete(owner);
  }

  flush(): Promise<void> {
    return this.sensor.flush();
  }

  stop(): Promise<void> {
    return this.sensor.stop();
  }
}

class PollCapture implements LiveCapture {
  readonly kind = 'proc_poll' as const;
  readonly reason: string;
  readonly sensor = null;
  readonly enforcing = false;
  readonly #pollers = new Map<string, ProcPoller[]>();
  readonly #opts: StartCaptureOptions;

  constructor(reason: string, opts: StartCaptureOptions) {
    this.reason = reason;
    this.#opts = opts;
  }

  watch(owner: string, t: { leaf?: CgroupLeaf | null; pid?: number }): void {
    if (t.pid === undefined) return; // a poller needs a process to start from; the spawn brings one
    const poller = new ProcPoller({
      rootPid: t.pid,
      cgroupLeaf: t.leaf ?? null,
      intervalMs: this.#opts.pollIntervalMs ?? 25,
      onEvents: (events) => this.#opts.onEvents(events, owner),
      onError: this.#opts.onError,
    });
    const list = this.#pollers.get(owner) ?? [];
    list.push(poller);
    this.#pollers.set(owner, list);
    poller.start();
  }

  unwatch(owner: string): void {
    for (const p of this.#pollers.get(owner) ?? []) p.stop();
    this.#pollers.delete(owner);
  }

  async flush(): Promise<void> {
    for (const list of this.#pollers.values()) for (const p of list) p.pollOnce();
  }

  async stop(): Promise<void> {
    for (const owner of [...this.#pollers.keys()]) this.unwatch(owner);
  }
}

/**
 * Chooses and starts the capture; the sensor's programs are verified off the JavaScript thread, so a caller
 * that does other start-up work before awaiting this overlaps the two. In `auto` mode anything that keeps
 * the sensor from starting becomes the fallback's reason; in `ebpf` mode it is an error.
 */
export async function startCapture(opts: StartCaptureOptions): Promise<LiveCapture> {
  if (opts.mode === 'proc') return new PollCapture('/proc polling (asked for with --capture proc)', opts);
  const why = ebpfUnavailableReason(opts.noCgroupReason);
  if (why === null) {
    try {
      // Loading starts in this turn when the host needs no mount: the caller works while the kernel verifies.
      const host = preparedSensorHost() ?? (await prepareSensorHost());
      const sensor = await Sensor.load({
        cgroupIds: [],
        cgroup2Root: host.cgroup2Root,
        enforce: opts.enforce,
        // the leaves start empty: their processes' TLS libraries are found at their execs
        tlsScan: 'tracked',
        onBatch: (events) => opts.onEvents(events, null),
        onError: opts.onError,
      });
      return new EbpfCapture(sensor, opts.enforce);
    } catch (err) {
      const msg = `the eBPF sensor did not start: ${err instanceof Error ? err.message : String(err)}`;
      if (opts.mode === 'ebpf') throw err instanceof AgentprovError ? err : new AgentprovError('AP_SENSOR', msg, { cause: err });
      return new PollCapture(`/proc polling fallback: ${msg}`, opts);
    }
  }
  if (opts.mode === 'ebpf') throw new AgentprovError('AP_NO_EBPF', `--capture ebpf: ${why}`);
  return new PollCapture(`/proc polling fallback: ${why}`, opts);
}
