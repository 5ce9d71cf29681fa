/**
 * @module respond/act-cgroup: kill, freeze, thaw, quarantine and release of a cgroup. v2: one write to
 * cgroup.kill or cgroup.freeze, confirmed through cgroup.events; quarantine adds the sensor's in-kernel flag
 * (every connect denied, every exec killed). v1: the freezer, and SIGKILL to every task while frozen.
 */
import {
  cgroupIdAt,
  isFrozen,
  isPopulated,
  listTasksV1,
  readFreezerStateV1,
  signalPid,
  writeCgroupFreeze,
  writeCgroupKill,
  writeFreezerV1,
} from '../host/index.js';
import type { ContainVerb, KernelContainment } from '../sensor/index.js';
import { waitFor } from './clock.js';
import { guarded, settledEffect, type ContainmentState, type Effect, type Outcome } from './effect.js';
import { describeTarget, type ResponseTarget, type ResponseVerb } from './target.js';

/** The in-kernel switches of the eBPF sensor (src/sensor Sensor). */
export interface SensorControl {
  quarantine(cgroupId: bigint, on?: boolean): void;
  /**
   * connect() from the cgroup to this address or network fails with EPERM, in the kernel; with `contain`,
   * the sensor's ring thread also kills or freezes the cgroup at once (after armContainment).
   */
  denyCidr?(cgroupId: bigint, cidr: string, rule?: number, contain?: ContainVerb | null): void;
  armContainment?(cgroupId: bigint, dir: string): void;
  /** The tool call ended: remove its deny entries and let the ring thread close its files. */
  releaseEnforcement?(cgroupId: bigint): void;
  /** What the ring thread did to the cgroup for an event at or after `sinceNs`. */
  containmentOf?(cgroupId: bigint, sinceNs: bigint): KernelContainment | null;
}

export interface ActContext {
  clock: () => bigint;
  dryRun: boolean;
  confirmTimeoutMs: number;
  /** Synchronous spin before waiting asynchronously for the confirmation (see waitFor). */
  confirmSpinMs: number;
  sensor: SensorControl | null;
  /** Why acting on this cgroup would hit agentprov itself, or null when it is safe. */
  guardCgroup(target: ResponseTarget): string | null;
}

/**
 * Sets or clears the sensor's quarantine flag on a cgroup v2 id. Never throws: a sensor started without
 * enforcement refuses, and the freeze that goes with it must still count. Returns what happened, in words.
 */
export function setQuarantineFlag(ctx: Pick<ActContext, 'sensor'>, cgroupId: string, on: boolean): { ok: boolean; detail: string } {
  if (ctx.sensor === null) {
    return { ok: false, detail: `network NOT ${on ? 'cut' : 'restored'}: no eBPF sensor runs in this process (the quarantine flag lives in the sensor)` };
  }
  try {
    ctx.sensor.quarantine(BigInt(cgroupId), on);
    return { ok: true, detail: on ? `sensor quarantine flag set on cgroup ${cgroupId}: connect() denied, exec killed` : `sensor quarantine flag cleared on cgroup ${cgroupId}` };
  } catch (err) {
    return { ok: false, detail: `network NOT ${on ? 'cut' : 'restored'}: ${(err as Error).message}` };
  }
}

type Cg2 = Extract<ResponseTarget, { kind: 'cgroup2' }>;
type Cg1 = Extract<ResponseTarget, { kind: 'cgroup1' }>;

const DRY: Record<ResponseVerb, string> = {
  kill: 'write 1 to cgroup.kill',
  freeze: 'write 1 to cgroup.freeze',
  thaw: 'write 0 to cgroup.freeze',
  quarantine: 'write 1 to cgroup.freeze and set the sensor quarantine flag',
  release: 'clear the sensor quarantine flag and write 0 to cgroup.freeze',
};

function confirm(
  ctx: ActContext,
  check: () => boolean,
  done: string,
  notDone: string,
  state?: ContainmentState,
): Promise<Outcome> {
  // The time is taken when the check passes, not when the promise settles (after the engine's batch).
  let at: bigint | null = null;
  const stamped = (): boolean => {
    if (!check()) return false;
    at = ctx.clock();
    return true;
  };
  return waitFor(stamped, ctx.confirmTimeoutMs, ctx.confirmSpinMs).then(
    (ok): Outcome =>
      ok
        ? { result: 'done', detail: done, at_ns: at ?? ctx.clock(), ...(state ? { state } : {}) }
        : { result: 'failed', detail: `${notDone} after ${ctx.confirmTimeoutMs} ms`, at_ns: null },
    (err: unknown): Outcome => ({ result: 'failed', detail: `confirmation failed: ${String(err)}`, at_ns: null }),
  );
}

