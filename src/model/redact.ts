/**
 * @module model/redact: the one place that decides what is a secret in captured text (argv, `KEY=value`
 * arguments, URLs, header blocks, TLS paths, producer labels) and replaces it before anything is hashed, judged
 * or stored. Pure: the keyed fingerprint's key comes in as a parameter (store/redaction-key reads it).
 *
 * What stays is what an investigator needs: the flag, header or KEY name, the URL's scheme, user, host and
 * path, a token's non-secret prefix (`sk-proj-`, `AKIA`, `ghp_`), and `[REDACTED:fp=<12 hex>]`, the first
 * 12 hex of HMAC-SHA256(key, secret), so two uses of one secret can be linked without revealing it.
 * Redacting redacted text changes nothing (a sensor's JSONL, redacted once, may be ingested again).
 */
import { createHmac } from 'node:crypto';

/** Fingerprints a secret: `(secret) => 12 hex`. Without a key (TLS parsing in the sensor) the marker has none. */
export type Fingerprint = ((secret: string) => string) | null;

export const REDACTED = '[REDACTED]';
const MARK = '[REDACTED';

/** A keyed fingerprint: the first 12 hex of HMAC-SHA256(key, secret). */
export function keyedFingerprint(key: Uint8Array): (secret: string) => string {
  return (secret) => createHmac('sha256', key).update(secret, 'utf8').digest('hex').slice(0, 12);
}

export function redactionMarker(secret: string, fp: Fingerprint): string {
  return fp ? `[REDACTED:fp=${fp(secret)}]` : REDACTED;
}

// --- what a secret looks like ----------------------------------------------------------------------------

/** Token formats whose first characters say what they are (kept) and whose rest is the secret. */
const TOKEN_PREFIXES: RegExp[] = [
  /^sk-(?:ant-(?:[a-z]+\d\d-)?|proj-|live-|test-|svcacct-|admin-)?/, // OpenAI, Anthropic and look-alikes
  /^[sr]k_(?:live|test)_/, // Stripe secret and restricted keys
  /^(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)/, // AWS key ids
  /^gh[pousr]_/,
  /^github_pat_/,
  /^gl(?:pat|dt|rt|ptt|cbt|oas)-/, // GitLab
  /^xox[abposr]-/, // Slack
  /^eyJ/, // a JWT: base64 of '{"'
];

/** Token formats: the whole token is the secret (its prefix is shown again by shownPrefix). */
const TOKENS: [RegExp, string][] = [
  [/\b(sk-(?:ant-(?:[a-z]+\d\d-)?|proj-|live-|test-|svcacct-|admin-)?[A-Za-z0-9_-]{16,})/g, 'key:sk'],
  [/\b([sr]k_(?:live|test)_[A-Za-z0-9]{16,})/g, 'key:stripe'],
  [/\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})(?![A-Za-z0-9])/g, 'key:aws'],
  [/\b(gh[pousr]_[A-Za-z0-9]{30,})/g, 'token:github'],
  [/\b(github_pat_[A-Za-z0-9_]{22,})/g, 'token:github'],
  [/\b(gl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,})/g, 'token:gitlab'],
  [/\b(xox[abposr]-[A-Za-z0-9-]{10,})/g, 'token:slack'],
  [/\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g, 'token:jwt'],
];

const TOKEN_WHOLE = TOKENS.map(([re]) => new RegExp(`^${re.source.replace(/^\\b/, '')}$`));

/** Names whose value is a credential: OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, db_password, ... */
const SECRET_NAME =
  '[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|session[_-]?key)';
/**
 * The same name, for a rule that starts at NAME_START: greedy, so each name is scanned once from its start and
 * matched by its end. The lazy form from every `\b` rescanned a long `a.b.c...` run from each dot: quadratic,
 * 2.4 ms for 2 KB of argv, which anything that can exec could use to stall the sensor.
 */
const SECRET_NAME_GREEDY = SECRET_NAME.replace('*?', '*');
/** Where a KEY=value name can start: not inside a run of name characters, so each run is tried once. */
const NAME_START = '(?<![A-Za-z0-9_.-])';
/** Header names whose value is a credential. */
const SECRET_HEADER = '(?:proxy-)?authorization|x-api-key|api-key|x-goog-api-key|x-auth-token|private-token|x-amz-security-token';
/** Flag names (without dashes) whose next argument or `=value` is a credential. */
const SECRET_FLAG = new RegExp(`^--?(?:${SECRET_NAME}|auth|pass)$`, 'i');

/** A rule: group 1 is context kept as it is, group 2 the secret; `name` says what was found (TLS reports it). */
interface Rule {
  re: RegExp;
  name: (m: RegExpExecArray, text: string) => string;
}

const lowerName = (keep: string): string => (/[A-Za-z0-9_.-]+/.exec(keep.replace(/^[^A-Za-z0-9]+/, ''))?.[0] ?? '').toLowerCase();

/**
 * Ordered only for readability: overlapping matches are resolved by position (the earliest, then the
 * longest, wins), so one rule cannot eat another's marker.
 */
