/** @module policy/schema: zod schemas of both accepted rule-file shapes (native v1 and AgentProvenance). */
import { z } from 'zod';
import { ACTIONS, EVENT_SOURCES, EVENT_TYPES, SEVERITIES } from '../model/index.js';
import { compileHostGlob, compilePathGlob, compileUrlPathGlob } from './glob.js';
import { isIpAddress, parseCidr } from './ip.js';

/** ptrace(2) request names accepted in `ptrace_request` (asm-generic values). */
export const PTRACE_REQUESTS: Readonly<Record<string, number>> = {
  PTRACE_TRACEME: 0,
  PTRACE_PEEKTEXT: 1,
  PTRACE_PEEKDATA: 2,
  PTRACE_PEEKUSER: 3,
  PTRACE_POKETEXT: 4,
  PTRACE_POKEDATA: 5,
  PTRACE_POKEUSER: 6,
  PTRACE_CONT: 7,
  PTRACE_KILL: 8,
  PTRACE_SINGLESTEP: 9,
  PTRACE_GETREGS: 12,
  PTRACE_SETREGS: 13,
  PTRACE_ATTACH: 16,
  PTRACE_DETACH: 17,
  PTRACE_SYSCALL: 24,
  PTRACE_SETOPTIONS: 0x4200,
  PTRACE_GETEVENTMSG: 0x4201,
  PTRACE_GETSIGINFO: 0x4202,
  PTRACE_SETSIGINFO: 0x4203,
  PTRACE_GETREGSET: 0x4204,
  PTRACE_SETREGSET: 0x4205,
  PTRACE_SEIZE: 0x4206,
  PTRACE_INTERRUPT: 0x4207,
  PTRACE_LISTEN: 0x4208,
};

export const WORKSPACE_PLACEHOLDER = '$WORKSPACE';

const OPEN_FLAGS = ['read', 'write', 'create', 'truncate', 'append'] as const;
const quote = (v: unknown): string => JSON.stringify(v) ?? String(v);

function enumOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) =>
      iss.input === undefined
        ? 'missing required field'
        : `unknown ${what} ${quote(iss.input)}: expected one of ${values.join(', ')}`,
  });
}

/** A scalar or a list of them; always a non-empty list after parsing. */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item).min(1, 'empty list: omit the field instead'));
}

/** A string checked by a compiler that returns an error message (string) or a compiled value. */
function checked(check: (s: string) => unknown) {
  return z.string().superRefine((v, ctx) => {
    const r = check(v);
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
  });
}

/** `(?i)` prefix = case-insensitive (RE2/PCRE spelling, so Falco and Go users need not learn /x/i). */
export function compileRegex(source: string): RegExp | string {
  const ci = source.startsWith('(?i)');
  try {
    return new RegExp(ci ? source.slice(4) : source, ci ? 'i' : '');
  } catch (e) {
    return `not a regular expression: ${quote(source)} (${(e as Error).message})`;
  }
}

export function parsePortRange(v: number | string): [number, number] | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 65535 ? [v, v] : null;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a <= b && b <= 65535 ? [a, b] : null;
}

