/**
 * @module sensor/containment: the reports of the sensor's containment fast path (native/containment.h). When
 * the kernel refuses a connect() through a deny entry that carries a containment, the ring thread kills or
 * freezes the task's cgroup itself and reports it here; responders read the latest report of a cgroup to
 * record what was done, and when, instead of doing it late.
 */
import { Contain } from './layout.js';

/** One report as the addon returns it (boot-clock times). */
export interface NativeContainmentReport {
  cgroupId: bigint;
  contain: number;
  rule: number;
  tgid: number;
  /** 0, or the errno of the failed write; ENOENT (2) when the cgroup was not armed. */
  error: number;
  eventKtimeNs: bigint;
  actedKtimeNs: bigint;
  confirmedKtimeNs: bigint;
}

export type ContainVerb = 'kill' | 'freeze';

/** A containment the ring thread carried out (or failed to), in wall-clock ns. */
export interface KernelContainment {
  cgroup_id: string;
  verb: ContainVerb;
  /** Index of the policy rule in the deny entry (as armed by the responder). */
  rule_tag: number;
  tgid: number;
  /** The refused connect(), stamped by the kernel. */
  event_ns: bigint;
  /** Right after cgroup.kill / cgroup.freeze was written; null when the write failed. */
  acted_ns: bigint | null;
  /** freeze: when cgroup.events said frozen (seen by the ring thread); null if not within its wait. */
  confirmed_ns: bigint | null;
  error: string | null;
}

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  2: 'the cgroup was not armed for containment',
  13: 'permission denied',
  19: 'the cgroup is gone',
  22: 'unknown containment',
};

export function containVerbOf(contain: number): ContainVerb | null {
  return contain === Contain.KILL ? 'kill' : contain === Contain.FREEZE ? 'freeze' : null;
}

export function containCode(verb: ContainVerb): number {
  return verb === 'kill' ? Contain.KILL : Contain.FREEZE;
}

/** Boot-clock report -> wall clock (bootOffsetNs = REALTIME - BOOTTIME, as decode uses). */
export function toKernelContainment(r: NativeContainmentReport, bootOffsetNs: bigint): KernelContainment | null {
  const verb = containVerbOf(r.contain);
  if (verb === null) return null;
  const wall = (ns: bigint): bigint | null => (ns === 0n || r.error !== 0 ? null : ns + bootOffsetNs);
  return {
    cgroup_id: r.cgroupId.toString(),
    verb,
    rule_tag: r.rule,
    tgid: r.tgid,
    event_ns: r.eventKtimeNs + bootOffsetNs,
    acted_ns: wall(r.actedKtimeNs),
    confirmed_ns: wall(r.confirmedKtimeNs),
    error: r.error === 0 ? null : (ERRNO_NAMES[r.error] ?? `errno ${r.error}`),
  };
}

/** The latest containment per cgroup (a cgroup is contained once; later reports repeat it). */
export class ContainmentLog {
  readonly #latest = new Map<string, KernelContainment>();

  add(c: KernelContainment): void {
    this.#latest.set(c.cgroup_id, c);
  }

  /** The containment of `cgroupId` made at or after `sinceNs` (the offending event's time), if any. */
  since(cgroupId: string, sinceNs: bigint): KernelContainment | null {
    const c = this.#latest.get(cgroupId);
    return c !== undefined && c.event_ns >= sinceNs ? c : null;
  }

  forget(cgroupId: string): void {
    this.#latest.delete(cgroupId);
  }
}