const RULES: Rule[] = [
  // a private-key block (or what a truncated argv kept of one)
  {
    re: /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)([\s\S]+?(?=-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)|[\s\S]+$)/g,
    name: () => 'key:private',
  },
  // a header line or a curl -H value: the name stays, an auth scheme stays, the credential goes
  {
    re: new RegExp(`(\\b(?:${SECRET_HEADER})[ \\t]*:[ \\t]*(?:(?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256)[ \\t]+)?)([^\\s'";]+)`, 'gi'),
    name: (m) => `header:${lowerName(m[1]!)}`,
  },
  { re: /(\b(?:set-)?cookie[ \t]*:[ \t]*)([^\r\n'"]+)/gi, name: (m) => `header:${lowerName(m[1]!)}` },
  { re: /(\b(Bearer|Basic|Token)[ \t]+)([A-Za-z0-9\-._~+/]{8,}=*)/g, name: (m) => `token:${m[2]!.toLowerCase()}` },
  // userinfo in a URL: scheme and user stay (starts only where a scheme can: see NAME_START)
  { re: /((?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s/:@'"]*:)([^\s/@'"]+)(?=@)/g, name: () => 'url:userinfo' },
  { re: /(\bhttps:\/\/hooks\.slack\.com\/services\/)([A-Za-z0-9/]+)/g, name: () => 'url:slack-webhook' },
  // KEY=value (env-style arguments, query strings, --password=X)
  {
    re: new RegExp(`(${NAME_START}${SECRET_NAME_GREEDY}=)([^\\s&'";]+)`, 'gi'),
    name: (m, text) => `${/[?&]/.test(text[m.index - 1] ?? '') ? 'query' : 'assign'}:${lowerName(m[1]!)}`,
  },
  { re: new RegExp(`([?&](?:key|sig|signature|auth|code)=)([^\\s&#'"]+)`, 'gi'), name: (m) => `query:${lowerName(m[1]!)}` },
  // "password": "value" in JSON
  { re: new RegExp(`("${SECRET_NAME}"\\s*:\\s*")((?:[^"\\\\]|\\\\.)+)(?=")`, 'gi'), name: (m) => `body:${lowerName(m[1]!)}` },
  // --password VALUE inside a shell script (one argv element holding a whole command line)
  { re: new RegExp(`((?:^|\\s)--?(?:${SECRET_NAME}|pass)\\s+['"]?)([^\\s'"-][^\\s'"]*)`, 'gi'), name: (m) => `flag:${lowerName(m[1]!)}` },
  { re: /(\bsshpass\s+-p\s*['"]?)([^\s'"]+)/g, name: () => 'flag:p' },
  // The scan for the flag stops at the next command word of its kind, where the next match starts: a scan
  // from every `mysql` to the end of the line was quadratic in the number of them.
  { re: /(\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b(?:(?!\b(?:mysql|mariadb)\b)[^|;&\n])*?\s-p)([^\s'"]+)/g, name: () => 'flag:p' },
  { re: /(\b(?:curl|wget)\b(?:(?!\b(?:curl|wget)\b)[^|;&\n])*?\s(?:-u|--user|-U|--proxy-user)\s+['"]?[^\s:'"]*:)([^\s'"]+)/g, name: () => 'flag:user' },
  ...TOKENS.map(([re, name]): Rule => ({ re: new RegExp(`()${re.source}`, 'g'), name: () => name })),
];

/**
 * Every rule in one pattern, tested once before the rules run one by one: most text holds no secret, and
 * one pass over it costs a fraction of one pass per rule. Case-insensitive, so it matches wherever any rule
 * does (a superset: a text it lets through may still hold nothing). Only a prefilter: the spans come from
 * the rules themselves.
 */
const ANY_RULE = new RegExp(RULES.map((r) => `(?:${r.re.source})`).join('|'), 'i');

/** What a redacted span shows of the secret: a token's kind prefix, never more. */
function shownPrefix(secret: string): string {
  return tokenKind(secret)?.prefix ?? '';
}

/** The token format a secret has, if any: its non-secret prefix and name ('key:sk'). */
function tokenKind(secret: string): { prefix: string; name: string } | null {
  for (let i = 0; i < TOKEN_PREFIXES.length; i++) {
    // only a whole token shows its prefix: a password that happens to start with `sk-` shows nothing
    if (!TOKEN_WHOLE[i]!.test(secret)) continue;
    const m = TOKEN_PREFIXES[i]!.exec(secret);
    if (m) return { prefix: m[0], name: TOKENS[i]![1] };
  }
  return null;
}

/** A value that names a secret instead of holding one: `$TOKEN`, `${X}`, `***`, `<redacted>`. */
function isReference(v: string): boolean {
  return /^(?:\$|%|\*+$|<[^>]*>$)/.test(v);
}

interface Span {
  start: number;
  end: number;
  keep: string;
  secret: string;
  name: string;
}

/** Redacts every secret in free text; `found` collects what was found ('header:authorization', 'key:sk'). */
export function redactText(text: string, fp: Fingerprint, found?: Set<string>): string {
  if (text.length < 6 || !ANY_RULE.test(text)) return text;
  const spans: Span[] = [];
  for (const rule of RULES) {
    const re = rule.re;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const keep = m[1] ?? '';
      let secret = m[m.length - 1] ?? '';
      // a trailing quote or bracket closes the context, it is not part of the secret
      secret = secret.replace(/[)\]}>]+$/, '');
      if (secret === '' || secret.includes(MARK) || text.startsWith(MARK, m.index + keep.length + secret.length)) continue;
      if (isReference(secret)) continue;
      spans.push({ start: m.index, end: m.index + keep.length + secret.length, keep, secret, name: rule.name(m, text) });
    }
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    if (found) {
      found.add(s.name);
      const kind = tokenKind(s.secret);
      if (kind) found.add(kind.name);
    }
    out += text.slice(at, s.start) + s.keep + shownPrefix(s.secret) + redactionMarker(s.secret, fp);
    at = s.end;
  }
  return out + text.slice(at);
}

/** A value that looks like a secret whatever flag precedes it: long, mixed case and digits, no path or dot. */
function looksLikeSecret(v: string): boolean {
  return v.length >= 16 && /[a-z]/.test(v) && /[A-Z]/.test(v) && /\d/.test(v) && !/[/.\s]/.test(v);
}

const PASSWORD_P = new Set(['mysql', 'mysqldump', 'mysqladmin', 'mariadb', 'mariadb-dump', 'sshpass', 'mongo', 'mongosh']);
const USER_FLAGS = new Set(['-u', '--user', '-U', '--proxy-user']);

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * Redacts an argv: each element as text, plus what only the element order says: the value after
 * `--password`/`--token`-style flags, `-p` where the program means password (mysql, sshpass) or the value
 * looks like one (never `mkdir -p dir` or `ssh -p 22`), `redis-cli -a X`, `curl -u user:pass`.
 */
export function redactArgv(argv: readonly string[], fp: Fingerprint): string[] {
  const prog = basename(argv[0] ?? '');
  const out = argv.map((a) => redactText(a, fp));
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const mark = (secret: string): string => shownPrefix(secret) + redactionMarker(secret, fp);
    if (PASSWORD_P.has(prog) && /^-p./.test(a) && prog !== 'mongo' && prog !== 'mongosh') {
      out[i] = `-p${mark(a.slice(2))}`;
      continue;
    }
    if (next === undefined || next.includes(MARK) || isReference(next)) continue;
    const nextIsValue = next !== '' && !next.startsWith('-');
    if (SECRET_FLAG.test(a) && nextIsValue) {
      out[i + 1] = mark(next);
      i++;
    } else if (a === '-p' && nextIsValue && ((PASSWORD_P.has(prog) && prog !== 'mysql' && !prog.startsWith('maria')) || looksLikeSecret(next))) {
      out[i + 1] = mark(next);
      i++;
    } else if (a === '-a' && prog === 'redis-cli' && nextIsValue) {
      out[i + 1] = mark(next);
      i++;
    } else if (USER_FLAGS.has(a) && (prog === 'curl' || prog === 'wget') && next.includes(':')) {
      const colon = next.indexOf(':');
      if (colon < next.length - 1) out[i + 1] = next.slice(0, colon + 1) + mark(next.slice(colon + 1));
      i++;
    }
  }
  return out;
}

/** The free-text fields of an event a secret can travel in. Paths, hosts, exe and comm are names, not text. */
interface RedactableEvent {
  argv?: string[] | undefined;
  tls?: { path?: string | undefined } | null | undefined;
  labels?: Record<string, string> | undefined;
  enforcement_reason?: string | null | undefined;
  producer_rule?: string | null | undefined;
}

/** Redacts an event in place, before its content hash: the stored, hashed and judged event is the redacted one. */
export function redactEvent<E extends RedactableEvent>(e: E, fp: Fingerprint): E {
  if (e.argv !== undefined && e.argv.length > 0) e.argv = redactArgv(e.argv, fp);
  if (e.tls && typeof e.tls.path === 'string') e.tls.path = redactText(e.tls.path, fp);
  if (e.labels) {
    for (const [k, v] of Object.entries(e.labels)) if (typeof v === 'string') e.labels[k] = redactText(v, fp);
  }
  if (typeof e.enforcement_reason === 'string') e.enforcement_reason = redactText(e.enforcement_reason, fp);
  if (typeof e.producer_rule === 'string') e.producer_rule = redactText(e.producer_rule, fp);
  return e;
}

/** Redacts every string in a JSON-like value (a gate request, a record's command line), keeping its shape. */
export function redactDeep<T>(value: T, fp: Fingerprint): T {
  if (typeof value === 'string') return redactText(value, fp) as T;
  if (Array.isArray(value)) {
    return (value.every((v) => typeof v === 'string') ? redactArgv(value as string[], fp) : value.map((v) => redactDeep(v, fp))) as T;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, fp);
    return out as T;
  }
  return value;
}
