/**
 * @module host/capabilities: can this host run the eBPF sensor, and the mounts it needs.
 *
 * The probe only reads: effective uid, /sys/kernel/btf/vmlinux, /proc/self/mountinfo. prepareSensorHost then
 * refuses with a clear error (not root, no BTF) or mounts what is missing: tracefs (libbpf resolves
 * tp/syscalls/* tracepoint ids through it) and a cgroup2 hierarchy (cgroup/connect4|6 attach to a cgroup v2
 * directory; ensureCgroup2Root reuses any existing cgroup2 mount).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync, statfsSync } from 'node:fs';
import { release } from 'node:os';
import { AgentprovError, PermissionError, SensorError } from '../errors.js';
import { ensureCgroup2Root, findCgroup2Root } from './cgroup-v2-root.js';
import { readMountInfo, type MountInfoEntry } from './mountinfo.js';

export const BTF_PATH = '/sys/kernel/btf/vmlinux';
export const TRACEFS_PATH = '/sys/kernel/tracing';
const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CapabilityReport {
  root: boolean;
  btf: boolean;
  kernel: string;
  /** Mount point of tracefs, if mounted. */
  tracefs: string | null;
  /** A cgroup2 mount point, if any. */
  cgroup2: string | null;
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export function probeCapabilities(mounts: MountInfoEntry[] = readMountInfo()): CapabilityReport {
  return {
    root: process.geteuid?.() === 0,
    btf: isReadable(BTF_PATH),
    kernel: release(),
    tracefs: mounts.find((m) => m.fsType === 'tracefs')?.mountPoint ?? null,
    cgroup2: findCgroup2Root(),
  };
}

/** Throws the error a user should see when the sensor cannot run here; returns quietly otherwise. */
export function assertSensorCapable(report: CapabilityReport): void {
  if (!report.root) {
    throw new PermissionError('agentprov-sensor needs root to load eBPF programs: run it with sudo', { code: 'AP_NOT_ROOT' });
  }
  if (!report.btf) {
    throw new SensorError(
      `no BTF at ${BTF_PATH}: kernel ${report.kernel} was built without CONFIG_DEBUG_INFO_BTF, which the CO-RE programs need`,
      { code: 'AP_NO_BTF', op: 'probe BTF' },
    );
  }
}

/** tracefs mount point, mounting it at /sys/kernel/tracing when it is mounted nowhere. */
export function ensureTracefs(report: CapabilityReport = probeCapabilities()): string {
  if (report.tracefs) return report.tracefs;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS_PATH], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (cause) {
    const stderr = String((cause as { stderr?: Buffer }).stderr ?? '').trim();
    throw new SensorError(`cannot mount tracefs at ${TRACEFS_PATH}: ${stderr || String(cause)}`, {
      code: 'AP_NO_EBPF',
      op: 'mount tracefs',
      cause,
    });
  }
  return TRACEFS_PATH;
}

export interface PreparedSensorHost {
  cgroup2Root: string;
  tracefs: string;
}

/** Probe, refuse with a clear error, then make sure tracefs and a cgroup2 mount exist. */
export async function prepareSensorHost(): Promise<PreparedSensorHost> {
  const report = probeCapabilities();
  assertSensorCapable(report);
  const tracefs = ensureTracefs(report);
  return { tracefs, cgroup2Root: report.cgroup2 ?? (await ensureCgroup2Root()) };
}

/**
 * prepareSensorHost without waiting when nothing needs mounting asynchronously (cgroup2 is mounted): so a
 * caller can start loading the sensor in the same turn. null: call prepareSensorHost.
 */
export function preparedSensorHost(): PreparedSensorHost | null {
  const report = probeCapabilities();
  if (report.cgroup2 === null) return null;
  assertSensorCapable(report);
  return { tracefs: ensureTracefs(report), cgroup2Root: report.cgroup2 };
}

/** The cgroup v2 id of a cgroup directory: its kernfs inode (what bpf_get_current_cgroup_id returns). */
export function cgroupIdOf(path: string): bigint {
  if (!existsSync(path)) throw new AgentprovError('AP_NOT_FOUND', `no cgroup directory at ${path}`);
  if (statfsSync(path).type !== CGROUP2_SUPER_MAGIC) {
    throw new AgentprovError('AP_BAD_ARGS', `${path} is not in a cgroup v2 hierarchy: pass a directory under a cgroup2 mount`);
  }
  return statSync(path, { bigint: true }).ino;
}
