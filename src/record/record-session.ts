/**
 * @module record/record-session: one recorder process: the store, the engine evaluating policy live, the
 * capture (eBPF or /proc polling), the responder, and the tool calls it watches, each in its own cgroup leaf
 * beneath its run's directory when cgroups are available. `agentprov record` and the SDK both drive it.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { contentHash } from '../graph/index.js';
import { finalizeEvent, type EvidenceEngine, type EventVerdict, type JudgedBatch } from '../engine/index.js';
import { JudgedStorage } from '../service/judged-storage.js';
import type { ResponseAction, RiskSignal, RuntimeEventInput, ToolCallScope } from '../model/index.js';
import { nsToIso, redactArgv } from '../model/index.js';
import { wallClockNs } from '../clock.js';
import { killCgroup, readProcStat, removeLeaf, spawnInCgroup, waitEmpty, type CgroupLeaf } from '../host/index.js';
import { dataDirFingerprint, EvidenceStore, StorageThread } from '../store/index.js';
import { loadPolicyFiles, type LoadedPolicy } from '../service/policy-files.js';
import { createPipeline } from '../service/pipeline.js';
import { startCapture, type CaptureMode, type LiveCapture } from './record-capture.js';
import { createRunCgroup, createToolCallLeaf, probeRecordCgroups, type CgroupAvailability } from './record-cgroup.js';
import { ObservedSink } from './observed-sink.js';
import { FileTouches } from './file-touches.js';
import { killTree, ProcessBook } from './record-processes.js';
import { ToolCallRegistry, type ActiveToolCall, type ToolCallSpec } from './record-registry.js';
import { createRecordResponder, type EnforcedAction } from './record-response.js';
import type { LiveResponder } from '../respond/index.js';
import { FsBlobStore } from './snapshot-blob-store.js';
import { snapshotOptionsFor, takeSnapshot } from './record-files.js';
import { endToolCall, type EndResult, type ToolCallRecord } from './record-end.js';

export interface RecordSessionOptions {
  dataDir: string;
  /** Policy files; none means the shipped default policy. */
  policyFiles?: readonly string[];
  /** Carry out deny, kill and quarantine on the tool call's cgroup (default: audit only, decisions recorded). */
  enforce?: boolean;
  capture?: CaptureMode;
  /** $WORKSPACE for policy rules (writes outside it are flagged). */
  workspace?: string;
  /** Wall-clock ns since the epoch. */
  now?: () => bigint;
  onRisk?: (risk: RiskSignal) => void;
  onResponse?: (response: ResponseAction) => void;
  /** A kill or quarantine was carried out on a tool call. */
  onEnforced?: (action: EnforcedAction, toolCall: ActiveToolCall) => void;
  onError?: (err: unknown) => void;
  /** Called as each start-up phase ends (record/record-phases): `store` (policy, store, cgroups), `sensor`. */
  onPhase?: (name: string) => void;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}

export class RecordSession {
  readonly store: EvidenceStore;
  readonly capture: LiveCapture;
  readonly cgroups: CgroupAvailability;
  readonly loaded: LoadedPolicy;
  readonly engine: EvidenceEngine;
  readonly blobs: FsBlobStore;
  readonly enforce: boolean;
  readonly now: () => bigint;
  /** The data dir's keyed fingerprint: every argv the recorder stores or prints is redacted with it. */
  readonly fingerprint: (secret: string) => string;
  readonly #opts: RecordSessionOptions;
  readonly #batchId: string;
  readonly #runDirs = new Map<string, CgroupLeaf>();
  /** The one responder, with --enforce (else null: decisions are recorded as skipped responses). */
  readonly #responder: LiveResponder | null;
  readonly #keptDirs = new Set<string>();
  readonly #calls = new ToolCallRegistry();
  readonly #seenRisks = new Set<string>();
  readonly #seenResponses = new Set<string>();
  #closed = false;
  /** Judged, not yet stored: written by the storage thread (see ingest). */
  readonly #judged: JudgedStorage;
  #lost = 0;
  #firstLoss: unknown = null;
  events = 0;

