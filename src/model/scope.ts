/** @module model/scope: ToolCallScope, the app-declared unit of work that runtime events are attributed to. */
import { z } from 'zod';
import { NanosSchema } from './runtime-event.js';

export const ScopePidSchema = z.strictObject({
  pid: z.number().int().positive(),
  /** Start time of that pid in ns; absent when the binder did not know it (then the window disambiguates). */
  start_ns: NanosSchema.nullable().optional(),
});

export const ToolCallScopeSchema = z.strictObject({
  binding_id: z.string().min(1).optional(),
  run_id: z.string().min(1),
  session_id: z.string().min(1).default('default'),
  attempt_id: z.string().min(1).default('1'),
  tool_call_id: z.string().min(1),
  tool_name: z.string().nullable().optional(),
  args_hash: z.string().nullable().optional(),
  agent_id: z.string().nullable().optional(),
  owner: z.string().nullable().optional(),
  /** The agent's workspace root, for `$WORKSPACE` in policies: the same on every entry point that judges the scope. */
  workspace: z.string().min(1).nullable().optional(),
  started_at_ns: NanosSchema,
  /** Open-ended while the tool call runs. */
  ended_at_ns: NanosSchema.nullable().optional(),
  /** The scope's own cgroup v2 leaf (created for it: evidence at 1.0). */
  own_cgroup_ids: z.array(z.string().regex(/^\d+$/)).default([]),
  /** cgroups the scope shares with others (0.98 within the window). */
  cgroup_ids: z.array(z.string().regex(/^\d+$/)).default([]),
  container_ids: z.array(z.string().min(1)).default([]),
  pids: z.array(ScopePidSchema).default([]),
  /** Asserted by the app with no kernel evidence behind it: caps confidence at 0.5. */
  asserted: z.boolean().default(false),
  /** Confidence of the binding itself; an event keeps the lowest of this and its tier. */
  confidence: z.number().min(0).max(1).default(1),
});

export type ToolCallScopeInput = z.input<typeof ToolCallScopeSchema>;
export type ToolCallScope = z.output<typeof ToolCallScopeSchema>;
