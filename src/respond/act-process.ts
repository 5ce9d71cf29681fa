/**
 * @module respond/act-process: one process: SIGKILL, SIGSTOP (freeze, quarantine) and SIGCONT (thaw,
 * release). The pid's start time is checked first when known, so a pid reused since the event is never hit.
 */
import { processStartWallNs, readProcStat, signalPid } from '../host/index.js';
import { waitFor } from './clock.js';
import type { ActContext } from './act-cgroup.js';
import { guarded, settledEffect, type Effect, type Outcome } from './effect.js';
import type { ResponseTarget, ResponseVerb } from './target.js';

type Proc = Extract<ResponseTarget, { kind: 'process' }>;

/** /proc start time has tick (10 ms) and uptime (10 ms) resolution; a reused pid starts much later. */
const START_TOLERANCE_NS = 250_000_000n;

const SIGNAL: Record<ResponseVerb, NodeJS.Signals> = {
  kill: 'SIGKILL',
  freeze: 'SIGSTOP',
  quarantine: 'SIGSTOP',
  thaw: 'SIGCONT',
  release: 'SIGCONT',
};

export function actProcess(verb: ResponseVerb, t: Proc, ctx: ActContext): Effect {
  const what = `process ${t.pid}`;
  return guarded(verb, t, what, () => {
    if (t.pid === process.pid || t.pid === 1) {
      return settledEffect(verb, t, 'failed', `refusing to signal ${what}: it is ${t.pid === 1 ? 'init' : 'agentprov itself'}`, null);
    }
    const started = processStartWallNs(t.pid);
    if (started === null) return settledEffect(verb, t, 'skipped', `${what} had already exited`, null);
    if (t.start_ns !== undefined && t.start_ns !== null) {
      const diff = started > t.start_ns ? started - t.start_ns : t.start_ns - started;
      if (diff > START_TOLERANCE_NS) {
        return settledEffect(verb, t, 'skipped', `${what} exited and its pid was reused (started ${diff / 1_000_000n} ms apart)`, null);
      }
    }
    const sig = SIGNAL[verb];
    if (ctx.dryRun) return settledEffect(verb, t, 'dry_run', `dry run: would send ${sig} to ${what}`, null);
    if (!signalPid(t.pid, sig)) return settledEffect(verb, t, 'skipped', `${what} had already exited`, null);
    const at = ctx.clock();
    const state = (): string | null => {
      const s = readProcStat(t.pid);
      return s === null ? null : s.state;
    };
    const check =
      verb === 'kill'
        ? () => {
            const s = state();
            return s === null || s === 'Z' || s === 'X';
          }
        : sig === 'SIGSTOP'
          ? () => state() === 'T'
          : () => state() !== 'T';
    const goal = verb === 'kill' ? 'has exited' : sig === 'SIGSTOP' ? 'is stopped' : 'is running again';
    const net = verb === 'quarantine' ? '; network NOT cut: a single process has no cgroup flag of its own' : '';
    let confirmedAt: bigint | null = null;
    const stamped = (): boolean => {
      if (!check()) return false;
      confirmedAt = ctx.clock();
      return true;
    };
    const confirmed = waitFor(stamped, ctx.confirmTimeoutMs, ctx.confirmSpinMs).then(
      (ok): Outcome =>
        ok
          ? { result: 'done', detail: `${what} ${goal}${net}`, at_ns: confirmedAt ?? ctx.clock() }
          : { result: 'failed', detail: `${what} not confirmed (${goal}) after ${ctx.confirmTimeoutMs} ms`, at_ns: null },
    );
    return { verb, target: t, result: 'done', detail: `sent ${sig} to ${what}${net}`, acted_ns: at, confirmed };
  });
}
