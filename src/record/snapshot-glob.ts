/** @module record/snapshot-glob: gitignore-style ignore patterns for workdir snapshots. */

/** Returns true if the relative posix path (a directory when isDir) is ignored. */
export type IgnoreMatcher = (relPath: string, isDir: boolean) => boolean;

function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      re += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return re;
}

/**
 * A subset of gitignore: `*`, `?`, `**`; a trailing `/` matches directories only; a pattern with a `/`
 * elsewhere is anchored at the snapshot root, one without matches the name at any depth. Negation (`!`)
 * is not supported. An ignored directory is not entered, so nothing under it is read.
 */
export function compileIgnore(patterns: readonly string[]): IgnoreMatcher {
  const rules = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith('#'))
    .map((p) => {
      const dirOnly = p.endsWith('/');
      const body = dirOnly ? p.slice(0, -1) : p;
      const anchored = body.includes('/');
      const re = new RegExp(`^${globToRegex(body.replace(/^\//, ''))}$`);
      return { dirOnly, anchored, re };
    });
  return (relPath, isDir) => {
    const base = relPath.slice(relPath.lastIndexOf('/') + 1);
    return rules.some((r) => (!r.dirOnly || isDir) && r.re.test(r.anchored ? relPath : base));
  };
}
