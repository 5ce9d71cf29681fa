/** @module record/snapshot-unified-diff: a small pure Myers line diff printed in unified format, size-capped. */

export interface UnifiedDiffOptions {
  /** Unchanged lines around each change. Default 3. */
  context?: number;
  /** The output is cut at a line boundary past this many bytes (UTF-16 units). Default 64 KiB. */
  maxBytes?: number;
  /** Past this many inserted+deleted lines the diff is not minimized: all old out, all new in. Default 1000. */
  maxEdits?: number;
}

type Op = { kind: ' ' | '-' | '+'; line: string };
type Text = string | Uint8Array | null;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** git's test: a NUL in the first 8000 bytes (or text that is not UTF-8) means binary. */
export function isBinary(content: string | Uint8Array): boolean {
  if (typeof content === 'string') return content.slice(0, 8000).includes('\0');
  if (content.subarray(0, 8000).includes(0)) return true;
  try {
    fatalUtf8.decode(content);
    return false;
  } catch {
    return true;
  }
}

/** Lines keep their '\n' so that a missing newline at the end is itself a difference. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Myers' O(ND) shortest edit script (1986), keeping each step's V to walk back; null past maxD. */
function myers(a: string[], b: string[], maxD: number): Op[] | null {
  const n = a.length;
  const m = b.length;
  const off = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= Math.min(n + m, maxD) && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.push(v.slice(off - d, off + d + 1)); // index k + d
  }
  if (found < 0) return null;
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d - 1]!;
    const at = (k: number): number => prev[k + d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    const midX = down ? prevX : prevX + 1;
    while (x > midX) ops.push({ kind: ' ', line: a[--x]! }), y--;
    ops.push(down ? { kind: '+', line: b[prevY]! } : { kind: '-', line: a[prevX]! });
    [x, y] = [prevX, prevY];
  }
  while (x > 0) ops.push({ kind: ' ', line: a[--x]! }), y--;
  return ops.reverse();
}

function editScript(a: string[], b: string[], maxEdits: number): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const midA = a.slice(pre, a.length - suf);
  const midB = b.slice(pre, b.length - suf);
  const middle = myers(midA, midB, maxEdits) ?? [
    ...midA.map((line) => ({ kind: '-' as const, line })),
    ...midB.map((line) => ({ kind: '+' as const, line })),
  ];
  const same = (lines: string[]): Op[] => lines.map((line) => ({ kind: ' ', line }));
  return [...same(a.slice(0, pre)), ...middle, ...same(a.slice(a.length - suf))];
}

function range(start: number, count: number): string {
  // GNU diff: an empty range names the line before it; a range of one omits ",1".
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

function hunks(ops: Op[], context: number): string[] {
  const out: string[] = [];
  const changed = ops.map((o, i) => (o.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  let i = 0;
  while (i < changed.length) {
    let end = i;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * context) end++;
    const from = Math.max(0, changed[i]! - context);
    const to = Math.min(ops.length, changed[end]! + context + 1);
    let oldStart = 0;
    let newStart = 0;
    for (const o of ops.slice(0, from)) {
      if (o.kind !== '+') oldStart++;
      if (o.kind !== '-') newStart++;
    }
    const body = ops.slice(from, to);
    const oldCount = body.filter((o) => o.kind !== '+').length;
    const newCount = body.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n`);
    for (const o of body) {
      out.push(o.line.endsWith('\n') ? `${o.kind}${o.line}` : `${o.kind}${o.line}\n\\ No newline at end of file\n`);
    }
    i = end + 1;
  }
  return out;
}

const asText = (t: Text): string => (t === null ? '' : typeof t === 'string' ? t : new TextDecoder().decode(t));

/**
 * Unified diff of two versions of `path`; null stands for "absent" (/dev/null). Returns '' when equal,
 * a "Binary files ... differ" line when either side is binary, and a capped, marked output when long.
 */
export function unifiedDiff(oldText: Text, newText: Text, path: string, opts: UnifiedDiffOptions = {}): string {
  const oldName = oldText === null ? '/dev/null' : `a/${path}`;
  const newName = newText === null ? '/dev/null' : `b/${path}`;
  if ((oldText !== null && isBinary(oldText)) || (newText !== null && isBinary(newText))) {
    const same = oldText !== null && newText !== null && Buffer.from(oldText).equals(Buffer.from(newText));
    return same ? '' : `Binary files ${oldName} and ${newName} differ\n`;
  }
  const ops = editScript(splitLines(asText(oldText)), splitLines(asText(newText)), opts.maxEdits ?? 1000);
  const body = hunks(ops, opts.context ?? 3);
  if (body.length === 0) return '';
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  let out = `--- ${oldName}\n+++ ${newName}\n`;
  for (let i = 0; i < body.length; i++) {
    if (out.length + body[i]!.length > maxBytes) {
      const rest = body.slice(i).reduce((n, s) => n + s.length, 0);
      return `${out}... diff truncated: ${rest} more characters\n`;
    }
    out += body[i];
  }
  return out;
}
