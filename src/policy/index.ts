/** @module policy: rule files (native v1 and AgentProvenance) -> a CompiledPolicy, and its pure evaluation. */
export { loadPolicy, loadPolicies } from './load.js';
export type { PolicySourceText } from './load.js';
export type { CompiledPolicy } from './compiled-policy.js';
export type { NormalizedRule, PolicyRule } from './normalize.js';
export { SEVERITY_SCORE } from './normalize.js';
export { evaluate, combineMatches } from './evaluate.js';
export { PolicyEvaluator, SequenceTracker, evaluateWithSequences } from './sequence.js';
export type { SequenceTrackerOptions } from './sequence.js';
export type { EvalAncestor, EvalContext, EvalScope, Evaluation } from './context.js';
export type { MatchSpec, SequenceSpec } from './schema.js';
export { PTRACE_REQUESTS, WORKSPACE_PLACEHOLDER } from './schema.js';
export { PRIVATE_CIDR_TEXT } from './ip.js';
export { kernelConnectEntries } from './kernel-rules.js';
export type { KernelAction, KernelConnectEntry } from './kernel-rules.js';
