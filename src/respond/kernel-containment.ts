/**
 * @module respond/kernel-containment: the responders' side of the sensor's containment fast path. At bind,
 * the connect rules the kernel can decide (policy/kernel-rules) become deny entries of the tool call's own
 * cgroup, armed so the sensor's ring thread kills or freezes it when the kernel refuses; when the engine later
 * judges that connect, the responder finds what the ring thread did and records it, timed from the refusal.
 */
import type { KernelConnectEntry } from '../policy/index.js';
import type { ContainVerb, KernelContainment } from '../sensor/index.js';
import type { SensorControl } from './act-cgroup.js';

const CONTAIN_BY_ACTION: Record<KernelConnectEntry['action'], ContainVerb | null> = { deny: null, quarantine: 'freeze', kill: 'kill' };
/** How long before a connect() event's exit stamp the kernel's refusal inside that syscall can lie. */
const SAME_SYSCALL_NS = 50_000_000n;

/** Writes `entries` for cgroup v2 `id` at `dir`. Throws what the sensor throws; says what it wrote. */
export function armKernelEntries(sensor: SensorControl, id: string, dir: string, entries: readonly KernelConnectEntry[]): string {
  if (sensor.denyCidr === undefined || sensor.armContainment === undefined) {
    throw new Error('the sensor in this process has no enforcement: the engine alone responds');
  }
  const cgroupId = BigInt(id);
  if (entries.some((e) => e.action !== 'deny')) sensor.armContainment(cgroupId, dir);
  for (const e of entries) sensor.denyCidr(cgroupId, e.cidr, e.rule_tag, CONTAIN_BY_ACTION[e.action]);
  return `${entries.length} deny entries on cgroup ${id}: ${entries.map((e) => `${e.cidr} ${e.action}`).join(', ')}`;
}

/** Undoes armKernelEntries when the tool call ends (never throws: a stopped sensor has nothing left). */
export function releaseKernelEntries(sensor: SensorControl | null, id: string): void {
  try {
    sensor?.releaseEnforcement?.(BigInt(id));
  } catch {
    /* the sensor stopped: its maps are gone with it */
  }
}

/**
 * What the ring thread did to cgroup `id` for the connect() that ended at `eventNs` in process `tgid` (the
 * kernel's refusal happened inside that same syscall, so just before it), if `verb` is what it did.
 */
export function kernelContainmentOf(
  sensor: SensorControl | null,
  id: string,
  verb: ContainVerb,
  eventNs: bigint,
  tgid: number | null,
): KernelContainment | null {
  const k = sensor?.containmentOf?.(BigInt(id), eventNs - SAME_SYSCALL_NS) ?? null;
  if (k === null || k.event_ns > eventNs || k.verb !== verb || k.acted_ns === null) return null;
  return tgid === null || k.tgid === tgid ? k : null;
}

/** The words a response record uses for it. */
export function describeKernelContainment(k: KernelContainment, formatMs: (ns: bigint) => string): string {
  const took = k.acted_ns !== null ? ` ${formatMs(k.acted_ns - k.event_ns)} after the kernel refused the connect()` : '';
  return `the sensor's ring thread wrote 1 to cgroup.${k.verb}${took} (kernel deny entry of policy rule #${k.rule_tag})`;
}
