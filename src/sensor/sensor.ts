/**
 * @module sensor/sensor: the sensor's lifecycle around the native addon — start (load, attach, poll), tracked
 * sets, enforcement maps, stats with drops, clean stop. Options are validated here, not in C++.
 *
 * Time: records carry CLOCK_BOOTTIME ns; the REALTIME-BOOTTIME offset is read once at start and added in decode.
 * Drops: the kernel's per-CPU counters (ring full) and the poller's (its queue full: userspace fell that far
 * behind, and the poller kept draining the ring rather than let the kernel drop) are read every second; an
 * increase of either becomes a telemetry_loss event in the stream, with its counts per event kind.
 */
import { realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { AgentprovError, SensorError } from '../errors.js';
import { startLinkReaper, type LinkReaper } from '../host/index.js';
import type { RuntimeEventInput } from '../model/index.js';
import { wallClockNs } from '../clock.js';
import { loadAddon, type NativeAddon, type NativeSensor, type NativeSensorOptions } from './addon.js';
import { parseCidr } from './cidr.js';
import { abiMismatchMessage, countBatchRecords, decodeBatch, newDecodeCounters, type DecodeCounters } from './decode.js';
import { ContainmentLog, containCode, toKernelContainment, type ContainVerb, type KernelContainment } from './containment.js';
import { CgroupFlag, DENY_CONTAIN_SHIFT, DENY_RULE_MASK, EventKind, TrackFlag } from './layout.js';
import { TlsTargets, isLibsslPath, type TlsTarget } from './tls-targets.js';

export const DEFAULT_RING_BYTES = 16 * 1024 * 1024;
/**
 * How long a stopping sensor goes on decoding what is left in the ring and the poller's queue; past it, the
 * rest is counted by kind, not decoded (issue 13: a stop under a storm ends within 2 s, counts included).
 */
export const STOP_DEADLINE_MS = 1000;
/**
 * How long one turn of the event loop decodes batches. Node hands up to 1,000 queued batches to one turn, and
 * a slow consumer (the store) behind a storm would then hold the loop for tens of seconds: no signal, timer
 * or scope bind would run. Past this, batches wait in `backlog` (still counted by the poller's bound).
 */
const DECODE_SLICE_MS = 25;
/** A flush marker in the backlog (the poller read the ring empty), kept in order with the batches. */
const FLUSHED = Symbol('flushed');

export interface SensorOptions {
  /** Every process on the host except the sensor itself. */
  all?: boolean;
  /** cgroup v2 ids to track (the inode of the cgroup directory); children in them are covered. */
  cgroupIds?: bigint[];
  /** Processes to track; children they fork are tracked too. */
  pids?: number[];
  /** Kernel ring buffer size: a power of two, at least 4096. */
  ringBytes?: number;
  /** Attach the enforcement programs (connect deny/quarantine, exec kill). Needs cgroup2Root. */
  enforce?: boolean;
  cgroup2Root?: string;
  /**
   * Bytes of records the native poller may hold for JavaScript (default 512 MiB); past it, records are
   * drained from the ring and counted by kind as lost in userspace.
   */
  userQueueBytes?: number;
  /** Attach TLS uprobes (default true). */
  tls?: boolean;
  /**
   * Which running processes are scanned for TLS libraries at start: `all` (the default: processes already
   * running may be tracked, by --all or a cgroup that has them), or `tracked`, for a caller whose cgroups
   * start empty (record's leaves): the well-known libssl paths, our own node and the pids it tracks, not
   * every process's maps and executable (~0.15 s at start, on the critical path); execs are scanned either way.
   */
  tlsScan?: 'all' | 'tracked';
  host?: string;
  /** Known cgroup paths by id, written into cgroup_path. */
  cgroupPaths?: Map<bigint, string>;
  /** Called with every decoded batch, on the JavaScript thread. */
  onBatch: (events: RuntimeEventInput[]) => void;
  /** Errors that do not stop the sensor: a throwing onBatch, a failed TLS attach. */
  onError?: (err: unknown) => void;
  /** For tests: an already loaded addon. */
  addon?: NativeAddon;
}

export interface SensorStats {
  emitted: Record<string, bigint>;
  /** Lost in the kernel: the ring was full. */
  dropped: Record<string, bigint>;
  /** Lost in userspace: drained from the ring and discarded, the poller's queue being full. */
  userDropped: Record<string, bigint>;
  totalEmitted: bigint;
  totalDropped: bigint;
  totalUserDropped: bigint;
  /** Lost at stop: still queued when the stop deadline passed, counted and not decoded. */
  stopDropped: Record<string, bigint>;
  totalStopDropped: bigint;
  decode: DecodeCounters;
  tlsTargets: TlsTarget[];
  pollErrors: number;
}

const KIND_NAMES = Object.fromEntries(Object.entries(EventKind).map(([name, n]) => [n, name.toLowerCase()])) as Record<number, string>;
/** A record of no known kind is counted under its number: loss must add up. */
const kindName = (kind: number): string => KIND_NAMES[kind] ?? `kind_${kind}`;

/** Linux internal dev_t (major << 20 | minor), what inode->i_sb->s_dev holds, from a stat() st_dev. */
export function kernelDevFromStat(dev: bigint): number {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return ((major << 20) | minor) >>> 0;
}

function checkOptions(o: SensorOptions): void {
  const bad = (msg: string) => new AgentprovError('AP_BAD_ARGS', msg);
  if (o.all && ((o.cgroupIds?.length ?? 0) > 0 || (o.pids?.length ?? 0) > 0)) throw bad('--all cannot be combined with --cgroup or --pid');
  const ring = o.ringBytes ?? DEFAULT_RING_BYTES;
  if (!Number.isInteger(ring) || ring < 4096 || ring > 1 << 30 || (ring & (ring - 1)) !== 0) {
    throw bad(`ring buffer size ${ring} must be a power of two between 4096 and 1 GiB`);
  }
  for (const pid of o.pids ?? []) if (!Number.isInteger(pid) || pid <= 0) throw bad(`bad pid ${pid}`);
  const queue = o.userQueueBytes;
  if (queue !== undefined && (!Number.isInteger(queue) || queue < 4096 || queue > 2 ** 40)) {
    throw bad(`userspace queue size ${queue} must be an integer number of bytes between 4096 and 1 TiB`);
  }
  if (o.enforce && !o.cgroup2Root) throw bad('enforcement needs the cgroup v2 root to attach connect programs to');
}

/** What was lost since `before`, per kind ("open=12,connect=3"), or null when nothing was. */
function lossSince(before: Record<string, bigint>, now: Record<string, bigint>): { lost: number; byKind: string } | null {
  let lost = 0n;
  const parts: string[] = [];
  for (const [kind, n] of Object.entries(now)) {
    const d = n - (before[kind] ?? 0n);
    if (d <= 0n) continue;
    lost += d;
    parts.push(`${kind}=${d}`);
  }
  return lost > 0n ? { lost: Number(lost), byKind: parts.join(',') } : null;
}

/** The native constructor's options for `opts`. */
function nativeOptions(opts: SensorOptions, deferLoad: boolean): NativeSensorOptions {
  return {
    ringBytes: opts.ringBytes ?? DEFAULT_RING_BYTES,
    traceAll: opts.all === true,
    selfTgid: process.pid,
    enforce: opts.enforce === true,
    cgroupRoot: opts.cgroup2Root ?? null,
    ...(opts.userQueueBytes !== undefined ? { userQueueBytes: opts.userQueueBytes } : {}),
    ...(deferLoad ? { deferLoad } : {}),
  };
}

export class Sensor {
  private readonly native: NativeSensor;
  private readonly opts: SensorOptions;
  private readonly counters = newDecodeCounters();
  private readonly cgroupFlags = new Map<bigint, number>();
  private readonly pids = new Set<number>();
  private readonly cgroupPaths: Map<bigint, string>;
  private readonly containments = new ContainmentLog();
  private readonly deniedCidrs = new Map<bigint, Set<string>>();
  private readonly tls: TlsTargets | null;
  private readonly bootOffsetNs: bigint;
  private readonly host: string;
  private readonly dropTimer: NodeJS.Timeout;
  /** Per kind, what the last telemetry_loss of each cause had counted. */
  private readonly reportedDrops = { kernel: {} as Record<string, bigint>, user: {} as Record<string, bigint>, stop: {} as Record<string, bigint> };
  private flushWaiters: Array<() => void> = [];
  private stopped = false;
  /** Set by stop(): past this performance.now(), batches are counted by kind (stopDropped), not decoded. */
  private stopDeadline: number | null = null;
  private readonly stopDropped: number[] = [];
  /** Batches delivered while a turn's slice was spent, decoded from `backlogHead` on in later turns. */
  private backlog: (Buffer | typeof FLUSHED)[] = [];
  private backlogHead = 0;
  /** When this turn of the event loop began decoding; null between turns. */
  private turnStart: number | null = null;
  private drainScheduled = false;
  /** The stats at stop, what stats() answers once the native side is gone. */
  private finalStats: SensorStats | null = null;
  private abiReported = false;

  private constructor(opts: SensorOptions, addon: NativeAddon, native: NativeSensor) {
    this.opts = opts;
    this.host = opts.host ?? hostname();
    this.cgroupPaths = new Map(opts.cgroupPaths ?? []);
    this.bootOffsetNs = addon.bootOffsetNs();
    this.native = native;
    try {
      this.native.start((batch) => this.onNativeBatch(batch));
    } catch (err) {
      void this.native.stop();
      throw err;
    }
    for (const id of opts.cgroupIds ?? []) this.trackCgroup(id);
    for (const pid of opts.pids ?? []) this.trackPid(pid);
    this.tls = opts.tls === false ? null : new TlsTargets((p, offsets) => this.native.attachTls(p, offsets ? Object.fromEntries(offsets) : undefined), (path, err) => this.report(err, path));
    if (opts.tlsScan === 'tracked' && opts.all !== true) {
      this.tls?.scanKnownLibs();
      // our own node (static OpenSSL) is what a recorded `node` child runs: attached before it starts
      this.tls?.scanPid(process.pid);
      for (const pid of opts.pids ?? []) this.tls?.scanPid(pid);
    } else this.tls?.scanAll();
    this.dropTimer = setInterval(() => this.checkDrops(), 1000);
    this.dropTimer.unref();
  }

  /** Loads and attaches. Throws SensorError (with the verifier log in `detail`) or AgentprovError(AP_BAD_ARGS). */
  static start(opts: SensorOptions): Sensor {
    checkOptions(opts);
    const addon = opts.addon ?? loadAddon();
    return new Sensor(opts, addon, new addon.Sensor(nativeOptions(opts, false)));
  }

  /**
   * start() with the verification (most of a start: ~100-400 ms here) on a libuv thread: the caller's
   * other start-up work (store, policy, storage thread) runs meanwhile. Rejects as start() throws.
   */
  static async load(opts: SensorOptions): Promise<Sensor> {
    checkOptions(opts);
    const addon = opts.addon ?? loadAddon();
    const native = new addon.Sensor(nativeOptions(opts, true));
    try {
      await native.load();
    } catch (err) {
      await native.stop().catch(() => undefined);
      throw err;
    }
    return new Sensor(opts, addon, native);
  }

  trackCgroup(id: bigint, path?: string): void {
    if (path !== undefined) this.cgroupPaths.set(id, path);
    this.setCgroupFlags(id, (this.cgroupFlags.get(id) ?? 0) | CgroupFlag.TRACK);
  }

  untrackCgroup(id: bigint): void {
    this.setCgroupFlags(id, (this.cgroupFlags.get(id) ?? 0) & ~CgroupFlag.TRACK);
  }

  trackPid(pid: number): void {
    this.pids.add(pid);
    this.native.updateTgid(pid, true);
    this.syncTrackFlags();
    // a process tracked once running has loaded its TLS library already: no exec will show it (the
    // constructor's own pids are tracked before this.tls exists, and scanned by it)
    this.tls?.scanPid(pid);
  }

  untrackPid(pid: number): void {
    this.pids.delete(pid);
    this.native.updateTgid(pid, false);
    this.syncTrackFlags();
  }

  /**
   * connect() from the cgroup to this address or network fails with EPERM. With `contain`, the ring thread
   * also kills or freezes the cgroup at once (armContainment first): containment without the JS thread.
   */
  denyCidr(cgroupId: bigint, cidr: string, rule = 0, contain: ContainVerb | null = null): void {
    this.requireEnforce('denyCidr');
    const c = parseCidr(cidr);
    const value = ((rule & DENY_RULE_MASK) | (contain === null ? 0 : containCode(contain) << DENY_CONTAIN_SHIFT)) >>> 0;
    if (c.family === 4) this.native.updateDenyV4(cgroupId, c.addr, c.prefix, value, true);
    else this.native.updateDenyV6(cgroupId, c.addr, c.prefix, value, true);
    let cidrs = this.deniedCidrs.get(cgroupId);
    if (cidrs === undefined) this.deniedCidrs.set(cgroupId, (cidrs = new Set()));
    cidrs.add(cidr);
    this.setCgroupFlags(cgroupId, (this.cgroupFlags.get(cgroupId) ?? 0) | CgroupFlag.ENFORCE);
  }

  allowCidr(cgroupId: bigint, cidr: string): void {
    this.requireEnforce('allowCidr');
    const c = parseCidr(cidr);
    if (c.family === 4) this.native.updateDenyV4(cgroupId, c.addr, c.prefix, 0, false);
    else this.native.updateDenyV6(cgroupId, c.addr, c.prefix, 0, false);
    this.deniedCidrs.get(cgroupId)?.delete(cidr);
  }

  /**
   * The tool call of this cgroup ended: its deny entries go and the ring thread lets go of its files, so a
   * sensor that runs for weeks neither fills its maps nor leaks descriptors. The quarantine flag (a response
   * someone may still have to release) and tracking stay.
   */
  releaseEnforcement(cgroupId: bigint): void {
    for (const cidr of this.deniedCidrs.get(cgroupId) ?? []) this.allowCidr(cgroupId, cidr);
    this.deniedCidrs.delete(cgroupId);
    this.disarmContainment(cgroupId);
    const flags = this.cgroupFlags.get(cgroupId);
    if (flags !== undefined && flags & CgroupFlag.ENFORCE) this.setCgroupFlags(cgroupId, flags & ~CgroupFlag.ENFORCE);
  }

  /** Deny entries written for a cgroup (what releaseEnforcement removes). */
  deniedCidrsOf(cgroupId: bigint): string[] {
    return [...(this.deniedCidrs.get(cgroupId) ?? [])];
  }

  /** Lets the ring thread kill or freeze this cgroup v2 (its directory) when a containing deny entry fires. */
  armContainment(cgroupId: bigint, dir: string): void {
    this.requireEnforce('armContainment');
    this.native.armContainment(cgroupId, dir);
  }

  disarmContainment(cgroupId: bigint): void {
    this.native.disarmContainment(cgroupId);
    this.containments.forget(cgroupId.toString());
  }

  /** What the ring thread did to `cgroupId` for an event at or after `sinceNs`, if anything. */
  containmentOf(cgroupId: bigint, sinceNs: bigint): KernelContainment | null {
    return this.containments.since(cgroupId.toString(), sinceNs);
  }

  /** Quarantine: every connect from the cgroup fails and every exec in it is killed. */
  quarantine(cgroupId: bigint, on = true): void {
    this.requireEnforce('quarantine');
    const flags = this.cgroupFlags.get(cgroupId) ?? 0;
    this.setCgroupFlags(cgroupId, on ? flags | CgroupFlag.QUARANTINE : flags & ~CgroupFlag.QUARANTINE);
  }

  /** Executing this binary in the cgroup is killed with SIGKILL before the new image runs. */
  denyExec(cgroupId: bigint, path: string, rule = 0): void {
    this.requireEnforce('denyExec');
    const st = statSync(path, { bigint: true });
    const real = realpathSync(path);
    for (const p of new Set([path, real])) this.native.updateDenyExecPath(cgroupId, p, rule, true);
    this.native.updateDenyExecIno(cgroupId, kernelDevFromStat(st.dev), st.ino, rule, true);
    this.setCgroupFlags(cgroupId, (this.cgroupFlags.get(cgroupId) ?? 0) | CgroupFlag.ENFORCE);
  }

  stats(): SensorStats {
    if (this.finalStats) return structuredClone(this.finalStats);
    const raw = this.native.stats();
    const emitted: Record<string, bigint> = {};
    const dropped: Record<string, bigint> = {};
    const userDropped: Record<string, bigint> = {};
    let totalEmitted = 0n;
    let totalDropped = 0n;
    let totalUserDropped = 0n;
    raw.emitted.forEach((n, kind) => {
      const name = kindName(kind);
      const d = raw.dropped[kind] ?? 0n;
      const u = raw.userDropped[kind] ?? 0n;
      if (KIND_NAMES[kind] || n > 0n || d > 0n || u > 0n) {
        emitted[name] = n;
        dropped[name] = d;
        userDropped[name] = u;
      }
      totalEmitted += n;
      totalDropped += d;
      totalUserDropped += u;
    });
    const stopDropped: Record<string, bigint> = {};
    let totalStopDropped = 0n;
    this.stopDropped.forEach((n, kind) => {
      if (!n) return;
      stopDropped[kindName(kind)] = BigInt(n);
      totalStopDropped += BigInt(n);
    });
    const decode = structuredClone(this.counters);
    return {
      emitted, dropped, userDropped, totalEmitted, totalDropped, totalUserDropped, stopDropped, totalStopDropped, decode,
      tlsTargets: this.tls?.attached() ?? [], pollErrors: raw.pollErrors,
    };
  }

  /** Resolves once everything in the kernel ring at call time has been delivered to onBatch. */
  flush(timeoutMs = 5000): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SensorError('flush timed out: the poller did not answer', { op: 'flush' })), timeoutMs);
      this.flushWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.native.flush();
    });
  }

  /**
   * Quiesces every program (nothing new enters the ring, however busy the host), delivers what is left for up
   * to `deadlineMs` and counts the rest by kind, reports every loss one last time, detaches everything.
   * stats() keeps answering with the final counts. Safe to call twice.
   */
  async stop(deadlineMs = STOP_DEADLINE_MS): Promise<void> {
    if (this.stopped) return;
    this.native.quiesce();
    this.stopDeadline = performance.now() + deadlineMs;
    try {
      // ends soon after the deadline: the ring is finite now, and past the deadline a batch is only counted
      await this.flush(Number.isFinite(deadlineMs) ? deadlineMs + 2000 : 2 ** 31 - 1);
    } catch {
      // stopping anyway: the poller's queue goes with it, uncounted only if the poller itself is stuck
    }
    // a flush that timed out leaves batches in the backlog: counted here, never delivered after stop
    for (let i = this.backlogHead; i < this.backlog.length; i++) {
      const item = this.backlog[i]!;
      if (item !== FLUSHED) countBatchRecords(item, this.stopDropped);
    }
    this.backlog = [];
    this.backlogHead = 0;
    this.checkDrops();
    this.finalStats = this.stats();
    this.stopped = true;
    clearInterval(this.dropTimer);
    this.tls?.stop();
    let reaper: LinkReaper | null = null;
    const detached = this.native.stop((fds) => (reaper = startLinkReaper(fds)) !== null);
    for (const w of this.flushWaiters.splice(0)) w();
    try {
      await detached;
    } finally {
      (reaper as LinkReaper | null)?.release();
    }
  }

  private onNativeBatch(batch: Buffer | undefined): void {
    const item = batch ?? FLUSHED;
    if (this.backlogHead < this.backlog.length || this.turnSpent()) {
      this.backlog.push(item);
      this.scheduleDrain();
      return;
    }
    this.take(item);
  }

  /** True once this turn has decoded for DECODE_SLICE_MS: later batches wait for the next turn. */
  private turnSpent(): boolean {
    const now = performance.now();
    if (this.turnStart === null) {
      this.turnStart = now;
      // its setImmediate runs after this turn's callbacks: the turn's end
      this.scheduleDrain();
      return false;
    }
    return now - this.turnStart > DECODE_SLICE_MS;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drainBacklog());
  }

  private drainBacklog(): void {
    this.drainScheduled = false;
    const start = performance.now();
    this.turnStart = start;
    while (this.backlogHead < this.backlog.length && performance.now() - start <= DECODE_SLICE_MS) {
      const item = this.backlog[this.backlogHead++]!;
      this.take(item);
    }
    if (this.backlogHead >= this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
      this.turnStart = null;
      return;
    }
    if (this.backlogHead > 4096) {
      this.backlog = this.backlog.slice(this.backlogHead);
      this.backlogHead = 0;
    }
    this.scheduleDrain();
  }

  private take(item: Buffer | typeof FLUSHED): void {
    if (item === FLUSHED) {
      for (const w of this.flushWaiters.splice(0)) w();
      return;
    }
    try {
      if (this.stopDeadline !== null && performance.now() > this.stopDeadline) countBatchRecords(item, this.stopDropped);
      else this.decodeAndDeliver(item);
    } finally {
      this.native.release(item.byteLength);
    }
  }

  private decodeAndDeliver(batch: Buffer): void {
    // Reports first: the batch below may hold the refused connect a responder is about to judge. Only an
    // enforcing sensor arms containment, so only it has reports to take.
    const reports = this.opts.enforce ? this.native.takeContainments() : [];
    for (const r of reports) {
      const c = toKernelContainment(r, this.bootOffsetNs);
      if (c === null) continue;
      this.containments.add(c);
      // The kernel set the quarantine flag itself when it refused (enforce.bpf.c): mirror it, so a later
      // flag write from here does not clear it.
      if (c.verb === 'freeze') this.cgroupFlags.set(r.cgroupId, (this.cgroupFlags.get(r.cgroupId) ?? 0) | CgroupFlag.QUARANTINE);
    }
    const events = decodeBatch(batch, { bootOffsetNs: this.bootOffsetNs, host: this.host, cgroupPath: (id) => this.cgroupPaths.get(BigInt(id)) }, this.counters);
    if (this.counters.foreignAbi !== null && !this.abiReported) {
      this.abiReported = true;
      this.report(new SensorError(abiMismatchMessage(this.counters.foreignAbi), { op: 'decode' }));
    }
    if (this.tls) {
      for (const e of events) {
        if (e.type === 'process_exec' && e.result === 0 && typeof e.pid === 'number') this.tls.onExec(e.pid);
        else if (e.type === 'file_open' && typeof e.pid === 'number' && (e.result ?? -1) >= 0 && e.path && isLibsslPath(e.path)) this.tls.onLibOpen(e.pid);
      }
    }
    this.deliver(events);
  }

  private deliver(events: RuntimeEventInput[]): void {
    if (events.length === 0) return;
    try {
      this.opts.onBatch(events);
    } catch (err) {
      this.report(err);
    }
  }

  private checkDrops(): void {
    if (this.stopped) return;
    const s = this.stats();
    const losses: RuntimeEventInput[] = [];
    for (const [cause, now, reason] of [
      ['kernel', s.dropped, 'ring buffer full'],
      ['user', s.userDropped, 'userspace queue full'],
      ['stop', s.stopDropped, 'sensor stopped before they were decoded'],
    ] as const) {
      const loss = lossSince(this.reportedDrops[cause], now);
      if (loss === null) continue;
      this.reportedDrops[cause] = { ...now };
      losses.push({
        type: 'telemetry_loss',
        source: 'agentprov_ebpf',
        host: this.host,
        time_ns: wallClockNs(),
        lost_events: loss.lost,
        labels: { reason, dropped_by_kind: loss.byKind },
      });
    }
    this.deliver(losses);
  }

  private setCgroupFlags(id: bigint, flags: number): void {
    if (flags === 0) this.cgroupFlags.delete(id);
    else this.cgroupFlags.set(id, flags);
    this.native.updateCgroup(id, flags);
    this.syncTrackFlags();
  }

  private syncTrackFlags(): void {
    let flags = 0;
    for (const f of this.cgroupFlags.values()) if (f & CgroupFlag.TRACK) flags |= TrackFlag.CGROUPS;
    if (this.pids.size > 0) flags |= TrackFlag.TGIDS;
    this.native.setTrackFlags(flags);
  }

  private requireEnforce(op: string): void {
    if (!this.opts.enforce) throw new SensorError(`${op}: the sensor was started without enforcement (--enforce)`, { code: 'AP_BAD_ARGS', op });
  }

  private report(err: unknown, context?: string): void {
    const e = context && err instanceof Error ? new SensorError(`${context}: ${err.message}`, { cause: err }) : err;
    if (this.opts.onError) this.opts.onError(e);
  }
}
