/** @module policy/normalize: both file shapes -> one list of NormalizedRule (the form that is hashed and compiled). */
import type { InputIssue } from '../errors.js';
import { EVENT_SOURCES, EVENT_TYPES, WRITE_OPEN_FLAGS } from '../model/index.js';
import type { EventSource, EventType, PolicyAction, Severity } from '../model/index.js';
import type { ApRuleSpec, MatchSpec, PolicyFileSpec, SequenceSpec } from './schema.js';
import { isIpAddress } from './ip.js';
import type { YamlSource } from './yaml-source.js';

export interface NormalizedRule {
  id: string;
  description?: string;
  severity: Severity;
  score: number;
  tags: string[];
  action: PolicyAction;
  mode: 'enforce' | 'detect';
  match?: MatchSpec;
  sequence?: SequenceSpec;
  /** Why this rule loads but can never match (an AgentProvenance event type with no equivalent here). */
  inert?: string;
}

/** A normalized rule and where it was written. */
export interface PolicyRule extends NormalizedRule {
  readonly file: string;
  readonly line: number;
}

/** Default score for a severity when a rule gives none. */
export const SEVERITY_SCORE: Record<Severity, number> = { info: 0, low: 25, medium: 50, high: 75, critical: 90 };

export function normalizeNative(spec: PolicyFileSpec, src: YamlSource): PolicyRule[] {
  return spec.rules.map((r, i) => {
    const { line } = src.locate(['rules', i]);
    const rule: PolicyRule = {
      id: r.id,
      ...(r.description !== undefined ? { description: r.description } : {}),
      severity: r.severity,
      score: r.score ?? SEVERITY_SCORE[r.severity],
      tags: r.tags,
      action: r.action,
      mode: r.mode,
      ...(r.match ? { match: r.match } : {}),
      ...(r.sequence ? { sequence: r.sequence } : {}),
      file: src.file,
      line,
    };
    return rule;
  });
}

const AP_ACTION: Record<ApRuleSpec['decision'], PolicyAction> = {
  allow: 'audit',
  audit: 'audit',
  alert: 'alert',
  require_approval: 'require_approval',
  deny: 'deny',
  block: 'deny',
  quarantine: 'quarantine',
  kill: 'kill',
};
/** AgentProvenance's severityForDecision. */
const AP_SEVERITY: Record<ApRuleSpec['decision'], Severity> = {
  allow: 'info',
  audit: 'low',
  alert: 'medium',
  require_approval: 'medium',
  deny: 'medium',
  block: 'medium',
  quarantine: 'high',
  kill: 'high',
};
/** AgentProvenance's DefaultEngine().SecretPathPatterns, used for its `secret_path` event type. */
const AP_SECRET_PATTERNS = ['.env', 'id_rsa', 'secret', 'credentials'];
const METADATA_CIDRS = ['169.254.169.254/32', 'fd00:ec2::254/128'];

/** AgentProvenance event types (internal/ingest AllowedEventType and the sensor's) -> ours plus conditions. */
const AP_EVENT_TYPES: Record<string, { type: EventType; extra?: MatchSpec; approx?: string }> = {
  execve: { type: 'process_exec' },
  file_read: { type: 'file_open', extra: { open_flags_any: ['read'] } },
  file_write: { type: 'file_open', extra: { open_flags_any: [...WRITE_OPEN_FLAGS] } },
  file_create: { type: 'file_open', extra: { open_flags_any: ['create'] } },
  file_modify: { type: 'file_open', extra: { open_flags_any: ['write', 'truncate', 'append'] } },
  secret_path: { type: 'file_open', extra: { path_contains: AP_SECRET_PATTERNS } },
  metadata_ip: { type: 'network_connect', extra: { dst_cidr: METADATA_CIDRS } },
  private_cidr: { type: 'network_connect', extra: { dst_private: true } },
  setuid: { type: 'privilege_change', approx: 'matches every privilege change (setuid and setgid alike)' },
  setgid: { type: 'privilege_change', approx: 'matches every privilege change (setuid and setgid alike)' },
  tls_write: { type: 'tls_request' },
  tls_read: { type: 'tls_request' },
  resource_pressure: { type: 'telemetry_loss' },
};

