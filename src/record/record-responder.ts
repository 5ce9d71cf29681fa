/**
 * @module record/record-responder: the minimal Responder `record --enforce` and the SDK use. It acts only on
 * the cgroup (or, without one, the process tree) of the tool call an event is attributed to: kill ->
 * cgroup.kill, quarantine -> freeze + the sensor's quarantine flag, deny -> the sensor's deny lists. A fuller
 * set of responders lives in src/respond/; this one is meant to be replaced by it.
 *
 * Honesty rules: an event reaches policy after its syscall returned, so a deny can only stop the NEXT connect
 * or exec, and says so; an action it cannot take is `skipped` with the reason, never `done`. The exception is
 * what the kernel decides alone (policy/kernel-rules): armed at bind, such a connect is refused before it
 * happens, and for kill and quarantine the sensor's ring thread has contained the leaf before this runs.
 */
import type { Responder, ResponseRequest } from '../engine/index.js';
import { responseIdOf, unperformedResponse } from '../engine/index.js';
import type { ResponseAction, RuntimeEvent, ToolCallScope } from '../model/index.js';
import { kernelConnectEntries, type CompiledPolicy, type EvalScope } from '../policy/index.js';
import { armKernelEntries, describeKernelContainment, formatMs, kernelContainmentOf, releaseKernelEntries } from '../respond/index.js';
import { freeze, killCgroup, listPids, signalPid, type CgroupLeaf } from '../host/index.js';
import type { Sensor } from '../sensor/index.js';

/** What the responder may act on for one bound scope. */
export interface ResponderTarget {
  leaf: CgroupLeaf | null;
  /** Without a leaf: the process group and the pids the tool call is known to have started. */
  pgid: number | null;
  livePids: () => number[];
}

export type EnforcedAction = 'kill' | 'quarantine';

