/**
 * @module record/record-registry: the tool calls a recorder is watching, and which one an incoming event
 * belongs to (by the poller that saw it, by its cgroup, or by the pids a tool call bound).
 */
import type { RuntimeEvent, RuntimeEventInput, ToolCallScope } from '../model/index.js';
import type { CgroupLeaf } from '../host/index.js';
import type { FileTouches } from './file-touches.js';
import type { ProcessBook } from './record-processes.js';
import type { EnforcedAction, ResponderTarget } from './record-response.js';
import type { Snapshot, SnapshotOptions } from './snapshot.js';

export interface ToolCallSpec {
  run_id: string;
  session_id?: string;
  attempt_id?: string;
  tool_call_id: string;
  tool_name?: string | null;
  args_hash?: string | null;
  agent_id?: string | null;
  owner?: string | null;
  /** Snapshot this directory before and after (created/modified/deleted files with diffs). */
  workdir?: string | null;
  snapshot?: SnapshotOptions;
  /** The argv, when the tool call is one command (kept with the capture record). */
  command?: string[] | null;
}

/** A tool call being recorded. */
export interface ActiveToolCall {
  readonly spec: ToolCallSpec;
  scope: ToolCallScope & { binding_id: string };
  readonly leaf: CgroupLeaf | null;
  readonly cgroupReason: string;
  readonly book: ProcessBook;
  /** Commands this recorder started for the tool call. */
  readonly rootPids: number[];
  readonly pgids: number[];
  /** Processes bound with bindPid: the app's own, never killed by the recorder when the tool call ends. */
  readonly boundPids: number[];
  before: Snapshot | null;
  enforced: EnforcedAction | null;
  ended: boolean;
  /** Its events that changed a file, kept as they were judged (record/file-touches). */
  readonly fileTouches: FileTouches;
}

export class ToolCallRegistry {
  readonly #active = new Map<string, ActiveToolCall>();
  readonly #byCgroup = new Map<string, ActiveToolCall>();
  /** pid@start -> the cgroup a /proc poller saw that process in. */
  readonly #pollCgroups = new Map<string, string>();

  add(tc: ActiveToolCall): void {
    this.#active.set(tc.scope.binding_id, tc);
    if (tc.leaf) this.#byCgroup.set(tc.leaf.id, tc);
  }

  remove(tc: ActiveToolCall): void {
    this.#active.delete(tc.scope.binding_id);
    if (tc.leaf) this.#byCgroup.delete(tc.leaf.id);
  }

  get(bindingId: string): ActiveToolCall | undefined {
    return this.#active.get(bindingId);
  }

  all(): ActiveToolCall[] {
    return [...this.#active.values()];
  }

  /** The tool call an event belongs to: the poller's owner ("binding:pid"), else the event's cgroup, else bound pids. */
  route(e: RuntimeEvent, owner: string | null): ActiveToolCall | undefined {
    return (
      (owner ? this.#active.get(owner.split(':')[0]!) : undefined) ??
      (e.cgroup_id ? this.#byCgroup.get(e.cgroup_id) : undefined) ??
      this.#byBoundPid(e.pid, e.ppid)
    );
  }

  /**
   * The /proc poller reads a process's cgroup when it first sees it (its exec event) but not on its later
   * file, socket and exit events: those get the cgroup the same process (pid and start time) was seen in.
   */
  carryCgroup(inputs: RuntimeEventInput[]): void {
    for (const e of inputs) {
      const key = `${e.pid}@${e.process_start_ns}`;
      if (e.cgroup_id) this.#pollCgroups.set(key, e.cgroup_id);
      else if (this.#pollCgroups.has(key)) e.cgroup_id = this.#pollCgroups.get(key)!;
    }
  }

  /** What a responder may act on for a binding this recorder started. */
  targetOf(bindingId: string): ResponderTarget | null {
    const tc = this.#active.get(bindingId);
    if (!tc) return null;
    return { leaf: tc.leaf, pgid: tc.pgids[0] ?? null, livePids: () => tc.book.stillAlive().map((p) => p.pid) };
  }

  /** A process outside every leaf belongs to the tool call that bound it or one of its ancestors. */
  #byBoundPid(pid: number | null | undefined, ppid: number | null | undefined): ActiveToolCall | undefined {
    if (typeof pid !== 'number') return undefined;
    for (const tc of this.#active.values()) {
      if (tc.scope.pids.length === 0) continue;
      if (tc.scope.pids.some((p) => p.pid === pid) || tc.book.byPid(pid) || (typeof ppid === 'number' && tc.book.byPid(ppid))) return tc;
    }
    return undefined;
  }
}
