/** @module policy/glob: path, host and URL-path globs compiled once to anchored RegExps. */

/**
 * A compiled path glob. `tilde` globs start with `~`: the RegExp accepts /root, /home/<user> and a literal `~`,
 * so a caller with extra home dirs (EvalContext.homeDirs) can rewrite the prefix to `~`. A path alone cannot
 * say which dir was a process's $HOME (HOME=/tmp/x), so rules meant for every HOME use `**` globs instead.
 */
export interface PathGlob {
  readonly text: string;
  readonly re: RegExp;
  readonly tilde: boolean;
}

const HOME = '(?:~|/root|/home/[^/]+)';

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/**
 * Translates glob syntax to a RegExp body. `sep` is the character `*` does not cross ("/" for paths, "." for
 * host names); `**` crosses it, and `**` followed by the separator also matches zero segments; `?` is one
 * non-separator character; `{a,b}` is an alternation (not nested). Returns a message for bad syntax.
 */
function translate(glob: string, sep: '/' | '.'): string | { error: string } {
  const notSep = sep === '/' ? '[^/]' : '[^.]';
  let out = '';
  let inBrace = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === sep) {
          i++;
          out += `(?:.*${escapeChar(sep)})?`;
        } else {
          out += '.*';
        }
      } else {
        out += `${notSep}*`;
      }
    } else if (c === '?') {
      out += notSep;
    } else if (c === '{') {
      if (inBrace) return { error: 'nested "{" is not supported' };
      inBrace = true;
      out += '(?:';
    } else if (c === '}') {
      if (!inBrace) return { error: 'unmatched "}"' };
      inBrace = false;
      out += ')';
    } else if (c === ',' && inBrace) {
      out += '|';
    } else {
      out += escapeChar(c);
    }
  }
  if (inBrace) return { error: 'unclosed "{"' };
  return out;
}

/**
 * Path glob: `/abs/**` is anchored at the root, `~/x` under /root, /home/<user> (or a context home dir), and a
 * pattern that starts with neither (`.env`, `.kube/config`, or one that starts with a `**` segment) matches at
 * any depth, on whole path components, relative paths included. Leading `**` segments mean that same
 * any-depth form: they are dropped before translation, so `(?:^|/)` alone does the work and no `.*` has to
 * backtrack over the path.
 */
export function compilePathGlob(glob: string): PathGlob | string {
  if (glob.length === 0) return 'empty glob';
  let body: string;
  let tilde = false;
  if (glob === '~' || glob.startsWith('~/')) {
    const rest = translate(glob.slice(1), '/');
    if (typeof rest !== 'string') return `bad glob ${JSON.stringify(glob)}: ${rest.error}`;
    body = `^${HOME}${rest}$`;
    tilde = true;
  } else {
    let start = 0;
    while (glob.startsWith('**/', start) && start + 3 < glob.length) start += 3;
    const t = translate(glob.slice(start), '/');
    if (typeof t !== 'string') return `bad glob ${JSON.stringify(glob)}: ${t.error}`;
    body = glob.startsWith('/') ? `^${t}$` : `(?:^|/)${t}$`;
  }
  return { text: glob, re: new RegExp(body), tilde };
}

/** Host glob, case-insensitive: `*` is part of one label, `**` any run of labels; an optional `:port` is ignored. */
export function compileHostGlob(glob: string): RegExp | string {
  if (glob.length === 0) return 'empty host glob';
  if (/[/\s]/.test(glob)) return `bad host glob ${JSON.stringify(glob)}: a host name has no "/" or spaces`;
  const t = translate(glob, '.');
  if (typeof t !== 'string') return `bad host glob ${JSON.stringify(glob)}: ${t.error}`;
  return new RegExp(`^${t}\\.?(?::\\d+)?$`, 'i');
}

/** URL-path glob (`/v1/chat/completions`, `/v1beta/models/**`); the query string is ignored. */
export function compileUrlPathGlob(glob: string): RegExp | string {
  if (!glob.startsWith('/')) return `bad URL path glob ${JSON.stringify(glob)}: must start with "/"`;
  const t = translate(glob, '/');
  if (typeof t !== 'string') return `bad URL path glob ${JSON.stringify(glob)}: ${t.error}`;
  return new RegExp(`^${t}(?:[?#].*)?$`);
}

/**
 * A list of path globs (one condition's OR) tested as one RegExp: one scan of the path instead of one per
 * glob, which matters for lists of any-depth globs (they cannot fail at the first character). The tilde
 * globs are kept aside for the extra-home-dir rewrite.
 */
export interface PathGlobSet {
  readonly any: RegExp | null;
  readonly tilde: readonly PathGlob[];
}

export function pathGlobSet(globs: readonly PathGlob[]): PathGlobSet {
  // Sources hold only non-capturing groups and their own anchors, so an alternation keeps each one's meaning.
  const any = globs.length === 0 ? null : new RegExp(globs.map((g) => `(?:${g.re.source})`).join('|'));
  return { any, tilde: globs.filter((g) => g.tilde) };
}

/** Whether any glob of the set matches the path (see matchPathGlob for homeDirs). */
export function matchPathGlobSet(set: PathGlobSet, path: string, homeDirs: readonly string[] | undefined): boolean {
  if (set.any !== null && set.any.test(path)) return true;
  if (homeDirs === undefined) return false;
  for (let i = 0; i < set.tilde.length; i++) if (matchPathGlob(set.tilde[i]!, path, homeDirs)) return true;
  return false;
}

/** Tests a path against a glob, also trying each extra home dir as `~` for tilde globs. */
export function matchPathGlob(g: PathGlob, path: string, homeDirs: readonly string[] | undefined): boolean {
  if (g.re.test(path)) return true;
  if (!g.tilde || homeDirs === undefined) return false;
  for (let i = 0; i < homeDirs.length; i++) {
    const h = homeDirs[i]!;
    const n = h.endsWith('/') ? h.length - 1 : h.length;
    if (path.length > n && path.charCodeAt(n) === 47 && path.startsWith(h.slice(0, n))) {
      if (g.re.test(`~${path.slice(n)}`)) return true;
    }
  }
  return false;
}