export interface RecordResponderOptions {
  /** The in-process sensor, only when it was started with its enforcement programs (else null). */
  sensor: Sensor | null;
  /** The target of a binding, or null when the binding is not one this recorder started. */
  targetOf: (bindingId: string) => ResponderTarget | null;
  /** The directory of a cgroup v2 leaf this recorder made, by id (to arm the kernel fast path at bind). */
  cgroupDirOf?: (id: string) => string | null;
  /** Told after a kill or quarantine was carried out, so the recorder can end the tool call accordingly. */
  onEnforced?: (action: EnforcedAction, bindingId: string) => void;
  onError?: (err: unknown) => void;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class RecordResponder implements Responder {
  readonly #opts: RecordResponderOptions;
  /** Reconciling a window judges events again: the same decision must not act twice. */
  readonly #done = new Map<string, ResponseAction>();
  /** binding -> the kill or quarantine already carried out on it (a second one would act on nothing new). */
  readonly #enforced = new Map<string, { action: EnforcedAction; decision_id: string }>();
  /** binding + cidr or exe -> the decision that put it in the kernel deny lists. */
  readonly #denied = new Map<string, string>();
  /** Leaves (cgroup ids) whose kernel deny entries were written at bind. */
  readonly #armed = new Set<string>();

  constructor(opts: RecordResponderOptions) {
    this.#opts = opts;
  }

  /** Writes the connect rules the kernel can decide into the sensor for the tool call's own leaf. */
  scopeBound(scope: ToolCallScope, policy: CompiledPolicy, facts: EvalScope): void {
    const sensor = this.#opts.sensor;
    if (sensor === null || scope.own_cgroup_ids.length === 0) return;
    if (scope.ended_at_ns != null) {
      for (const id of scope.own_cgroup_ids) if (this.#armed.delete(id)) releaseKernelEntries(sensor, id);
      return;
    }
    const entries = kernelConnectEntries(policy, facts);
    if (entries.length === 0) return;
    for (const id of scope.own_cgroup_ids) {
      const dir = this.#opts.cgroupDirOf?.(id) ?? null;
      if (dir === null) continue;
      try {
        armKernelEntries(sensor, id, dir, entries);
        this.#armed.add(id);
      } catch (err) {
        this.#opts.onError?.(err);
      }
    }
  }

  respond(req: ResponseRequest): ResponseAction | null {
    const prior = this.#done.get(req.decision.decision_id);
    if (prior) return prior;
    const action = this.#act(req);
    this.#done.set(req.decision.decision_id, action);
    return action;
  }

  #act(req: ResponseRequest): ResponseAction {
    const { decision, correlation, event, now } = req;
    const base = (result: 'done' | 'failed' | 'skipped', detail: string, extra: Partial<ResponseAction> = {}): ResponseAction => {
      const r = { ...unperformedResponse(decision, correlation, 'skipped', detail, now), result, latency_ns: result === 'done' ? now - event.time_ns : null, ...extra };
      return { ...r, response_id: responseIdOf(event.event_id, decision.action, r.target) };
    };
    const binding = correlation.binding_id;
    const target = binding ? this.#opts.targetOf(binding) : null;
    if (!binding || !target) return base('skipped', 'the event is not attributed to a tool call this recorder started');
    const cg = target.leaf ? { target_kind: 'cgroup' as const, target: target.leaf.cgroupPath } : {};
    const already = this.#enforced.get(binding);
    const action = decision.action;
    if (already && (action === 'kill' || action === 'quarantine') && (already.action === 'kill' || action === 'quarantine')) {
      return base('skipped', `the tool call was already ${already.action === 'kill' ? 'killed' : 'quarantined'} (decision ${already.decision_id.slice(0, 12)})`, cg);
    }
    if (action === 'kill' || action === 'quarantine') this.#enforced.set(binding, { action, decision_id: decision.decision_id });
    try {
      switch (decision.action) {
        case 'kill':
          return this.#kill(target, binding, base, cg, event);
        case 'quarantine':
          return this.#quarantine(target, binding, base, cg, event);
        case 'deny':
          return this.#deny(req, target, base, cg);
        default:
          return base('skipped', `${decision.action}: record has no approval channel; the decision is recorded only`);
      }
    } catch (err) {
      this.#opts.onError?.(err);
      return base('failed', `${decision.action} failed: ${errText(err)}`, cg);
    }
  }

  #kill(t: ResponderTarget, binding: string, base: Base, cg: Partial<ResponseAction>, event: RuntimeEvent): ResponseAction {
    if (t.leaf) {
      const pids = listPids(t.leaf);
      const kernel = this.#kernel(t.leaf, 'kill', event);
      // cgroup.kill is written synchronously inside killCgroup; only its freeze-and-signal fallback awaits.
      killCgroup(t.leaf).catch((err: unknown) => this.#opts.onError?.(err));
      this.#opts.onEnforced?.('kill', binding);
      return base('done', `${kernel.detail}killed every process of cgroup ${t.leaf.cgroupPath} (${pids.length} at the time)`, { ...cg, ...kernel.timing });
    }
    const pids = t.livePids();
    for (const pid of pids) signalPid(pid, 'SIGKILL');
    if (t.pgid !== null) signalGroup(t.pgid, 'SIGKILL');
    this.#opts.onEnforced?.('kill', binding);
    return base('done', `SIGKILL to the process group and ${pids.length} known processes (no cgroup: a process that left both can survive)`, {
      target_kind: 'process',
      target: String(t.pgid ?? pids[0] ?? ''),
    });
  }

  #quarantine(t: ResponderTarget, binding: string, base: Base, cg: Partial<ResponseAction>, event: RuntimeEvent): ResponseAction {
    if (t.leaf) {
      const kernel = this.#kernel(t.leaf, 'freeze', event);
      freeze(t.leaf, { timeoutMs: 2000 }).catch((err: unknown) => this.#opts.onError?.(err));
      const sensor = this.#opts.sensor;
      const net = sensor !== null ? (sensor.quarantine(BigInt(t.leaf.id)), ' and its connects and execs are denied in the kernel') : '';
      this.#opts.onEnforced?.('quarantine', binding);
      return base('done', `${kernel.detail}froze cgroup ${t.leaf.cgroupPath}${net}`, { ...cg, ...kernel.timing });
    }
    const pids = t.livePids();
    for (const pid of pids) signalPid(pid, 'SIGSTOP');
    this.#opts.onEnforced?.('quarantine', binding);
    return base('done', `SIGSTOP to ${pids.length} known processes (no cgroup to freeze)`, { target_kind: 'process', target: String(pids[0] ?? '') });
  }

  /** What the sensor's ring thread already did for this connect: the record's words and its timing. */
  #kernel(leaf: CgroupLeaf, verb: 'kill' | 'freeze', event: RuntimeEvent): { detail: string; timing: Partial<ResponseAction> } {
    const k = event.type === 'network_connect' ? kernelContainmentOf(this.#opts.sensor, leaf.id, verb, event.time_ns, event.tgid ?? event.pid ?? null) : null;
    if (k === null || k.acted_ns === null) return { detail: '', timing: {} };
    return { detail: `${describeKernelContainment(k, formatMs)}; then `, timing: { latency_ns: k.acted_ns - k.event_ns, time_ns: k.acted_ns } };
  }

  #deny(req: ResponseRequest, t: ResponderTarget, base: Base, cg: Partial<ResponseAction>): ResponseAction {
    const { event } = req;
    const sensor = this.#opts.sensor;
    if (!t.leaf || sensor === null) {
      return base('skipped', 'deny needs the eBPF sensor with enforcement and a cgroup; this event was only recorded');
    }
    const id = BigInt(t.leaf.id);
    const binding = req.correlation.binding_id ?? '';
    if (event.type === 'network_connect' && event.dst_ip) {
      const cidr = event.dst_ip.includes(':') ? `${event.dst_ip}/128` : `${event.dst_ip}/32`;
      const prior = this.#denied.get(`${binding} ${cidr}`);
      if (prior) {
        return base('skipped', `${cidr} is already in the cgroup's deny list (decision ${prior.slice(0, 12)}): the kernel refused this connect (result ${event.result ?? '?'})`, cg);
      }
      this.#denied.set(`${binding} ${cidr}`, req.decision.decision_id);
      if (this.#armed.has(t.leaf.id) && event.result === -EPERM) {
        return base('done', `the kernel refused this connect to ${cidr} before it happened (EPERM): the deny entries of cgroup ${t.leaf.cgroupPath} were written when the tool call was bound`, cg);
      }
      sensor.denyCidr(id, cidr);
      return base(
        'done',
        `future connects from cgroup ${t.leaf.cgroupPath} to ${cidr} fail with EPERM; this connect had already returned ${event.result ?? '?'}`,
        cg,
      );
    }
    if (event.type === 'process_exec' && event.exe && (event.result ?? 0) === 0) {
      const prior = this.#denied.get(`${binding} exec ${event.exe}`);
      if (prior) return base('skipped', `${event.exe} is already in the cgroup's deny-exec set (decision ${prior.slice(0, 12)})`, cg);
      sensor.denyExec(id, event.exe);
      this.#denied.set(`${binding} exec ${event.exe}`, req.decision.decision_id);
      return base('done', `future execs of ${event.exe} in cgroup ${t.leaf.cgroupPath} are killed; this exec had already happened`, cg);
    }
    return base('skipped', `deny of a ${event.type} event cannot be enforced after the fact; the event was only recorded`, cg);
  }
}

const EPERM = 1;

type Base = (result: 'done' | 'failed' | 'skipped', detail: string, extra?: Partial<ResponseAction>) => ResponseAction;

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}
