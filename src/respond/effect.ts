/** @module respond/effect: what one containment step did right away, and a promise of what the kernel confirmed. */
import type { ResponseTarget, ResponseVerb } from './target.js';

/** As in ResponseAction.result: `planned` means the step was started but completes later (dockerd). */
export type EffectResult = 'done' | 'failed' | 'dry_run' | 'skipped' | 'planned';

/** What a release must undo, kept with the containment (the store's `containments` table). */
export interface ContainmentState {
  /** Networks a container was disconnected from. */
  networks?: string[];
  /** The cgroup v2 id whose in-kernel quarantine flag was set in the sensor. */
  sensor_cgroup_id?: string | null;
}

export interface Outcome {
  result: Exclude<EffectResult, 'planned'>;
  detail: string;
  /** Wall ns when the state was confirmed (frozen, empty, paused...), null when it was not. */
  at_ns: bigint | null;
  state?: ContainmentState;
}

export interface Effect {
  verb: ResponseVerb;
  target: ResponseTarget;
  /** Result of the synchronous step: `done` = the write or signal was made, confirmation may be pending. */
  result: EffectResult;
  detail: string;
  /** Wall ns right after the synchronous write or signal; null when nothing was done synchronously. */
  acted_ns: bigint | null;
  confirmed: Promise<Outcome>;
  state?: ContainmentState;
}

/** An effect with nothing left to wait for. */
export function settledEffect(
  verb: ResponseVerb,
  target: ResponseTarget,
  result: Exclude<EffectResult, 'planned'>,
  detail: string,
  at: bigint | null,
  state?: ContainmentState,
): Effect {
  const outcome: Outcome = { result, detail, at_ns: result === 'done' ? at : null, ...(state ? { state } : {}) };
  return { verb, target, result, detail, acted_ns: at, confirmed: Promise.resolve(outcome), ...(state ? { state } : {}) };
}

/** Runs `fn`; a thrown error becomes a failed effect naming the target (a responder never throws into the engine). */
export function guarded(verb: ResponseVerb, target: ResponseTarget, what: string, fn: () => Effect): Effect {
  try {
    return fn();
  } catch (err) {
    return settledEffect(verb, target, 'failed', `${verb} ${what} failed: ${(err as Error).message ?? String(err)}`, null);
  }
}