export function actCgroup2(verb: ResponseVerb, t: Cg2, ctx: ActContext): Effect {
  const what = describeTarget(t);
  return guarded(verb, t, what, () => {
    if (cgroupIdAt(t.path) !== t.id) return settledEffect(verb, t, 'skipped', `${what} no longer exists`, null);
    const refused = ctx.guardCgroup(t);
    if (refused) return settledEffect(verb, t, 'failed', refused, null);
    if (ctx.dryRun) return settledEffect(verb, t, 'dry_run', `dry run: would ${DRY[verb]} of ${what}`, null);
    const populated = (): boolean => isPopulated(t.path);
    const frozen = (): boolean => isFrozen(t.path);
    const sync = (result: 'done', detail: string, at: bigint, confirmed: Promise<Outcome>, state?: ContainmentState): Effect => ({
      verb,
      target: t,
      result,
      detail,
      acted_ns: at,
      confirmed,
      ...(state ? { state } : {}),
    });
    switch (verb) {
      case 'kill': {
        if (!populated()) return settledEffect(verb, t, 'done', `${what} was already empty`, ctx.clock());
        writeCgroupKill(t.path);
        const at = ctx.clock();
        return sync('done', `wrote 1 to cgroup.kill of ${what}`, at, confirm(ctx, () => !populated(), `${what} is empty`, `${what} still has processes`));
      }
      case 'freeze':
      case 'quarantine': {
        const already = frozen();
        writeCgroupFreeze(t.path, true);
        const at = ctx.clock();
        const state: ContainmentState = {};
        let net = '';
        if (verb === 'quarantine') {
          const flag = setQuarantineFlag(ctx, t.id, true);
          if (flag.ok) state.sensor_cgroup_id = t.id;
          net = `; ${flag.detail}`;
        }
        const detail = `${already ? 'already frozen: ' : ''}wrote 1 to cgroup.freeze of ${what}${net}`;
        return sync('done', detail, at, confirm(ctx, frozen, `${what} is frozen${net}`, `${what} is not frozen`, state), state);
      }
      case 'thaw':
      case 'release': {
        let net = '';
        if (verb === 'release') net = `; ${setQuarantineFlag(ctx, t.id, false).detail}`;
        writeCgroupFreeze(t.path, false);
        const at = ctx.clock();
        return sync('done', `wrote 0 to cgroup.freeze of ${what}${net}`, at, confirm(ctx, () => !frozen(), `${what} is thawed${net}`, `${what} is still frozen`));
      }
    }
  });
}

export function actCgroup1(verb: ResponseVerb, t: Cg1, ctx: ActContext): Effect {
  const what = describeTarget(t);
  return guarded(verb, t, what, () => {
    const refused = ctx.guardCgroup(t);
    if (refused) return settledEffect(verb, t, 'failed', refused, null);
    if (ctx.dryRun) {
      const plan = verb === 'kill' ? 'freeze, SIGKILL every task, thaw' : verb === 'freeze' || verb === 'quarantine' ? 'write FROZEN to freezer.state' : 'write THAWED to freezer.state';
      return settledEffect(verb, t, 'dry_run', `dry run: would ${plan} of ${what}`, null);
    }
    const state = (): string => readFreezerStateV1(t.path);
    const tasks = (): number[] => listTasksV1(t.path, { controller: 'freezer' });
    switch (verb) {
      case 'kill': {
        // v1 has no cgroup.kill: freeze so nothing forks between listing and signalling; a frozen task
        // takes its SIGKILL on the way out of the freezer, so thaw right after.
        writeFreezerV1(t.path, 'FROZEN');
        const ids = tasks();
        for (const tid of ids) signalPid(tid, 'SIGKILL');
        writeFreezerV1(t.path, 'THAWED');
        const at = ctx.clock();
        if (ids.length === 0) return settledEffect(verb, t, 'done', `${what} was already empty`, at);
        const confirmed = confirm(ctx, () => {
          const left = tasks();
          for (const tid of left) signalPid(tid, 'SIGKILL'); // a task forked before the freeze took hold
          return left.length === 0;
        }, `${what} is empty`, `${what} still has tasks`);
        return { verb, target: t, result: 'done', detail: `froze ${what}, sent SIGKILL to ${ids.length} tasks, thawed`, acted_ns: at, confirmed };
      }
      case 'freeze':
      case 'quarantine': {
        writeFreezerV1(t.path, 'FROZEN');
        const at = ctx.clock();
        const net = verb === 'quarantine' ? '; network NOT cut: the sensor quarantine flag needs a cgroup v2 id' : '';
        const confirmed = confirm(ctx, () => {
          const s = state();
          if (s === 'FREEZING') writeFreezerV1(t.path, 'FROZEN'); // the v1 docs' way to retry
          return s === 'FROZEN';
        }, `${what} is FROZEN${net}`, `${what} is not FROZEN`);
        return { verb, target: t, result: 'done', detail: `wrote FROZEN to freezer.state of ${what}${net}`, acted_ns: at, confirmed };
      }
      case 'thaw':
      case 'release': {
        writeFreezerV1(t.path, 'THAWED');
        const at = ctx.clock();
        const confirmed = confirm(ctx, () => state() === 'THAWED', `${what} is THAWED`, `${what} is not THAWED`);
        return { verb, target: t, result: 'done', detail: `wrote THAWED to freezer.state of ${what}`, acted_ns: at, confirmed };
      }
    }
  });
}
