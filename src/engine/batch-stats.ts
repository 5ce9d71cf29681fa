/**
 * @module engine/batch-stats: what a batch of events came to (stored, duplicates, attributed, verdicts).
 * Its own small module: the storage thread counts what it stored with it without loading the engine.
 */
import type { EventVerdict } from './ports.js';

export interface BatchStats {
  received: number;
  stored: number;
  duplicates: number;
  attributed: number;
  decisions: number;
  risks: number;
  responses: number;
}

export function emptyStats(): BatchStats {
  return { received: 0, stored: 0, duplicates: 0, attributed: 0, decisions: 0, risks: 0, responses: 0 };
}

export function addStats(into: BatchStats, b: BatchStats): void {
  for (const k of Object.keys(into) as (keyof BatchStats)[]) into[k] += b[k];
}

export function countVerdicts(verdicts: EventVerdict[], stats: BatchStats): void {
  for (const v of verdicts) {
    if (v.correlation.binding_id) stats.attributed++;
    if (v.decision) stats.decisions++;
    stats.risks += v.risks.length;
    stats.responses += v.responses.length;
  }
}

