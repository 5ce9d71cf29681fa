/**
 * @module sdk/tool-call: one declared tool call. Each runs in its own cgroup v2 leaf beneath its run's, so
 * every kernel event it causes is attributed to it at confidence 1.0, and it can be killed on its own.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { ResponseAction, RiskSignal } from '../model/index.js';
import { RECORD_EXIT, type ActiveToolCall, type RecordSession, type ToolCallRecord } from '../record/index.js';
import type { FileChangeRecord, OrphanRecord, RecordOutcome } from '../store/index.js';

export interface ToolCallSpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default: ['ignore', 'pipe', 'pipe'] (read `child.stdout`). */
  stdio?: StdioOptions;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A command started for a tool call. `started` resolves once it runs inside the tool call's cgroup. */
export interface ToolCallProcess {
  readonly started: Promise<ChildProcess>;
  readonly exited: Promise<ProcessExit>;
}

export interface ToolCallResult {
  run_id: string;
  tool_call_id: string;
  binding_id: string;
  capture: 'ebpf' | 'proc_poll';
  capture_reason: string;
  /** The tool call's own leaf, or null (then its processes were bound by pid, confidence 0.85). */
  cgroup: { id: string; path: string } | null;
  outcome: RecordOutcome;
  /** The exit of the last command spawned, when it had exited. */
  exit_code: number | null;
  events: number;
  risks: RiskSignal[];
  responses: ResponseAction[];
  orphans: OrphanRecord[];
  files: FileChangeRecord[];
}

export interface EndOptions {
  /** Leave processes that outlived the tool call's commands running (default: kill them). */
  keepRunning?: boolean;
}

export class ToolCall {
  readonly #session: RecordSession;
  readonly #tc: ActiveToolCall;
  readonly #ready: Promise<void>;
  readonly #exits: Promise<ProcessExit>[] = [];
  #last: ProcessExit | null = null;
  #ending: Promise<ToolCallResult> | null = null;

  /** @internal Made by RunHandle.toolCall(). */
  constructor(session: RecordSession, tc: ActiveToolCall) {
    this.#session = session;
    this.#tc = tc;
    this.#ready = session.snapshotBefore(tc);
    this.#ready.catch(() => undefined); // surfaced by spawn() and end()
  }

  get run_id(): string {
    return this.#tc.scope.run_id;
  }

  get tool_call_id(): string {
    return this.#tc.scope.tool_call_id;
  }

  get binding_id(): string {
    return this.#tc.scope.binding_id;
  }

  /** The tool call's cgroup leaf, or null when this host gives none (see Recorder.cgroups). */
  get cgroup(): { id: string; path: string } | null {
    return this.#tc.leaf ? { id: this.#tc.leaf.id, path: this.#tc.leaf.cgroupPath } : null;
  }

  /** Kill or quarantine carried out on this tool call by policy (with `enforce`), or null. */
  get enforced(): 'kill' | 'quarantine' | null {
    return this.#tc.enforced;
  }

  /** Runs `cmd args` as part of this tool call, inside its cgroup before the command's first instruction. */
  spawn(cmd: string, args: readonly string[] = [], opts: ToolCallSpawnOptions = {}): ToolCallProcess {
    const started = this.#ready.then(() =>
      this.#session.spawn(this.#tc, cmd, args, { ...opts, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] }),
    );
    const exited = started.then(
      (child) =>
        new Promise<ProcessExit>((resolve, reject) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve({ code: child.exitCode, signal: child.signalCode });
            return;
          }
          child.once('error', reject);
          child.once('exit', (code, signal) => resolve({ code, signal }));
        }),
    );
    const tracked = exited.then((e) => (this.#last = e));
    this.#exits.push(tracked);
    // The caller may await only one of the two: neither may become an unhandled rejection.
    started.catch(() => undefined);
    tracked.catch(() => undefined);
    return { started, exited };
  }

  /** Covers a process started elsewhere, and its descendants (bound by pid: confidence 0.85). */
  bindPid(pid: number): void {
    this.#session.bindPid(this.#tc, pid);
  }

  /** Kills every process of this tool call now (its cgroup), leaving the agent and other tool calls alone. */
  kill(): Promise<void> {
    return this.#session.kill(this.#tc);
  }

  /**
   * Closes the scope: kills what its commands left running (unless keepRunning), takes the after snapshot,
   * stores the record and re-derives the run's DAG. Safe to call twice (the second call returns the first result).
   */
  end(opts: EndOptions = {}): Promise<ToolCallResult> {
    this.#ending ??= this.#end(opts);
    return this.#ending;
  }

  async #end(opts: EndOptions): Promise<ToolCallResult> {
    await this.#ready;
    const enforced = this.#tc.enforced;
    const outcome: RecordOutcome = enforced === 'kill' ? 'killed_by_policy' : enforced === 'quarantine' ? 'quarantined' : 'ended';
    const last = this.#last;
    const rec = await this.#session.endToolCall(this.#tc, {
      outcome,
      exit_code: last?.code ?? null,
      signal: last?.signal ?? null,
      keepRunning: opts.keepRunning === true,
      agentprovExit: enforced === 'kill' ? RECORD_EXIT.KILLED_BY_POLICY : enforced === 'quarantine' ? RECORD_EXIT.QUARANTINED : null,
    });
    // Killed leftovers exit now; a process kept running is not waited for.
    if (opts.keepRunning !== true) await Promise.allSettled(this.#exits);
    return toResult(this.#session, rec, this.#last?.code ?? null);
  }
}

function toResult(session: RecordSession, rec: ToolCallRecord, exitCode: number | null): ToolCallResult {
  const c = rec.capture;
  const q = session.store.query;
  return {
    run_id: c.run_id,
    tool_call_id: c.tool_call_id,
    binding_id: c.binding_id,
    capture: c.capture,
    capture_reason: c.capture_reason,
    cgroup: c.cgroup_id !== null && c.cgroup_path !== null ? { id: c.cgroup_id, path: c.cgroup_path } : null,
    outcome: c.outcome,
    exit_code: exitCode,
    events: c.events,
    risks: q.risksOfRun(c.run_id).filter((r) => r.tool_call_id === c.tool_call_id),
    responses: q.responsesOfRun(c.run_id).filter((r) => r.tool_call_id === c.tool_call_id),
    orphans: rec.orphans,
    files: rec.changes,
  };
}