  private constructor(
    opts: RecordSessionOptions,
    store: EvidenceStore,
    loaded: LoadedPolicy,
    cgroups: CgroupAvailability,
    capture: LiveCapture,
    thread: StorageThread,
  ) {
    this.#opts = opts;
    this.store = store;
    this.loaded = loaded;
    this.cgroups = cgroups;
    this.capture = capture;
    this.enforce = opts.enforce === true;
    this.now = opts.now ?? wallClockNs;
    this.blobs = new FsBlobStore(store.dataDir);
    this.fingerprint = dataDirFingerprint(store.dataDir);
    this.#batchId = contentHash({ v: 'agentprov.record-batch/v1', pid: process.pid, nonce: randomBytes(8).toString('hex') });
    const responder = this.enforce
      ? createRecordResponder({
          sensor: capture.enforcing ? capture.sensor : null,
          now: this.now,
          targetOf: (b) => this.#calls.targetOf(b),
          onEnforced: (action, b) => this.#enforced(action, b),
          ...(opts.onError ? { onError: opts.onError } : {}),
        })
      : null;
    this.#responder = responder;
    this.engine = createPipeline({
      source: 'record',
      store,
      sink: new ObservedSink(store, (v) => this.#observe(v)),
      loaded,
      clock: this.now,
      ...(responder ? { responder } : {}),
      ...(opts.workspace ? { workspace: opts.workspace } : {}),
    });
    this.#judged = new JudgedStorage({
      store,
      engine: this.engine,
      batchId: this.#batchId,
      fingerprint: this.fingerprint,
      now: this.now,
      thread,
      onHandedOff: (burst) => {
        this.events += burst.events.length;
        this.#observe(burst.verdicts);
      },
      onLoss: (err, events) => this.#loss(err ?? new Error(`${events} events lost: the storage queue was full`), events),
    });
  }

  /** Opens the store, compiles the policy, finds cgroups and starts the capture (eBPF, or the /proc fallback). */
  static async open(opts: RecordSessionOptions): Promise<RecordSession> {
    const cgroups = await probeRecordCgroups();
    let session: RecordSession | null = null;
    // The kernel verifies the sensor's programs (100-400 ms) while the policy, the store and the storage
    // thread are set up here.
    const capturing = startCapture({
      mode: opts.capture ?? 'auto',
      enforce: opts.enforce === true,
      noCgroupReason: cgroups.root === null ? cgroups.reason : null,
      onEvents: (events, owner) => session?.ingest(events, owner),
      onError: (err) => opts.onError?.(err),
    });
    let loaded: LoadedPolicy;
    let store: EvidenceStore;
    let thread: StorageThread;
    try {
      loaded = loadPolicyFiles(opts.policyFiles);
      store = new EvidenceStore(opts.dataDir);
      try {
        // The storage thread boots (its modules, its connection: ~0.3 s) while the sensor loads, not after it.
        thread = new StorageThread(store.dataDir);
      } catch (err) {
        store.close();
        throw err;
      }
    } catch (err) {
      // whatever the capture came to, it holds nothing once stopped
      await capturing.then((c) => c.stop(), () => undefined).catch(() => undefined);
      throw err;
    }
    opts.onPhase?.('store');
    try {
      const capture = await capturing;
      session = new RecordSession(opts, store, loaded, cgroups, capture, thread);
      opts.onPhase?.('sensor');
      return session;
    } catch (err) {
      await thread.close().catch(() => undefined);
      store.close();
      throw err;
    }
  }

  /** An argv as the store keeps it: secrets replaced by their fingerprint (model/redact). */
  redactArgv(argv: readonly string[]): string[] {
    return redactArgv(argv, this.fingerprint);
  }

  /** Declares a tool call and takes the before snapshot of its workdir (when it has one). */
  async beginToolCall(spec: ToolCallSpec): Promise<ActiveToolCall> {
    const tc = this.declareToolCall(spec);
    await this.snapshotBefore(tc);
    return tc;
  }

  /** The workdir snapshot the after snapshot is compared with; a no-op for a tool call without a workdir. */
  async snapshotBefore(tc: ActiveToolCall): Promise<void> {
    if (!tc.spec.workdir || tc.before) return;
    tc.before = await takeSnapshot(tc.spec.workdir, snapshotOptionsFor(tc.spec.workdir, this.store.dataDir, tc.spec.snapshot), this.blobs);
  }

  /** Declares a tool call, synchronously: its leaf beneath the run's cgroup, and the bound scope. */
  declareToolCall(spec: ToolCallSpec): ActiveToolCall {
    if (this.#closed) throw new Error('the recorder is closed');
    // The command line is kept with the capture record: redacted like every argv (the spawn gets the clear one).
    if (spec.command) spec = { ...spec, command: this.redactArgv(spec.command) };
    let leaf: CgroupLeaf | null = null;
    let cgroupReason = this.cgroups.reason;
    if (this.cgroups.root !== null) {
      try {
        let runDir = this.#runDirs.get(spec.run_id);
        if (!runDir) this.#runDirs.set(spec.run_id, (runDir = createRunCgroup(this.cgroups.root, spec.run_id)));
        leaf = createToolCallLeaf(this.cgroups.root, runDir, spec.tool_call_id);
        // the responder finds the leaf by id when the scope is bound (kernel entries) and when it acts
        this.#responder?.locator.remember(leaf.id, leaf.path);
        cgroupReason = `own cgroup v2 leaf ${leaf.cgroupPath} (id ${leaf.id})`;
      } catch (err) {
        cgroupReason = `cannot create the tool call's cgroup: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    this.flushStore(); // the bind re-correlates stored events: those already judged must be among them
    const { scope } = this.engine.bind({
      run_id: spec.run_id,
      session_id: spec.session_id ?? 'default',
      attempt_id: spec.attempt_id ?? '1',
      tool_call_id: spec.tool_call_id,
      tool_name: spec.tool_name ?? null,
      args_hash: spec.args_hash ?? null,
      agent_id: spec.agent_id ?? null,
      owner: spec.owner ?? null,
      ...(this.#opts.workspace ? { workspace: this.#opts.workspace } : {}),
      started_at_ns: this.now(),
      ended_at_ns: null,
      own_cgroup_ids: leaf ? [leaf.id] : [],
      cgroup_ids: [],
      container_ids: [],
      pids: [],
      asserted: false,
      confidence: 1,
    });
    const tc: ActiveToolCall = {
      spec,
      scope: scope as ToolCallScope & { binding_id: string },
      leaf,
      cgroupReason,
      book: new ProcessBook(),
      rootPids: [],
      pgids: [],
      boundPids: [],
      before: null,
      enforced: null,
      ended: false,
      fileTouches: new FileTouches(...this.touchCounters),
    };
    this.#calls.add(tc);
    if (leaf) this.capture.watch(tc.scope.binding_id, { leaf });
    return tc;
  }

  /**
   * Starts a command of the tool call: inside its leaf before its first instruction, or, without a cgroup,
   * in a process group of its own (so the tree can be killed) and bound by pid.
   */
  spawn(tc: ActiveToolCall, cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    if (tc.ended) throw new Error(`tool call ${tc.spec.tool_call_id} has ended`);
    const child = tc.leaf
      ? spawnInCgroup(tc.leaf, cmd, args, { ...opts })
      : spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env, stdio: opts.stdio ?? 'inherit', detached: true });
    const pid = child.pid;
    if (pid === undefined) return child; // spawn failed: the 'error' event tells the caller
    tc.rootPids.push(pid);
    if (tc.leaf) {
      // Polling needs a process to start from; eBPF already follows the leaf.
      if (this.capture.kind === 'proc_poll') this.capture.watch(`${tc.scope.binding_id}:${pid}`, { leaf: tc.leaf, pid });
    } else {
      tc.pgids.push(pid);
      this.#bind(tc, pid);
    }
    return child;
  }

  /** Covers a process started elsewhere (and its descendants): bound by pid at confidence 0.85. */
  bindPid(tc: ActiveToolCall, pid: number): void {
    if (tc.ended) throw new Error(`tool call ${tc.spec.tool_call_id} has ended`);
    tc.boundPids.push(pid);
    this.#bind(tc, pid);
  }

  #bind(tc: ActiveToolCall, pid: number): void {
    // A /proc poller keys processes by the boot-relative start /proc gives; the sensor by wall clock, which
    // we cannot compute for a process already running, so there the binding window tells pid reuses apart.
    const start = this.capture.kind === 'proc_poll' ? (readProcStat(pid)?.start_ns ?? null) : null;
    this.flushStore();
    const scope = { ...tc.scope, pids: [...tc.scope.pids, { pid, start_ns: start }] };
    tc.scope = this.engine.bind(scope).scope as ToolCallScope & { binding_id: string };
    this.capture.watch(`${tc.scope.binding_id}:${pid}`, { pid });
  }

  /**
   * Kills every process of the tool call (its leaf; without one its process groups and the processes it is
   * known to have started, except those bound with bindPid). The agent itself is never in the leaf.
   */
  async kill(tc: ActiveToolCall): Promise<void> {
    if (tc.leaf) {
      await killCgroup(tc.leaf);
      await waitEmpty(tc.leaf, 3000);
      return;
    }
    const pids = tc.book.stillAlive().map((p) => p.pid).filter((pid) => !tc.boundPids.includes(pid));
    killTree(tc.pgids[0] ?? null, pids);
    for (const g of tc.pgids.slice(1)) killTree(g, []);
  }

  /**
   * Flushes the capture, handles orphans, takes the after snapshot, closes the scope and stores the record.
   * If that fails (a store locked past the busy timeout, a full disk), the tool call is abandoned: its
   * processes are killed (unless keepRunning), it is no longer watched, and the error is rethrown.
   */
  async endToolCall(tc: ActiveToolCall, result: EndResult): Promise<ToolCallRecord> {
    if (result.keepRunning && tc.leaf) this.#keptDirs.add(tc.spec.run_id);
    try {
      return await endToolCall(this, tc, result, () => this.#calls.remove(tc));
    } catch (err) {
      await this.#abandon(tc, result.keepRunning === true);
      throw err;
    }
  }

  /** A tool call whose end failed: nothing of it may outlive the recorder, and close() must not end it again. */
  async #abandon(tc: ActiveToolCall, keepRunning: boolean): Promise<void> {
    this.#calls.remove(tc);
    const binding = tc.scope.binding_id;
    this.capture.unwatch(binding);
    for (const pid of [...tc.rootPids, ...tc.boundPids]) this.capture.unwatch(`${binding}:${pid}`);
    if (keepRunning) return;
    await this.kill(tc).catch((err: unknown) => this.#opts.onError?.(err));
    if (tc.leaf) await removeLeaf(tc.leaf).catch(() => undefined);
  }

  /** Captured events that could not be processed and stored; a recording that lost any is incomplete. */
  get lostEvents(): { count: number; first: unknown } {
    return { count: this.#lost, first: this.#firstLoss };
  }

  /**
   * Events from the capture: finalized, routed to their tool call's process book and judged at once (an
   * enforcing decision reaches the responder before anything is written), then queued and handed to the
   * storage thread a burst at a time (service/judged-storage).
   */
  ingest(inputs: RuntimeEventInput[], owner: string | null): void {
    try {
      if (owner !== null) this.#calls.carryCgroup(inputs);
      const events = inputs.map((e) => finalizeEvent(e, this.fingerprint));
      for (const e of events) this.#calls.route(e, owner)?.book.observe(e);
      const judged = this.engine.judgeBatch(events);
      this.#keepFileTouches(judged);
      this.#judged.push(judged);
    } catch (err) {
      this.#loss(err, inputs.length);
    }
  }

  /** Writes every judged event still queued; whatever reads the store (binding, ending, queries) calls it first. */
  flushStore(): void {
    try {
      this.#judged.flush();
    } catch {
      // counted and reported through onLoss as the storage thread failed it
    }
  }

  /** Each event that changed a file, kept by the tool call it is attributed to (record/file-touches). */
  #keepFileTouches(judged: JudgedBatch): void {
    for (let i = 0; i < judged.events.length; i++) {
      const c = judged.verdicts[i]!.correlation;
      if (c.binding_id) this.#calls.get(c.binding_id)?.fileTouches.offer(judged.events[i]!, c.tool_call_id);
    }
  }

  /** The counters a tool call's kept file touches are checked against (FileTouches.current). */
  get touchCounters(): [rejudged: number, lost: number] {
    return [this.engine.rejudged, this.#lost];
  }

  #loss(err: unknown, count: number): void {
    if (this.#lost === 0) this.#firstLoss = err;
    this.#lost += count;
    this.#opts.onError?.(err);
  }

  /**
   * Ends every tool call still open, stops the capture (unloads the sensor), removes the run cgroups and
   * closes the store. Every step runs even if an earlier one failed, so a failing recorder never stays
   * behind with its sensor loaded; the first failure is then rethrown, later ones go to onError.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const failures: unknown[] = [];
    const step = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    };
    for (const tc of this.#calls.all()) await step(() => this.endToolCall(tc, { outcome: 'ended', exit_code: null, signal: null }));
    await step(() => this.capture.stop());
    await step(async () => {
      this.flushStore();
      await this.#judged.close();
    });
    // kills and freezes still being confirmed settle first: a failed confirmation is reported through onError
    await step(async () => this.#responder?.settled());
    for (const [run, dir] of this.#runDirs) {
      if (this.#keptDirs.has(run)) continue;
      await removeLeaf(dir).catch((err: unknown) => this.#opts.onError?.(err));
    }
    this.store.close();
    for (const err of failures.slice(1)) this.#opts.onError?.(err);
    if (failures.length > 0) throw failures[0];
  }

  #enforced(action: EnforcedAction, bindingId: string): void {
    const tc = this.#calls.get(bindingId);
    if (!tc) return;
    // The strongest action sticks: a quarantined tool call that is later killed was killed.
    if (tc.enforced !== 'kill') tc.enforced = action;
    this.#opts.onEnforced?.(action, tc);
  }

  #observe(verdicts: EventVerdict[]): void {
    for (const v of verdicts) {
      for (const r of v.risks) {
        if (this.#seenRisks.has(r.risk_id)) continue;
        this.#seenRisks.add(r.risk_id);
        this.#opts.onRisk?.(r);
      }
      for (const r of v.responses) {
        if (this.#seenResponses.has(r.response_id)) continue;
        this.#seenResponses.add(r.response_id);
        this.#opts.onResponse?.(r);
      }
    }
  }
}
