/**
 * @module respond/live-responder: the one Responder, for every entry point that can act (the sensor's store
 * output, the daemon, `record --enforce`). It acts synchronously inside the engine's pipeline (one cgroup
 * write or signal), returns the ResponseAction with the latency from the offending event, and records a
 * follow-up of the same response once the kernel or dockerd confirms.
 *
 * Idempotent: the engine re-judges stored events (late binding); a response already made for an event and
 * action is returned again, never carried out twice. A destination already in a cgroup's deny list is not
 * added twice. (A cgroup killed once can hold new processes later, so a later kill of it acts again.)
 *
 * Honest about time: an event reaches policy after its syscall returned, so a deny stops the offending
 * process and the NEXT connect; the exception is a connect the kernel refused itself (its rule was written
 * into the sensor when the scope was bound), which is recorded as refused before it happened.
 */
import { responseIdOf, type Responder, type ResponseRequest } from '../engine/index.js';
import { kernelConnectEntries, type CompiledPolicy, type EvalScope } from '../policy/index.js';
import type { KernelContainment } from '../sensor/index.js';
import { nsToIso, type Correlation, type PolicyDecision, type ResponseAction, type RuntimeEvent, type ToolCallScope } from '../model/index.js';
import type { Actuator } from './actuator.js';
import { CgroupLocator } from './cgroup-locator.js';
import { describeKernelContainment } from './kernel-containment.js';
import { formatMs } from './clock.js';
import { settledEffect, type ContainmentState, type Outcome } from './effect.js';
import { planResponse, scopeLeaf } from './plan.js';
import { targetKindOf, targetString, type ResponseTarget, type ResponseVerb } from './target.js';

export interface ApprovalOpenRequest {
  response_id: string;
  decision: PolicyDecision;
  event: RuntimeEvent;
  correlation: Correlation;
  scope: ToolCallScope | null;
  /** What was frozen while the approval waits. */
  target: ResponseTarget;
  now: bigint;
}

/** Where require_approval opens its request (the approval service, backed by the store). */
export interface ApprovalPort {
  /** Synchronous: runs inside the engine's transaction. A pending approval for the same target is reused. */
  open(req: ApprovalOpenRequest): { approval_id: string; expires_at_ns: bigint; reused: boolean };
}

/** What a follow-up record is about: the step, its target, and what a release must undo. */
export interface FollowUp {
  verb: ResponseVerb;
  target: ResponseTarget;
  outcome: Outcome;
  state?: ContainmentState;
}

export interface LiveResponderOptions {
  actuator: Actuator;
  locator?: CgroupLocator;
  approvals?: ApprovalPort | null;
  /** Stores a follow-up (the same response_id, updated once confirmed). Usually EvidenceStore.putResponse. */
  record?: (action: ResponseAction, followUp: FollowUp) => void;
  /** Events older than this are not acted on (ingested after the fact, or a backlog). Default 60 s. */
  maxEventAgeMs?: number;
  /** Responses remembered for idempotency. Default 100000. */
  memoSize?: number;
  /** Why this entry point does not act on a request (record: a tool call it did not start), or null to act. */
  skipReason?: (req: ResponseRequest) => string | null;
  /** Told of each response carried out (result done or planned), after it was made (record ends the tool call). */
  onActed?: (action: ResponseAction, req: ResponseRequest) => void;
  onError?: (err: unknown) => void;
}

/** connect() refused by the sensor's deny entry. */
const EPERM = 1;

/** The cgroup whose kernel deny list a denied connect's destination goes into, and the scope leaf it is. */
interface DenyCgroup {
  id: string;
  leaf: ResponseTarget | null;
  ip: string;
}

export class LiveResponder implements Responder {
  readonly actuator: Actuator;
  readonly locator: CgroupLocator;
  #approvals: ApprovalPort | null;
  readonly #opts: LiveResponderOptions;
  readonly #memo = new Map<string, ResponseAction>();
  readonly #pending = new Set<Promise<void>>();
  /** Cgroup ids whose kernel deny entries were written when their scope was bound. */
  readonly #armed = new Set<string>();
  /** cgroup id + cidr -> the decision that put the destination in that cgroup's deny list. */
  readonly #denied = new Map<string, string>();

  constructor(opts: LiveResponderOptions) {
    this.#opts = opts;
    this.actuator = opts.actuator;
    this.locator = opts.locator ?? new CgroupLocator();
    this.#approvals = opts.approvals ?? null;
  }

  attachApprovals(port: ApprovalPort | null): void {
    this.#approvals = port;
  }

