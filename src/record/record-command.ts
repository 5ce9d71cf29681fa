/**
 * @module record/record-command: `agentprov record -- cmd`: one command recorded as one tool call, from a
 * cgroup leaf created before it starts to the summary after everything it left behind was handled.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { AgentprovError } from '../errors.js';
import { contentHash } from '../graph/index.js';
import type { ResponseAction, RiskSignal } from '../model/index.js';
import { waitAtMost } from '../host/index.js';
import type { RunVerification } from '../store/verify-run.js';
import { verifyRunOf } from '../store/store-verify.js';
import type { CaptureMode } from './record-capture.js';
import { recordOutcome, type EndState } from './record-exit.js';
import type { ToolCallRecord } from './record-end.js';
import { PhaseTimer } from './record-phases.js';
import { RecordSession } from './record-session.js';
import type { SnapshotOptions } from './snapshot.js';
import { summarizeRecording, type RecordingSummary } from './record-summary.js';

export interface RecordCommandOptions {
  dataDir: string;
  command: string[];
  runId: string;
  sessionId: string;
  attemptId: string;
  toolCallId: string;
  toolName: string | null;
  workdir: string;
  policyFiles?: readonly string[];
  enforce: boolean;
  timeoutMs: number | null;
  keepRunning: boolean;
  capture: CaptureMode;
  /** false: no workdir snapshots. */
  snapshot: SnapshotOptions | false;
  env: NodeJS.ProcessEnv;
  stdio: StdioOptions;
  /** Given the child right after it started (to forward piped output). */
  onChild?: (child: ChildProcess) => void;
  onNotice: (line: string) => void;
  onRisk?: (risk: RiskSignal) => void;
  onResponse?: (response: ResponseAction) => void;
  onError?: (err: unknown) => void;
  /** Called every progressMs while the command runs (a status line on a terminal). */
  onProgress?: (p: { events: number; processes: number; seconds: number }) => void;
  progressMs?: number;
  /** Aborting it kills the command (SIGINT/SIGTERM to agentprov). */
  interrupt?: AbortSignal;
  now?: () => bigint;
}

export interface RecordCommandResult {
  record: ToolCallRecord;
  exitCode: number;
  verify: RunVerification;
  summary: RecordingSummary;
  /** Wall time per phase, from the process's start (`load`) to the session closed (`close`). */
  phases: PhaseTimer;
}

