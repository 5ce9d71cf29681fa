/** @module policy/context: what evaluation reads besides the event (scope, ancestry, workspace), and what it returns. */
import type { PolicyAction, RuleMatch } from '../model/index.js';

/** The tool call an event was attributed to (a subset of ToolCallScope). */
export interface EvalScope {
  tool_call_id: string;
  tool_name?: string | null;
  agent_id?: string | null;
  run_id?: string | null;
  /** The agent's human owner and registered autonomy level, when known (agent_owner / agent_autonomy). */
  owner?: string | null;
  autonomy?: string | null;
}

export interface EvalAncestor {
  pid: number;
  exe?: string | null;
  comm?: string | null;
  argv?: readonly string[] | null;
}

export interface EvalContext {
  scope?: EvalScope | null;
  /** The event process's ancestors, parent first. */
  ancestry?: readonly EvalAncestor[];
  /** The agent's workspace root, for `path_outside: ["$WORKSPACE", ...]`. */
  workspace?: string;
  /** Home dirs beyond /root and /home/<user> that `~` in a glob should also mean. */
  homeDirs?: readonly string[];
}

/**
 * The outcome for one event: every matching rule in policy order; `action` is the most severe action among
 * enforce-mode matches (deny-overrides), or the policy's default_action when no enforce-mode rule matched;
 * `would_action` is the same as if every matching rule were enforcing.
 */
export interface Evaluation {
  matches: RuleMatch[];
  action: PolicyAction;
  would_action: PolicyAction;
}

export const EMPTY_CONTEXT: EvalContext = Object.freeze({});