  /** Resolves once every follow-up started so far has been recorded (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  respond(req: ResponseRequest): ResponseAction {
    const { decision, event, correlation } = req;
    const key = `${event.event_id}\u0000${decision.action}`;
    const known = this.#memo.get(key);
    if (known !== undefined) {
      const again = { ...known, decision_id: decision.decision_id, run_id: correlation.run_id, tool_call_id: correlation.tool_call_id };
      this.#remember(key, again);
      return again;
    }
    const now = this.actuator.clock();
    const skip = this.#opts.skipReason?.(req) ?? null;
    if (skip !== null) return this.#remember(key, this.#unacted(req, 'skipped', skip, now));
    const maxAgeNs = BigInt(this.#opts.maxEventAgeMs ?? 60_000) * 1_000_000n;
    const step = planResponse(req, this.locator);
    const denyIn = this.#denyCgroupOf(req);
    const refused = denyIn === null ? null : this.#refusedConnect(req, denyIn, now);
    if (refused !== null) return this.#remember(key, refused);
    const kernel = step === null ? null : this.#kernelContainment(step.verb, step.target, event);
    const backlog = now - event.time_ns > maxAgeNs;
    // What the ring thread did in time is recorded however late this thread gets to the event.
    if (backlog && kernel === null) {
      return this.#remember(key, this.#unacted(req, 'skipped', `event is ${formatMs(now - event.time_ns)} old: not acting on a backlog or after-the-fact telemetry`, now));
    }
    if (step === null) {
      return this.#remember(key, this.#unacted(req, 'skipped', 'no live target: the event names no pid, own cgroup or container', now));
    }
    const effect = backlog
      ? settledEffect(step.verb, step.target, 'done', `the engine judged the event ${formatMs(now - event.time_ns)} later (backlog): nothing more done`, null)
      : this.actuator.apply(step.verb, step.target);
    const how = decision.action === step.verb ? '' : `${decision.action} -> ${step.verb}: `;
    let detail = `${how}${kernel ? `${describeKernelContainment(kernel, formatMs)}; then ` : ''}${effect.detail}`;
    // The ring thread acted first: its write is the response, timed from the kernel's refusal of the connect.
    const actedNs = kernel?.acted_ns ?? effect.acted_ns;
    const fromNs = kernel?.event_ns ?? event.time_ns;
    const action: ResponseAction = {
      response_id: responseIdOf(event.event_id, decision.action, targetString(step.target)),
      decision_id: decision.decision_id,
      event_id: event.event_id ?? null,
      run_id: correlation.run_id,
      tool_call_id: correlation.tool_call_id,
      action: decision.action,
      target_kind: targetKindOf(step.target),
      target: targetString(step.target),
      result: effect.result,
      detail,
      latency_ns: actedNs !== null ? actedNs - fromNs : null,
      time_ns: actedNs ?? now,
    };
    // A denied destination stays denied for the rest of the tool call: the kernel refuses the next connect().
    if (denyIn !== null) {
      const denied = this.actuator.denyAddress(denyIn.id, denyIn.ip);
      detail += `; ${denied.detail}`;
      if (denied.ok) this.#denied.set(`${denyIn.id} ${cidrOf(denyIn.ip)}`, decision.decision_id);
      action.detail = detail;
    }
    if (decision.action === 'require_approval' && (effect.result === 'done' || effect.result === 'planned' || effect.result === 'dry_run')) {
      detail += this.#openApproval({ response_id: action.response_id, decision, event, correlation, scope: req.scope, target: step.target, now });
      action.detail = detail;
    }
    this.#remember(key, action);
    if (effect.result === 'done' || effect.result === 'planned') {
      // A freeze the ring thread already saw complete is confirmed at that time, not when JavaScript looked.
      const seen = kernel?.confirmed_ns ?? null;
      const confirmed = seen === null ? effect.confirmed : effect.confirmed.then((o) => (o.result === 'done' && (o.at_ns === null || seen < o.at_ns) ? { ...o, at_ns: seen } : o));
      this.#follow(key, action, step.verb, step.target, confirmed, fromNs);
      this.#tell(action, req);
    }
    return action;
  }

  /**
   * Where a denied connect's destination goes into the kernel deny list: the scope's own leaf, else the
   * event's cgroup. Null for any other decision or event, or when no cgroup is known.
   */
  #denyCgroupOf(req: ResponseRequest): DenyCgroup | null {
    const { event, decision } = req;
    if (decision.action !== 'deny' || event.type !== 'network_connect' || !event.dst_ip) return null;
    const leaf = scopeLeaf(req, this.locator);
    const id = leaf?.kind === 'cgroup2' ? leaf.id : (event.cgroup_id ?? null);
    return id === null ? null : { id, leaf, ip: event.dst_ip };
  }

  /**
   * A denied connect the kernel already refused (EPERM from an entry written at bind), or one to a destination
   * already in the cgroup's deny list: nothing more to do, and the record says which.
   */
  #refusedConnect(req: ResponseRequest, at: DenyCgroup, now: bigint): ResponseAction | null {
    const { event, decision } = req;
    const cidr = cidrOf(at.ip);
    const refusedByKernel = event.result === -EPERM;
    const prior = this.#denied.get(`${at.id} ${cidr}`);
    if (prior !== undefined) {
      const what = refusedByKernel ? 'the kernel refused this connect' : `this connect had returned ${event.result ?? '?'}`;
      return this.#unacted(req, 'skipped', `${cidr} is already in the cgroup's deny list (decision ${prior.slice(0, 12)}): ${what}`, now, at.leaf);
    }
    if (!refusedByKernel || !this.#armed.has(at.id)) return null;
    this.#denied.set(`${at.id} ${cidr}`, decision.decision_id);
    const action: ResponseAction = {
      ...this.#unacted(req, 'skipped', '', now, at.leaf),
      result: 'done',
      detail: `the kernel refused this connect to ${cidr} before it happened (EPERM): the deny entries of cgroup ${at.leaf !== null ? targetString(at.leaf) : at.id} were written when the tool call was bound`,
      latency_ns: 0n,
      time_ns: event.time_ns,
    };
    this.#tell(action, req);
    return action;
  }

  #tell(action: ResponseAction, req: ResponseRequest): void {
    try {
      this.#opts.onActed?.(action, req);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  /**
   * Writes what the kernel can decide for this scope (its compiled connect rules) into the sensor, for each
   * cgroup the scope owns, so a matching connect() is refused, and the cgroup killed or frozen, without
   * waiting for this thread.
   */
  scopeBound(scope: ToolCallScope, policy: CompiledPolicy, facts: EvalScope): void {
    if (this.actuator.dryRun || !this.actuator.hasSensor || scope.own_cgroup_ids.length === 0) return;
    if (scope.ended_at_ns != null) {
      for (const id of scope.own_cgroup_ids) {
        this.#armed.delete(id);
        this.actuator.releaseKernel(id);
      }
      return;
    }
    const entries = kernelConnectEntries(policy, facts);
    if (entries.length === 0) return;
    for (const id of scope.own_cgroup_ids) {
      const path = this.locator.locate(id, []);
      if (path === null) continue;
      const armed = this.actuator.armKernel({ kind: 'cgroup2', path, id }, entries);
      if (armed.ok) this.#armed.add(id);
      else this.#opts.onError?.(new Error(`tool call ${scope.tool_call_id}: ${armed.detail}`));
    }
  }

  #kernelContainment(verb: ResponseVerb, target: ResponseTarget, event: RuntimeEvent): KernelContainment | null {
    if (target.kind !== 'cgroup2') return null;
    const want = verb === 'kill' ? 'kill' : verb === 'quarantine' || verb === 'freeze' ? 'freeze' : null;
    if (want === null || event.type !== 'network_connect') return null;
    return this.actuator.kernelContainment(target.id, want, event.time_ns, event.tgid ?? event.pid ?? null);
  }

  #openApproval(req: ApprovalOpenRequest): string {
    if (this.#approvals === null) return '; no approval queue is attached: the target stays frozen until released';
    try {
      const a = this.#approvals.open(req);
      return `; approval ${a.approval_id} ${a.reused ? 'already pending' : 'pending'} until ${nsToIso(a.expires_at_ns)} (silence = deny)`;
    } catch (err) {
      this.#opts.onError?.(err);
      return `; approval could not be opened (${(err as Error).message}): the target stays frozen until released`;
    }
  }

  #follow(key: string, first: ResponseAction, verb: ResponseVerb, target: ResponseTarget, confirmed: Promise<Outcome>, eventNs: bigint): void {
    const p = confirmed
      .then((outcome) => {
        const latest = this.#memo.get(key) ?? first;
        const since = outcome.at_ns !== null ? ` ${formatMs(outcome.at_ns - eventNs)} after the event` : '';
        const updated: ResponseAction = {
          ...latest,
          result: outcome.result === 'done' ? (latest.result === 'planned' ? 'done' : latest.result) : outcome.result,
          detail: `${first.detail}; confirmed: ${outcome.detail}${since}`,
          latency_ns: latest.latency_ns ?? (outcome.at_ns !== null ? outcome.at_ns - eventNs : null),
        };
        this.#remember(key, updated);
        this.#opts.record?.(updated, { verb, target, outcome, ...(outcome.state ? { state: outcome.state } : {}) });
      })
      .catch((err: unknown) => this.#opts.onError?.(err))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** A response carried out by nobody (or, for `target`, already carried out earlier), with the reason. */
  #unacted(req: ResponseRequest, result: 'skipped', detail: string, now: bigint, target: ResponseTarget | null = null): ResponseAction {
    const where = target === null ? '' : targetString(target);
    return {
      response_id: responseIdOf(req.event.event_id, req.decision.action, where),
      decision_id: req.decision.decision_id,
      event_id: req.event.event_id ?? null,
      run_id: req.correlation.run_id,
      tool_call_id: req.correlation.tool_call_id,
      action: req.decision.action,
      target_kind: target === null ? 'none' : targetKindOf(target),
      target: where,
      result,
      detail,
      latency_ns: null,
      time_ns: now,
    };
  }

  #remember(key: string, action: ResponseAction): ResponseAction {
    this.#memo.delete(key);
    this.#memo.set(key, action);
    const max = this.#opts.memoSize ?? 100_000;
    if (this.#memo.size > max) this.#memo.delete(this.#memo.keys().next().value!);
    return action;
  }
}

function cidrOf(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}
