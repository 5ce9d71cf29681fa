/**
 * @module sdk/recorder: the white-box entry point. An app opens a recorder on a data dir, declares a run,
 * and runs each tool call through it; every tool call gets its own cgroup v2 leaf beneath the run's.
 */
import { contentHash } from '../graph/index.js';
import type { ResponseAction, RiskSignal } from '../model/index.js';
import { RecordSession, type CaptureMode, type SnapshotOptions } from '../record/index.js';
import { resolveDataDir } from '../store/index.js';
import type { RunVerification } from '../store/verify-run.js';
import { verifyRunOf } from '../store/store-verify.js';
import { ToolCall, type ToolCallResult } from './tool-call.js';

export interface RecorderOptions {
  /** The evidence store directory (default: $AGENTPROV_DATA_DIR, else ./.agentprov). */
  dataDir?: string;
  /** Policy files (default: the shipped policies/default.yaml). */
  policy?: readonly string[];
  /** Carry out deny, kill and quarantine on a tool call's cgroup; default false (decisions are recorded only). */
  enforce?: boolean;
  /** auto (default): eBPF when root and built, else /proc polling; 'ebpf' fails instead of falling back. */
  capture?: CaptureMode;
  /** $WORKSPACE for policy rules. */
  workspace?: string;
  /** Told about every risk as it is found, while tool calls run. */
  onRisk?: (risk: RiskSignal) => void;
  onResponse?: (response: ResponseAction) => void;
  /** Non-fatal problems (a failed response, a capture error). Default: ignored. */
  onError?: (err: unknown) => void;
}

export interface RunSpec {
  run_id: string;
  /** Default session for the run's tool calls (default 'default'). */
  session?: string;
  attempt?: string;
  agent_id?: string;
  owner?: string;
}

export interface ToolCallDeclaration {
  tool_call: string;
  session?: string;
  attempt?: string;
  tool_name?: string;
  /** The tool call's arguments: only their hash is stored (args_hash). */
  args?: unknown;
  /** Snapshot this directory before and after: created/modified/deleted files with diffs and writers. */
  workdir?: string;
  snapshot?: SnapshotOptions;
}

export interface RunResult {
  run_id: string;
  tool_calls: ToolCallResult[];
  verify: RunVerification;
}

export class RunHandle {
  readonly run_id: string;
  readonly #spec: RunSpec;
  readonly #session: RecordSession;
  readonly #calls: ToolCall[] = [];

  /** @internal Made by Recorder.run(). */
  constructor(session: RecordSession, spec: RunSpec) {
    this.#session = session;
    this.#spec = spec;
    this.run_id = spec.run_id;
  }

  /** Declares a tool call and returns it at once: `run.toolCall({...}).spawn(cmd, args)`. */
  toolCall(decl: ToolCallDeclaration): ToolCall {
    const tc = this.#session.declareToolCall({
      run_id: this.run_id,
      session_id: decl.session ?? this.#spec.session ?? 'default',
      attempt_id: decl.attempt ?? this.#spec.attempt ?? '1',
      tool_call_id: decl.tool_call,
      tool_name: decl.tool_name ?? null,
      args_hash: decl.args === undefined ? null : contentHash({ v: 'agentprov.args/v1', args: decl.args }),
      agent_id: this.#spec.agent_id ?? null,
      owner: this.#spec.owner ?? null,
      workdir: decl.workdir ?? null,
      ...(decl.snapshot ? { snapshot: decl.snapshot } : {}),
    });
    const call = new ToolCall(this.#session, tc);
    this.#calls.push(call);
    return call;
  }

  /** Ends every tool call still open and verifies the run's DAG. */
  async end(): Promise<RunResult> {
    const tool_calls = [];
    for (const c of this.#calls) tool_calls.push(await c.end());
    return { run_id: this.run_id, tool_calls, verify: verifyRunOf(this.#session.store, this.run_id) };
  }
}

export class Recorder {
  readonly #session: RecordSession;

  /** @internal Use openRecorder(). */
  constructor(session: RecordSession) {
    this.#session = session;
  }

  /** Which capture this recorder uses (ebpf or proc_poll) and why. */
  get capture(): { kind: 'ebpf' | 'proc_poll'; reason: string } {
    return { kind: this.#session.capture.kind, reason: this.#session.capture.reason };
  }

  /** Whether tool calls get cgroup leaves here, and why not when they do not. */
  get cgroups(): { available: boolean; reason: string } {
    return { available: this.#session.cgroups.root !== null, reason: this.#session.cgroups.reason };
  }

  get dataDir(): string {
    return this.#session.store.dataDir;
  }

  /** Declares a run; its tool calls share a cgroup directory (each in its own leaf beneath it). */
  run(spec: RunSpec): RunHandle {
    return new RunHandle(this.#session, spec);
  }

  /** Ends open tool calls, stops the capture, removes the run cgroups and closes the store. */
  close(): Promise<void> {
    return this.#session.close();
  }
}

/**
 * Opens a recorder on a data dir. As root with the eBPF addon built it runs the sensor in-process; otherwise
 * it polls /proc and says so in `recorder.capture.reason`.
 */
export async function openRecorder(opts: RecorderOptions = {}): Promise<Recorder> {
  const session = await RecordSession.open({
    dataDir: resolveDataDir(opts.dataDir),
    ...(opts.policy ? { policyFiles: opts.policy } : {}),
    enforce: opts.enforce === true,
    capture: opts.capture ?? 'auto',
    ...(opts.workspace ? { workspace: opts.workspace } : {}),
    ...(opts.onRisk ? { onRisk: opts.onRisk } : {}),
    ...(opts.onResponse ? { onResponse: opts.onResponse } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  return new Recorder(session);
}
