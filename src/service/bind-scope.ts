/** @module service/bind-scope: declares a ToolCallScope and re-correlates the stored events it may own. */
import type { BatchStats } from '../engine/index.js';
import { ToolCallScopeSchema, type ToolCallScope, type ToolCallScopeInput } from '../model/index.js';
import { InputError } from '../errors.js';
import type { EvidenceStore } from '../store/index.js';
import type { LoadedPolicy } from './policy-files.js';
import { createPipeline } from './pipeline.js';

export interface BindResult {
  scope: ToolCallScope;
  stats: BatchStats;
  dag: { run_id: string; nodes: number; edges: number };
}

export function bindScope(opts: {
  store: EvidenceStore;
  loaded: LoadedPolicy;
  scope: ToolCallScopeInput;
  now: () => bigint;
}): BindResult {
  const parsed = ToolCallScopeSchema.safeParse(opts.scope);
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'scope', message: i.message })),
      { code: 'AP_BAD_ARGS' },
    );
  }
  const { store, loaded } = opts;
  const engine = createPipeline({ source: 'ingest', store, loaded, clock: opts.now });
  const { scope, stats } = engine.bind(parsed.data);
  const dag = engine.rebuildRun(scope.run_id);
  engine.rebuildDirtyRuns(); // the runs a re-correlated event left
  return { scope, stats, dag: { run_id: scope.run_id, ...dag } };
}