const isEventType = (s: string): s is EventType => (EVENT_TYPES as readonly string[]).includes(s);
const isSource = (s: string): s is EventSource => (EVENT_SOURCES as readonly string[]).includes(s);
const nonEmpty = (xs: string[] | undefined): string[] => (xs ?? []).filter((x) => x !== '');

/**
 * AgentProvenance rules keep their meaning: every present condition must hold; `private_cidr: false` and
 * empty patterns are no condition; a rule with no condition never matches (Go `Rule.Matches`). Differences,
 * by design: all matching rules are recorded (AgentProvenance stops at the first) and `dst_ip` is compared
 * as an address only (AgentProvenance also searched the argv text; use `args_contains` for that).
 */
export function normalizeAp(
  rules: ApRuleSpec[],
  src: YamlSource,
  issues: InputIssue[],
  warnings: InputIssue[],
): PolicyRule[] {
  return rules.map((r, i) => {
    const at = (...p: PropertyKey[]) => ['rules', i, 'match', ...p];
    const m = r.match ?? {};
    const match: MatchSpec = {};
    let inert: string | undefined;
    if (m.source !== undefined && m.source !== '') {
      if (isSource(m.source)) match.source = [m.source];
      else inert = `source ${JSON.stringify(m.source)} is not one agentprov reads: the rule loads but never matches`;
    }
    if (m.event_type !== undefined && m.event_type !== '') {
      const alias = AP_EVENT_TYPES[m.event_type];
      if (isEventType(m.event_type)) match.event_type = [m.event_type];
      else if (alias) {
        match.event_type = [alias.type];
        Object.assign(match, alias.extra);
        if (alias.approx) warnings.push(src.issue(at('event_type'), `${JSON.stringify(m.event_type)} ${alias.approx}`));
      } else {
        inert = `event type ${JSON.stringify(m.event_type)} has no agentprov equivalent: the rule loads but never matches`;
      }
    }
    const dst = nonEmpty(m.dst_ip);
    dst.forEach((ip, k) => {
      if (!isIpAddress(ip)) issues.push(src.issue(at('dst_ip', k), `not an IP address: ${JSON.stringify(ip)}`));
    });
    if (dst.length > 0) match.dst_ip = dst;
    if (m.private_cidr === true) match.dst_private = true;
    const paths = nonEmpty(m.path_contains);
    if (paths.length > 0) match.path_contains = paths; // replaces secret_path's default patterns: the rule's own win
    const args = nonEmpty(m.args_contains);
    if (args.length > 0) match.argv_contains = args;
    if ((m.path_contains?.length ?? 0) > 0 && paths.length === 0) inert ??= 'path_contains has only empty patterns: never matches';
    if ((m.args_contains?.length ?? 0) > 0 && args.length === 0) inert ??= 'args_contains has only empty patterns: never matches';
    if (Object.keys(match).length === 0) inert ??= 'no conditions: never matches (as in AgentProvenance)';
    if (inert !== undefined) warnings.push(src.issue(['rules', i, 'match'], inert));
    const severity = AP_SEVERITY[r.decision];
    const rule: PolicyRule = {
      id: r.id,
      ...(r.reason !== undefined && r.reason !== '' ? { description: r.reason } : {}),
      severity,
      score: SEVERITY_SCORE[severity],
      tags: r.controls ?? [],
      action: AP_ACTION[r.decision],
      mode: r.mode ?? 'enforce',
      match,
      ...(inert !== undefined ? { inert } : {}),
      file: src.file,
      line: src.locate(['rules', i]).line,
    };
    return rule;
  });
}
