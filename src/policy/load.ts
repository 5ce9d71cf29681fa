/** @module policy/load: YAML text -> CompiledPolicy, with every problem reported as file:line: field: message. */
import type { z } from 'zod';
import { PolicyError } from '../errors.js';
import type { InputIssue } from '../errors.js';
import { ACTION_SEVERITY } from '../model/index.js';
import type { PolicyAction } from '../model/index.js';
import { buildPolicy } from './compiled-policy.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { normalizeAp, normalizeNative } from './normalize.js';
import type { PolicyRule } from './normalize.js';
import { ApFileSchema, ApRuleSchema, MatchSchema, PolicyFileSchema, RuleSchema, SequenceSchema } from './schema.js';
import { YamlSource } from './yaml-source.js';

export interface PolicySourceText {
  text: string;
  file: string;
}

interface ParsedFile {
  name: string;
  /** Only when the file states one. */
  default_action?: PolicyAction;
  rules: PolicyRule[];
}

const KNOWN_KEYS = [
  ...Object.keys(PolicyFileSchema.shape),
  ...Object.keys(RuleSchema.shape),
  ...Object.keys(MatchSchema.shape),
  ...Object.keys(SequenceSchema.shape),
  ...Object.keys(ApRuleSchema.shape),
  'private_cidr',
  'args_contains',
];

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string): string {
  const best = KNOWN_KEYS.map((k) => [k, editDistance(key, k)] as const).sort((x, y) => x[1] - y[1])[0];
  const hint = best && best[1] <= 2 ? ` (did you mean "${best[0]}"?)` : '';
  return `unknown key ${JSON.stringify(key)}${hint}`;
}

function zodIssues(error: z.ZodError, src: YamlSource): InputIssue[] {
  const out = error.issues.flatMap((iss) => {
    if (iss.code === 'unrecognized_keys') return iss.keys.map((k) => src.issue(iss.path, unknownKeyMessage(k), k));
    const missing = iss.code === 'invalid_type' && iss.message.endsWith('received undefined');
    return [src.issue(iss.path, missing ? 'missing required field' : iss.message)];
  });
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Native files say `version: 1`. A file without it whose rules use `decision` and none of our rule keys is
 * an AgentProvenance rule file; anything else is read as native so the errors name what is missing.
 */
function isAgentProvenanceShape(v: Record<string, unknown>): boolean {
  if ('version' in v || 'name' in v || 'default_action' in v || !Array.isArray(v.rules)) return false;
  return v.rules.every((r) => isRecord(r) && 'decision' in r && !('action' in r) && !('severity' in r));
}

function baseName(file: string): string {
  return (file.split('/').pop() ?? file).replace(/\.ya?ml$/i, '');
}

function parseFile(text: string, file: string, issues: InputIssue[], warnings: InputIssue[]): ParsedFile | null {
  const src = YamlSource.parse(text, file);
  if (Array.isArray(src)) {
    issues.push(...src);
    return null;
  }
  if (!isRecord(src.value)) {
    issues.push({ file, line: 1, message: 'a policy file is a YAML mapping: version, name, default_action, rules' });
    return null;
  }
  // Top-level `x-*` keys are free (as in Compose files): a place for YAML anchors shared by rules.
  const v = Object.fromEntries(Object.entries(src.value).filter(([k]) => !k.startsWith('x-')));
  if (isAgentProvenanceShape(v)) {
    const r = ApFileSchema.safeParse(v);
    if (!r.success) {
      issues.push(...zodIssues(r.error, src));
      return null;
    }
    return { name: baseName(file), rules: normalizeAp(r.data.rules, src, issues, warnings) };
  }
  const r = PolicyFileSchema.safeParse(v);
  if (!r.success) {
    issues.push(...zodIssues(r.error, src));
    return null;
  }
  return {
    name: r.data.name,
    ...('default_action' in v ? { default_action: r.data.default_action } : {}),
    rules: normalizeNative(r.data, src),
  };
}

/**
 * Loads several rule files into one policy. Rule ids are unique across all of them; the default action is
 * the most severe one any file states (deny-overrides), else `audit`. Throws PolicyError with every issue
 * of every file.
 */
export function loadPolicies(files: readonly PolicySourceText[]): CompiledPolicy {
  const issues: InputIssue[] = [];
  const warnings: InputIssue[] = [];
  const parsed = files.map((f) => parseFile(f.text, f.file, issues, warnings));
  const rules: PolicyRule[] = [];
  const seen = new Map<string, PolicyRule>();
  let defaultAction: PolicyAction = 'audit';
  let declared = false;
  for (const p of parsed) {
    if (p === null) continue;
    if (p.default_action !== undefined) {
      if (!declared || ACTION_SEVERITY[p.default_action] > ACTION_SEVERITY[defaultAction]) defaultAction = p.default_action;
      declared = true;
    }
    for (const r of p.rules) {
      const first = seen.get(r.id);
      if (first) {
        issues.push({ file: r.file, line: r.line, field: 'id', message: `duplicate rule id "${r.id}" (first at ${first.file}:${first.line})` });
      } else {
        seen.set(r.id, r);
        rules.push(r);
      }
    }
  }
  if (files.length === 0) issues.push({ message: 'no policy files given' });
  if (issues.length > 0) throw new PolicyError(issues);
  return buildPolicy({
    name: parsed.map((p) => p!.name).join('+'),
    files: files.map((f) => f.file),
    default_action: defaultAction,
    rules,
    warnings,
  });
}

export function loadPolicy(text: string, file: string): CompiledPolicy {
  return loadPolicies([{ text, file }]);
}
