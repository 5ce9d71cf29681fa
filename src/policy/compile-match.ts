/** @module policy/compile-match: a MatchSpec -> a list of predicates built once, cheapest first. */
import type { EventType, RuntimeEvent } from '../model/index.js';
import type { EvalContext } from './context.js';
import { compileHostGlob, compilePathGlob, compileUrlPathGlob, matchPathGlobSet, pathGlobSet } from './glob.js';
import type { PathGlob, PathGlobSet } from './glob.js';
import { PRIVATE_CIDRS, inCidr, parseCidr, parseIpInto } from './ip.js';
import type { Cidr, IpKind } from './ip.js';
import { WORKSPACE_PLACEHOLDER, compileRegex, parsePortRange } from './schema.js';
import type { MatchSpec } from './schema.js';

/**
 * Values derived from the current event at most once per evaluation (joined argv, parsed dst_ip, normalized
 * paths). One module-level instance: evaluation is synchronous, so no two evaluations interleave, and the
 * no-match path allocates nothing.
 */
interface Scratch {
  argvDone: boolean;
  argv: string | null;
  ipDone: boolean;
  ipKind: IpKind;
  readonly ip: Uint32Array;
  pathDone: boolean;
  path: string | null;
  newPath: string | null;
}
const s: Scratch = { argvDone: false, argv: null, ipDone: false, ipKind: 0, ip: new Uint32Array(4), pathDone: false, path: null, newPath: null };

/** Must be called before testing any match against a new event. */
export function beginEvent(): void {
  s.argvDone = false;
  s.ipDone = false;
  s.pathDone = false;
}

function argvOf(e: RuntimeEvent): string | null {
  if (!s.argvDone) {
    s.argvDone = true;
    s.argv = e.argv !== undefined && e.argv.length > 0 ? e.argv.join(' ') : null;
  }
  return s.argv;
}

function ipKindOf(e: RuntimeEvent): IpKind {
  if (!s.ipDone) {
    s.ipDone = true;
    s.ipKind = e.dst_ip ? parseIpInto(e.dst_ip, s.ip) : 0;
  }
  return s.ipKind;
}

const NEEDS_CLEAN = /\/\.{0,2}(?:\/|$)/;

