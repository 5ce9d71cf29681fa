/**
 * @module host/actuate: the single synchronous kernel write each containment step is (cgroup.kill,
 * cgroup.freeze, freezer.state), so a responder can act inside the engine's synchronous pipeline and time it;
 * and the wall-clock start of a pid, checked before signalling so a reused pid is never hit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentprovError, NotFoundError, PermissionError } from '../errors.js';
import { resolveV1Dir } from './cgroup-v1.js';
import { readProcStat } from './proc.js';

function write(file: string, value: string, what: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${what}: ${file} does not exist (cgroup gone, or kernel too old)`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PermissionError(`${what}: cannot write ${file} (${code}): run as root or delegate the cgroup`, { cause: err });
    }
    throw new AgentprovError('AP_IO', `${what}: writing ${value} to ${file} failed: ${String(err)}`, { cause: err });
  }
}

/** Writes 1 to cgroup.kill (Linux 5.14+): SIGKILL to every process of the subtree, forks included. */
export function writeCgroupKill(dir: string): void {
  write(join(dir, 'cgroup.kill'), '1', 'kill cgroup');
}

/** Writes cgroup.freeze; the freeze is complete once cgroup.events says `frozen 1` (see isFrozen). */
export function writeCgroupFreeze(dir: string, frozen: boolean): void {
  write(join(dir, 'cgroup.freeze'), frozen ? '1' : '0', frozen ? 'freeze cgroup' : 'thaw cgroup');
}

/** Writes FROZEN or THAWED to a v1 freezer cgroup (a /proc-style path or a directory under a v1 mount). */
export function writeFreezerV1(cgroupPath: string, state: 'FROZEN' | 'THAWED'): void {
  write(join(resolveV1Dir(cgroupPath, 'freezer'), 'freezer.state'), state, state === 'FROZEN' ? 'freeze v1 cgroup' : 'thaw v1 cgroup');
}

/** Boot time as wall-clock ns, from /proc/uptime (10 ms resolution). */
export function bootWallClockNs(nowNs: bigint = BigInt(Date.now()) * 1_000_000n): bigint {
  const uptime = readFileSync('/proc/uptime', 'utf8').split(' ')[0] ?? '0';
  const [secs, frac = '0'] = uptime.split('.');
  const upNs = BigInt(secs ?? '0') * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
  return nowNs - upNs;
}

/** When `pid` started, as wall-clock ns (tick and uptime resolution: ~20 ms), or null if it has gone. */
export function processStartWallNs(pid: number): bigint | null {
  const stat = readProcStat(pid);
  if (stat === null || stat.state === 'Z' || stat.state === 'X') return null;
  return bootWallClockNs() + stat.start_ns;
}