export async function recordCommand(opts: RecordCommandOptions): Promise<RecordCommandResult> {
  const [cmd, ...args] = opts.command;
  if (cmd === undefined) throw new Error('recordCommand: empty command');
  let onEnforced: (() => void) | null = null;
  const phases = new PhaseTimer();
  const session = await RecordSession.open({
    dataDir: opts.dataDir,
    ...(opts.policyFiles ? { policyFiles: opts.policyFiles } : {}),
    enforce: opts.enforce,
    capture: opts.capture,
    workspace: opts.workdir,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.onRisk ? { onRisk: opts.onRisk } : {}),
    ...(opts.onResponse ? { onResponse: opts.onResponse } : {}),
    onEnforced: () => onEnforced?.(),
    onError: (err) => opts.onError?.(err),
    onPhase: (name) => phases.mark(name),
  });
  let failed = false;
  try {
    opts.onNotice(`capture: ${session.capture.kind} (${session.capture.reason})`);
    const tc = await session.beginToolCall({
      run_id: opts.runId,
      session_id: opts.sessionId,
      attempt_id: opts.attemptId,
      tool_call_id: opts.toolCallId,
      tool_name: opts.toolName,
      // hashed redacted: a plain hash of a clear argv would let a guessed secret be confirmed
      args_hash: contentHash({ v: 'agentprov.argv/v1', argv: session.redactArgv(opts.command) }),
      workdir: opts.snapshot === false ? null : opts.workdir,
      ...(opts.snapshot === false ? {} : { snapshot: opts.snapshot }),
      command: opts.command,
    });
    phases.mark('snapshot');
    opts.onNotice(`cgroup: ${tc.leaf ? tc.cgroupReason : `none (${tc.cgroupReason}): processes are bound by pid, confidence 0.85`}`);
    opts.onNotice(`recording run ${opts.runId}, tool call ${opts.toolCallId} (binding ${tc.scope.binding_id.slice(0, 12)}): ${(tc.spec.command ?? []).join(' ')}`);

    const state: EndState = { enforced: null, timedOut: false, interrupted: false, code: null, signal: null };
    const child = session.spawn(tc, cmd, args, { cwd: opts.workdir, env: opts.env, stdio: opts.stdio });
    opts.onChild?.(child);
    let exited = false;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const stopped = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        exited = true;
        state.code = code;
        state.signal = signal;
        resolve();
      });
      // A frozen command never exits by itself: the quarantine ends the wait.
      onEnforced = () => {
        state.enforced = tc.enforced;
        if (tc.enforced === 'quarantine') resolve();
      };
    });
    const timer =
      opts.timeoutMs !== null
        ? setTimeout(() => {
            state.timedOut = true;
            opts.onNotice(`timeout after ${opts.timeoutMs! / 1000} s: killing the run`);
            session.kill(tc).catch((err: unknown) => opts.onError?.(err));
          }, opts.timeoutMs)
        : null;
    const onInterrupt = (): void => {
      state.interrupted = true;
      opts.onNotice('interrupted: killing the run');
      session.kill(tc).catch((err: unknown) => opts.onError?.(err));
    };
    opts.interrupt?.addEventListener('abort', onInterrupt, { once: true });
    const began = Date.now();
    const progress = opts.onProgress
      ? setInterval(() => opts.onProgress?.({ events: session.events, processes: tc.book.size, seconds: (Date.now() - began) / 1000 }), opts.progressMs ?? 1000)
      : null;
    try {
      await stopped;
      phases.mark('command');
    } finally {
      if (timer) clearTimeout(timer);
      if (progress) clearInterval(progress);
      opts.interrupt?.removeEventListener('abort', onInterrupt);
    }
    // The kernel may have killed the command (a ring-thread kill) before its events were judged here: judge
    // what the capture still holds first, so who ended the command is known before the outcome is.
    await session.capture.flush();
    phases.mark('flush');
    state.enforced = tc.enforced;
    const { outcome, exit } = recordOutcome(state);
    const record = await session.endToolCall(tc, {
      outcome,
      exit_code: state.code,
      signal: state.signal,
      keepRunning: opts.keepRunning,
      agentprovExit: exit,
    });
    phases.mark('end');
    // Let piped output drain; a process left running may hold the pipe, so do not wait on it for long.
    await waitAtMost(closed, exited ? 500 : 2000);
    phases.mark('output');
    if (opts.keepRunning) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    }
    const lost = session.lostEvents;
    if (lost.count > 0) throw incompleteRecording(opts.runId, lost.count, lost.first);
    const verify = verifyRunOf(session.store, opts.runId);
    const summary = summarizeRecording(session.store.query, record, verify);
    phases.mark('verify');
    return { record, exitCode: exit, verify, summary, phases };
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // On failure the first error is the one to report: a second one from closing is only a warning.
    if (failed) await session.close().catch((err: unknown) => opts.onError?.(err));
    else await session.close();
    // the result returned above holds this timer: its last phase ends here, after the close
    phases.mark('close');
  }
}

/** A recording that lost captured events must not pass for a complete one: it fails with the cause's code. */
function incompleteRecording(runId: string, count: number, first: unknown): AgentprovError {
  const why = first instanceof Error ? first.message : String(first);
  const code = first instanceof AgentprovError ? first.code : 'AP_STORE';
  return new AgentprovError(code, `the recording of run ${runId} is incomplete: ${count} captured events could not be stored (${why})`, {
    cause: first,
  });
}