/** Absolute, with `.`/`..`/`//` resolved, so `/work/../etc/shadow` cannot pass for a workspace path. */
export function normalizePath(p: string | null | undefined, cwd: string | null | undefined): string | null {
  if (p === null || p === undefined || p === '') return null;
  let abs = p;
  if (p.charCodeAt(0) !== 47) {
    if (!cwd || cwd.charCodeAt(0) !== 47) return p;
    abs = `${cwd}/${p}`;
  }
  if (!NEEDS_CLEAN.test(abs)) return abs;
  const out: string[] = [];
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

function pathsOf(e: RuntimeEvent): void {
  if (!s.pathDone) {
    s.pathDone = true;
    s.path = normalizePath(e.path, e.cwd);
    s.newPath = normalizePath(e.new_path, e.cwd);
  }
}

type Pred = (e: RuntimeEvent, ctx: EvalContext) => boolean;

export interface CompiledMatch {
  /** null = every event type. */
  readonly types: readonly EventType[] | null;
  readonly preds: readonly Pred[];
}

export function testMatch(m: CompiledMatch, e: RuntimeEvent, ctx: EvalContext): boolean {
  const p = m.preds;
  for (let i = 0; i < p.length; i++) if (!p[i]!(e, ctx)) return false;
  return true;
}

function anyGlob(globs: PathGlobSet, p: string, ctx: EvalContext): boolean {
  return matchPathGlobSet(globs, p, ctx.homeDirs);
}
function anyRe(res: readonly RegExp[], text: string): boolean {
  for (let i = 0; i < res.length; i++) if (res[i]!.test(text)) return true;
  return false;
}
function anyIncludes(subs: readonly string[], text: string): boolean {
  for (let i = 0; i < subs.length; i++) if (text.includes(subs[i]!)) return true;
  return false;
}
function inAnyCidr(kind: IpKind, cidrs: readonly Cidr[]): boolean {
  for (let i = 0; i < cidrs.length; i++) if (inCidr(kind, s.ip, cidrs[i]!)) return true;
  return false;
}
function inRanges(p: number, ranges: readonly (readonly [number, number])[]): boolean {
  for (let i = 0; i < ranges.length; i++) if (p >= ranges[i]![0] && p <= ranges[i]![1]) return true;
  return false;
}
function isUnder(p: string, root: string): boolean {
  if (root.endsWith('/')) return p.startsWith(root) || p === root.slice(0, -1);
  return p === root || (p.startsWith(root) && p.charCodeAt(root.length) === 47);
}

// Schema validation ran before compilation, so these cannot fail; the casts only drop the error branch.
const globs = (xs: readonly string[]) => pathGlobSet(xs.map((x) => compilePathGlob(x) as PathGlob));
const cidrs = (xs: readonly string[]) => xs.map((x) => parseCidr(x) as Cidr);

/** Builds the predicates of one match. Cost orders them: set lookups before globs before regexes. */
export function compileMatch(m: MatchSpec): CompiledMatch {
  const preds: Array<[number, Pred]> = [];
  const add = (cost: number, p: Pred) => preds.push([cost, p]);
  if (m.source) {
    const set = new Set<string>(m.source);
    add(1, (e) => set.has(e.source));
  }
  if (m.container !== undefined) {
    const want = m.container;
    add(1, (e) => (e.container_id !== null && e.container_id !== undefined && e.container_id !== '') === want);
  }
  if (m.comm) {
    const set = new Set(m.comm);
    add(1, (e) => e.comm !== null && e.comm !== undefined && set.has(e.comm));
  }
  if (m.ptrace_request) {
    const set = new Set(m.ptrace_request);
    add(1, (e) => e.ptrace_request !== null && e.ptrace_request !== undefined && set.has(e.ptrace_request));
  }
  if (m.uid_from_nonzero_to_zero) {
    add(1, (e) => {
      const u = e.old_uid ?? e.uid;
      const eu = e.old_euid ?? e.euid;
      return (u != null && u !== 0 && e.new_uid === 0) || (eu != null && eu !== 0 && e.new_euid === 0);
    });
  }
  if (m.gid_from_nonzero_to_zero) {
    add(1, (e) => {
      const g = e.old_gid ?? e.gid;
      return g != null && g !== 0 && e.new_gid === 0;
    });
  }
  for (const [field, key] of [['new_uid', 'new_uid'], ['new_euid', 'new_euid'], ['new_gid', 'new_gid']] as const) {
    const list = m[field];
    if (list) {
      const set = new Set(list);
      add(1, (e) => {
        const v = e[key];
        return v !== null && v !== undefined && set.has(v);
      });
    }
  }
  if (m.tool_name) {
    const set = new Set(m.tool_name);
    add(1, (_e, c) => c.scope?.tool_name != null && set.has(c.scope.tool_name));
  }
  if (m.tool_name_not) {
    const set = new Set(m.tool_name_not);
    add(1, (_e, c) => c.scope?.tool_name != null && !set.has(c.scope.tool_name));
  }
  if (m.agent_id) {
    const set = new Set(m.agent_id);
    add(1, (_e, c) => c.scope?.agent_id != null && set.has(c.scope.agent_id));
  }
  if (m.agent_owner) {
    const set = new Set(m.agent_owner);
    add(1, (_e, c) => c.scope?.owner != null && set.has(c.scope.owner));
  }
  if (m.agent_autonomy) {
    const set = new Set<string>(m.agent_autonomy);
    add(1, (_e, c) => c.scope?.autonomy != null && set.has(c.scope.autonomy));
  }
  if (m.open_flags_any) {
    const set = new Set<string>(m.open_flags_any);
    add(2, (e) => {
      const f = e.open_flags;
      if (f === undefined) return false;
      for (let i = 0; i < f.length; i++) if (set.has(f[i]!)) return true;
      return false;
    });
  }
  if (m.dst_port) {
    const r = m.dst_port.map((p) => parsePortRange(p)!);
    add(2, (e) => e.dst_port != null && inRanges(e.dst_port, r));
  }
  if (m.dst_port_not) {
    const r = m.dst_port_not.map((p) => parsePortRange(p)!);
    add(2, (e) => e.dst_port != null && !inRanges(e.dst_port, r));
  }
  if (m.dst_ip) {
    const c = cidrs(m.dst_ip);
    add(3, (e) => inAnyCidr(ipKindOf(e), c));
  }
  if (m.dst_cidr) {
    const c = cidrs(m.dst_cidr);
    add(3, (e) => inAnyCidr(ipKindOf(e), c));
  }
  if (m.dst_not_cidr) {
    const c = cidrs(m.dst_not_cidr);
    add(3, (e) => {
      const k = ipKindOf(e);
      return k !== 0 && !inAnyCidr(k, c);
    });
  }
  if (m.dst_private !== undefined) {
    const want = m.dst_private;
    add(3, (e) => {
      const k = ipKindOf(e);
      return k !== 0 && inAnyCidr(k, PRIVATE_CIDRS) === want;
    });
  }
  if (m.tls_host) {
    const res = m.tls_host.map((g) => compileHostGlob(g) as RegExp);
    add(4, (e) => e.tls?.host != null && anyRe(res, e.tls.host));
  }
  if (m.tls_host_not) {
    const res = m.tls_host_not.map((g) => compileHostGlob(g) as RegExp);
    add(4, (e) => e.tls?.host != null && !anyRe(res, e.tls.host));
  }
  if (m.tls_path_glob) {
    const res = m.tls_path_glob.map((g) => compileUrlPathGlob(g) as RegExp);
    add(4, (e) => e.tls?.path != null && anyRe(res, e.tls.path));
  }
  if (m.exe_glob) {
    const g = globs(m.exe_glob);
    add(4, (e, c) => e.exe != null && anyGlob(g, e.exe, c));
  }
  if (m.parent_comm) {
    const set = new Set(m.parent_comm);
    add(2, (_e, c) => {
      const a = c.ancestry?.[0];
      return a?.comm != null && set.has(a.comm);
    });
  }
  if (m.parent_exe_glob) {
    const g = globs(m.parent_exe_glob);
    add(4, (_e, c) => {
      const a = c.ancestry?.[0];
      return a?.exe != null && anyGlob(g, a.exe, c);
    });
  }
  compilePathConditions(m, add);
  if (m.argv_contains) {
    const subs = m.argv_contains;
    add(5, (e) => {
      const a = argvOf(e);
      return a !== null && anyIncludes(subs, a);
    });
  }
  if (m.argv_regex) {
    const res = m.argv_regex.map((r) => compileRegex(r) as RegExp);
    add(6, (e) => {
      const a = argvOf(e);
      return a !== null && anyRe(res, a);
    });
  }
  if (m.ancestor_comm) {
    const set = new Set(m.ancestor_comm);
    add(6, (_e, c) => c.ancestry !== undefined && c.ancestry.some((a) => a.comm != null && set.has(a.comm)));
  }
  if (m.ancestor_exe_glob) {
    const g = globs(m.ancestor_exe_glob);
    add(6, (_e, c) => c.ancestry !== undefined && c.ancestry.some((a) => a.exe != null && anyGlob(g, a.exe, c)));
  }
  preds.sort((a, b) => a[0] - b[0]);
  return { types: m.event_type ?? null, preds: preds.map(([, p]) => p) };
}

/** Path conditions test both `path` and `new_path` (a rename into ~/.ssh counts), after normalization. */
function compilePathConditions(m: MatchSpec, add: (cost: number, p: Pred) => void): void {
  if (m.path_glob) {
    const g = globs(m.path_glob);
    add(5, (e, c) => {
      pathsOf(e);
      return (s.path !== null && anyGlob(g, s.path, c)) || (s.newPath !== null && anyGlob(g, s.newPath, c));
    });
  }
  if (m.path_contains) {
    const subs = m.path_contains;
    add(5, (e) => {
      pathsOf(e);
      return (s.path !== null && anyIncludes(subs, s.path)) || (s.newPath !== null && anyIncludes(subs, s.newPath));
    });
  }
  if (m.path_not_glob) {
    const g = globs(m.path_not_glob);
    add(5, (e, c) => {
      pathsOf(e);
      if (s.path === null && s.newPath === null) return false;
      return !(s.path !== null && anyGlob(g, s.path, c)) && !(s.newPath !== null && anyGlob(g, s.newPath, c));
    });
  }
  if (m.path_outside) {
    const ws = m.path_outside.includes(WORKSPACE_PLACEHOLDER);
    const g = globs(m.path_outside.filter((r) => r !== WORKSPACE_PLACEHOLDER));
    // Unknown workspace or a relative path: we cannot tell inside from outside, so the condition does not hold.
    const outside = (p: string, c: EvalContext) =>
      p.charCodeAt(0) === 47 && !(ws && isUnder(p, c.workspace!)) && !anyGlob(g, p, c);
    add(5, (e, c) => {
      if (ws && !c.workspace) return false;
      pathsOf(e);
      return (s.path !== null && outside(s.path, c)) || (s.newPath !== null && outside(s.newPath, c));
    });
  }
}
