/**
 * @module record/record-response: `record --enforce` answers with the one responder (respond/LiveResponder),
 * the same planning, actuation, kernel fast path and response ids as the sensor and the daemon. What is
 * record's own is only its reach and its bookkeeping:
 * - it acts on the tool calls it started, nothing else on the host;
 * - it has no approval channel, so require_approval is recorded, not carried out;
 * - a kill or quarantine ends the tool call (exit 70 or 72), and where the tool call has no cgroup leaf (no
 *   cgroup v2) the rest of its process group and the processes it is known to have started get the same
 *   signal as the offending process, since nothing else contains them.
 */
import { signalPid, type CgroupLeaf } from '../host/index.js';
import { Actuator, LiveResponder } from '../respond/index.js';
import type { Sensor } from '../sensor/index.js';

/** What record may act on for one tool call it started. */
export interface ResponderTarget {
  leaf: CgroupLeaf | null;
  /** Without a leaf: the process group and the pids the tool call is known to have started. */
  pgid: number | null;
  livePids: () => number[];
}

export type EnforcedAction = 'kill' | 'quarantine';

export interface RecordResponseOptions {
  /** The in-process sensor, only when it was started with its enforcement programs (else null). */
  sensor: Sensor | null;
  now: () => bigint;
  /** The target of a binding, or null when the binding is not one this recorder started. */
  targetOf: (bindingId: string) => ResponderTarget | null;
  /** Told after a kill or quarantine was carried out, so the recorder can end the tool call accordingly. */
  onEnforced: (action: EnforcedAction, bindingId: string) => void;
  onError?: (err: unknown) => void;
}

const CARRIED_OUT = new Set(['kill', 'quarantine', 'deny']);

export function createRecordResponder(o: RecordResponseOptions): LiveResponder {
  const actuator = new Actuator({ sensor: o.sensor, clock: o.now });
  /** binding -> the kill or quarantine already carried out on it: the tool call is ending, a second one acts on nothing new. */
  const enforced = new Map<string, { action: EnforcedAction; decision_id: string }>();
  return new LiveResponder({
    actuator,
    // No follow-up rows: the first record of a response is written by the storage thread, and the run's
    // graph is derived when the record ends; a second writer of the same row from this thread could race it.
    skipReason: (req) => {
      const binding = req.correlation.binding_id;
      if (!binding || o.targetOf(binding) === null) return 'the event is not attributed to a tool call this recorder started';
      const action = req.decision.action;
      if (!CARRIED_OUT.has(action)) return `${action}: record has no approval channel; the decision is recorded only`;
      const prior = enforced.get(binding);
      if (prior && (action === 'kill' || action === 'quarantine') && (prior.action === 'kill' || action === 'quarantine')) {
        return `the tool call was already ${prior.action === 'kill' ? 'killed' : 'quarantined'} (decision ${prior.decision_id.slice(0, 12)})`;
      }
      return null;
    },
    onActed: (action, req) => {
      const binding = req.correlation.binding_id;
      if (!binding || action.result !== 'done' || (action.action !== 'kill' && action.action !== 'quarantine')) return;
      enforced.set(binding, { action: action.action, decision_id: req.decision.decision_id });
      const target = o.targetOf(binding);
      if (target !== null && target.leaf === null) containWithoutCgroup(target, action.action === 'kill' ? 'SIGKILL' : 'SIGSTOP');
      o.onEnforced(action.action, binding);
    },
    ...(o.onError ? { onError: o.onError } : {}),
  });
}

function containWithoutCgroup(t: ResponderTarget, signal: NodeJS.Signals): void {
  for (const pid of t.livePids()) signalPid(pid, signal);
  if (t.pgid === null) return;
  try {
    process.kill(-t.pgid, signal);
  } catch {
    /* the group is gone */
  }
}