const glob = checked(compilePathGlob);
const hostGlob = checked(compileHostGlob);
const urlPathGlob = checked(compileUrlPathGlob);
const cidr = checked((s) => {
  const r = parseCidr(s);
  return typeof r === 'string' ? r : undefined;
});
const ip = checked((s) => (isIpAddress(s) ? undefined : `not an IP address: ${quote(s)}`));
const regex = checked(compileRegex);
const nonEmpty = z.string().min(1, 'empty string');
const comm = z.string().min(1).max(15, 'longer than 15 characters: the kernel keeps only 15, so it never matches');
const port = z.custom<number | string>(
  (v) => (typeof v === 'number' || typeof v === 'string') && parsePortRange(v) !== null,
  { error: (iss) => `not a port or port range ("8000-8100"): ${quote(iss.input)}` },
);
const ptraceRequest = z.union([z.number().int().min(0), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = PTRACE_REQUESTS[v.toUpperCase()];
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown ptrace request ${quote(v)}: use a number or PTRACE_ATTACH, PTRACE_SEIZE, ...` });
    return z.NEVER;
  }
  return n;
});
const uid = z.number().int().min(0);
const pathOutsideRoot = checked((s) => (s === WORKSPACE_PLACEHOLDER ? undefined : compilePathGlob(s)));

/** Every condition a rule may name. All present conditions must hold; a list is an OR within its field. */
export const MatchSchema = z.strictObject({
  event_type: oneOrMany(enumOf(EVENT_TYPES, 'event type')).optional(),
  source: oneOrMany(enumOf(EVENT_SOURCES, 'source')).optional(),
  path_glob: oneOrMany(glob).optional(),
  path_not_glob: oneOrMany(glob).optional(),
  path_contains: oneOrMany(nonEmpty).optional(),
  path_outside: oneOrMany(pathOutsideRoot).optional(),
  open_flags_any: oneOrMany(enumOf(OPEN_FLAGS, 'open flag')).optional(),
  dst_ip: oneOrMany(ip).optional(),
  dst_cidr: oneOrMany(cidr).optional(),
  dst_not_cidr: oneOrMany(cidr).optional(),
  dst_private: z.boolean().optional(),
  dst_port: oneOrMany(port).optional(),
  dst_port_not: oneOrMany(port).optional(),
  exe_glob: oneOrMany(glob).optional(),
  comm: oneOrMany(comm).optional(),
  argv_regex: oneOrMany(regex).optional(),
  argv_contains: oneOrMany(nonEmpty).optional(),
  uid_from_nonzero_to_zero: z.literal(true).optional(),
  gid_from_nonzero_to_zero: z.literal(true).optional(),
  new_uid: oneOrMany(uid).optional(),
  new_euid: oneOrMany(uid).optional(),
  new_gid: oneOrMany(uid).optional(),
  ptrace_request: oneOrMany(ptraceRequest).optional(),
  tls_host: oneOrMany(hostGlob).optional(),
  tls_host_not: oneOrMany(hostGlob).optional(),
  tls_path_glob: oneOrMany(urlPathGlob).optional(),
  parent_exe_glob: oneOrMany(glob).optional(),
  parent_comm: oneOrMany(comm).optional(),
  ancestor_exe_glob: oneOrMany(glob).optional(),
  ancestor_comm: oneOrMany(comm).optional(),
  tool_name: oneOrMany(nonEmpty).optional(),
  tool_name_not: oneOrMany(nonEmpty).optional(),
  agent_id: oneOrMany(nonEmpty).optional(),
  /** The human owner of the agent (from its registration or the scope). */
  agent_owner: oneOrMany(nonEmpty).optional(),
  /** The agent's registered autonomy level. */
  agent_autonomy: oneOrMany(enumOf(['recommend-only', 'act-with-approval', 'autonomous'], 'autonomy level')).optional(),
  container: z.boolean().optional(),
});
export type MatchSpec = z.output<typeof MatchSchema>;

const nonEmptyMatch = MatchSchema.superRefine((m, ctx) => {
  if (Object.values(m).every((v) => v === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'no conditions: a match needs at least one field' });
  }
});

export const SequenceSchema = z.strictObject({
  first: nonEmptyMatch,
  then: nonEmptyMatch,
  within_ms: z.number().int().positive().max(86_400_000, 'at most one day (86400000 ms)'),
  same: z.literal('tool_call', { error: 'only "tool_call" is supported' }).default('tool_call'),
});
export type SequenceSpec = z.output<typeof SequenceSchema>;

const TAG = /^[A-Za-z0-9][\w.-]*(?::[\w.:-]+)?$/;
const tag = z.string().superRefine((t, ctx) => {
  const bad = (m: string) => ctx.addIssue({ code: 'custom', message: m });
  if (!TAG.test(t)) bad(`bad tag ${quote(t)}: letters, digits, "._-" and one "FRAMEWORK:" prefix`);
  else if (t.startsWith('OWASP-AGENTIC:') && !/^OWASP-AGENTIC:T([1-9]|1[0-7])$/.test(t))
    bad(`bad OWASP Agentic tag ${quote(t)}: expected OWASP-AGENTIC:T1 .. T17`);
  else if (t.startsWith('ISO42001:') && !/^ISO42001:A\.\d{1,2}(\.\d{1,2}){1,2}$/.test(t))
    bad(`bad ISO 42001 tag ${quote(t)}: expected an Annex A control such as ISO42001:A.6.2.6`);
});

export const RULE_ID = /^[A-Za-z0-9][\w.:-]*$/;

export const RuleSchema = z
  .strictObject({
    id: z.string().regex(RULE_ID, 'rule id: letters, digits and "_.:-", starting with a letter or digit'),
    description: z.string().optional(),
    severity: enumOf(SEVERITIES, 'severity'),
    score: z.number().min(0).max(100).optional(),
    tags: z.array(tag).default([]),
    action: enumOf(ACTIONS, 'action'),
    mode: enumOf(['enforce', 'detect'], 'mode').default('enforce'),
    match: nonEmptyMatch.optional(),
    sequence: SequenceSchema.optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.match === undefined) === (r.sequence === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs exactly one of "match" or "sequence"' });
    }
  });
export type RuleSpec = z.output<typeof RuleSchema>;

export const PolicyFileSchema = z.strictObject({
  version: z.literal(1, { error: (iss) => `unsupported version ${quote(iss.input)}: this agentprov reads version 1` }),
  name: z.string().min(1),
  description: z.string().optional(),
  default_action: enumOf(ACTIONS, 'action').default('audit'),
  rules: z.array(RuleSchema),
});
export type PolicyFileSpec = z.output<typeof PolicyFileSchema>;

/** AgentProvenance's rule file (internal/security/policy.go `RuleFile`), read as its authors wrote it. */
export const AP_DECISIONS = ['allow', 'audit', 'alert', 'deny', 'block', 'kill', 'quarantine', 'require_approval'] as const;
const apList = z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(z.string()));

export const ApRuleSchema = z.strictObject({
  id: z.string().min(1),
  match: z
    .strictObject({
      source: z.string().optional(),
      event_type: z.string().optional(),
      dst_ip: apList.optional(),
      private_cidr: z.boolean().optional(),
      path_contains: apList.optional(),
      args_contains: apList.optional(),
    })
    .nullish(),
  decision: enumOf(AP_DECISIONS, 'decision'),
  reason: z.string().optional(),
  mode: enumOf(['enforce', 'detect'], 'mode').optional(),
  controls: z.array(z.string()).optional(),
});
export type ApRuleSpec = z.output<typeof ApRuleSchema>;

export const ApFileSchema = z.strictObject({ rules: z.array(ApRuleSchema).min(1, 'policy rule file has no rules') });
