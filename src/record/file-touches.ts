/**
 * @module record/file-touches: the events of a tool call that changed a file, kept as they are judged.
 *
 * Attributing a changed file to its writers needs only the tool call's writes, renames and unlinks, but the
 * store can only give all its file events (the open flags sit in the event bodies): a tool call that read
 * 100k files had every one of them decoded again when it ended, about a second after the command. The
 * recorder sees each event once, judged, so it keeps the few that mutate here. That view is the store's as
 * long as nothing re-judged stored events (a late binding re-correlates them) and nothing judged was lost
 * before it was stored; otherwise `current` says so and the caller reads the store.
 */
import type { RuntimeEvent } from '../model/index.js';
import { mutatedPaths } from './file-attribution.js';

export interface FileTouch {
  /** The fields attribution reads (the rest of the event is not kept). */
  event: RuntimeEvent;
  tool_call_id: string | null;
}

export class FileTouches {
  readonly #touches: FileTouch[] = [];
  readonly #rejudgedAt: number;
  readonly #lostAt: number;

  /** `rejudged` and `lost`: the engine's and the recorder's counters when the tool call started. */
  constructor(rejudged: number, lost: number) {
    this.#rejudgedAt = rejudged;
    this.#lostAt = lost;
  }

  /** Keeps `e` if it changed a file (a trimmed copy: a build that writes 10^5 files must not pin their bodies). */
  offer(e: RuntimeEvent, toolCallId: string | null): void {
    if (mutatedPaths(e).length === 0) return;
    const kept = {
      event_id: e.event_id,
      type: e.type,
      time_ns: e.time_ns,
      pid: e.pid,
      process_start_ns: e.process_start_ns,
      comm: e.comm,
      exe: e.exe,
      cwd: e.cwd,
      path: e.path,
      new_path: e.new_path,
      open_flags: e.open_flags,
      result: e.result,
    } as RuntimeEvent;
    this.#touches.push({ event: kept, tool_call_id: toolCallId });
  }

  /** The kept touches, or null when the store's attribution may differ (re-judged or lost events since the start). */
  current(rejudged: number, lost: number): readonly FileTouch[] | null {
    return rejudged === this.#rejudgedAt && lost === this.#lostAt ? this.#touches : null;
  }
}
