/** @module model/evidence: what the engine derives from events: correlations, decisions, risks, responses. */
import { z } from 'zod';
import { NanosSchema } from './runtime-event.js';

export const CORRELATION_TIERS = {
  own_cgroup: 1.0,
  shared_cgroup: 0.98,
  container: 0.92,
  pid_ancestry: 0.85,
  asserted: 0.5,
  unattributed: 0,
} as const;
export type CorrelationTier = keyof typeof CORRELATION_TIERS;

export const CorrelationSchema = z.strictObject({
  event_id: z.string(),
  binding_id: z.string().nullable(),
  run_id: z.string().nullable(),
  tool_call_id: z.string().nullable(),
  tier: z.enum(Object.keys(CORRELATION_TIERS) as [CorrelationTier, ...CorrelationTier[]]),
  keys_matched: z.array(z.string()),
  confidence: z.number().min(0).max(1),
  reason: z.string(),
});
export type Correlation = z.infer<typeof CorrelationSchema>;

export const ACTIONS = ['audit', 'alert', 'require_approval', 'deny', 'quarantine', 'kill'] as const;
export type PolicyAction = (typeof ACTIONS)[number];
/** Deny-overrides: the most severe action wins. Higher index = more severe. */
export const ACTION_SEVERITY: Record<PolicyAction, number> = {
  audit: 0,
  alert: 1,
  require_approval: 2,
  deny: 3,
  quarantine: 4,
  kill: 5,
};

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RuleMatchSchema = z.strictObject({
  rule_id: z.string(),
  action: z.enum(ACTIONS),
  mode: z.enum(['enforce', 'detect']),
  severity: z.enum(SEVERITIES),
  score: z.number().min(0).max(100),
  tags: z.array(z.string()),
  reason: z.string(),
});
export type RuleMatch = z.infer<typeof RuleMatchSchema>;

/** The outcome of evaluating one event: every matching rule, and the action that wins. */
export const PolicyDecisionSchema = z.strictObject({
  decision_id: z.string(),
  event_id: z.string(),
  tool_call_id: z.string().nullable(),
  policy_hash: z.string(),
  matches: z.array(RuleMatchSchema),
  /** The winning action among enforce-mode matches (detect-mode matches never act). */
  action: z.enum(ACTIONS),
  /** The action the policy would take if every rule were enforcing: for auditing a rule before enforcing it. */
  would_action: z.enum(ACTIONS),
  time_ns: NanosSchema,
});
export type PolicyDecision = z.output<typeof PolicyDecisionSchema>;

export const RiskSignalSchema = z.strictObject({
  risk_id: z.string(),
  decision_id: z.string(),
  event_id: z.string(),
  run_id: z.string().nullable(),
  tool_call_id: z.string().nullable(),
  rule_id: z.string(),
  severity: z.enum(SEVERITIES),
  score: z.number(),
  tags: z.array(z.string()),
  reason: z.string(),
  time_ns: NanosSchema,
});
export type RiskSignal = z.output<typeof RiskSignalSchema>;

export const ResponseActionSchema = z.strictObject({
  response_id: z.string(),
  decision_id: z.string().nullable(),
  event_id: z.string().nullable(),
  run_id: z.string().nullable(),
  tool_call_id: z.string().nullable(),
  action: z.string(),
  target_kind: z.enum(['cgroup', 'process', 'container', 'scope', 'none']),
  target: z.string(),
  /** planned: decided but not carried out (no responder, detect mode or a recorded-only source). */
  result: z.enum(['planned', 'done', 'failed', 'dry_run', 'skipped']),
  detail: z.string(),
  /** ns from the offending event to the action, when measured. */
  latency_ns: NanosSchema.nullable(),
  time_ns: NanosSchema,
});
export type ResponseAction = z.output<typeof ResponseActionSchema>;

export const RejectedLineSchema = z.strictObject({
  line: z.number().int().positive(),
  code: z.string(),
  field: z.string().optional(),
  message: z.string(),
});
export type RejectedLine = z.infer<typeof RejectedLineSchema>;

export const IngestManifestSchema = z.strictObject({
  batch_id: z.string(),
  source_file: z.string(),
  format: z.string(),
  input_sha256: z.string(),
  lines: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  rejected_lines: z.array(RejectedLineSchema),
  started_at: z.string(),
  finished_at: z.string(),
});
export type IngestManifest = z.infer<typeof IngestManifestSchema>;
