/** @module policy/ip: IPv4/IPv6 addresses and CIDRs as four u32 words, and prefix tests that allocate nothing. */

/** Address family of a parsed address: 0 = not an address. IPv4-mapped IPv6 (::ffff:a.b.c.d) reads as 4. */
export type IpKind = 0 | 4 | 6;

export interface Cidr {
  readonly kind: 4 | 6;
  /** v4 uses words[3] only; v6 uses all four, most significant first. */
  readonly words: Uint32Array;
  readonly prefix: number;
  readonly text: string;
}

const groups = new Uint16Array(8);

function parseV4Words(text: string, start: number, end: number): number {
  // Returns the address as an unsigned 32-bit number, or -1. Strict dotted quad: no leading zeros.
  let value = 0;
  let octets = 0;
  let i = start;
  while (i <= end) {
    let n = 0;
    let digits = 0;
    const first = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && text.charCodeAt(first) === 48)) return -1;
    value = value * 256 + n;
    octets++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
  }
  return octets === 4 ? value : -1;
}

function parseGroup(part: string): number {
  if (part.length === 0 || part.length > 4) return -1;
  let n = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/** Fills groups[] with the eight 16-bit groups of an IPv6 address; false if it is not one. */
function parseV6Groups(text: string): boolean {
  const zone = text.indexOf('%');
  const s = zone >= 0 ? text.slice(0, zone) : text;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const headText = dbl >= 0 ? s.slice(0, dbl) : s;
  const tailText = dbl >= 0 ? s.slice(dbl + 2) : '';
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === '' ? [] : tailText.split(':');
  const parts = dbl >= 0 ? tail : head;
  let v4 = -1;
  const last = parts[parts.length - 1];
  if (last !== undefined && last.includes('.')) {
    v4 = parseV4Words(last, 0, last.length);
    if (v4 < 0) return false;
    parts.pop();
  }
  const count = head.length + tail.length + (v4 >= 0 ? 2 : 0);
  if (dbl < 0 ? count !== 8 : count > 7) return false;
  groups.fill(0);
  let g = 0;
  for (const p of head) {
    const n = parseGroup(p);
    if (n < 0) return false;
    groups[g++] = n;
  }
  g = 8 - tail.length - (v4 >= 0 ? 2 : 0);
  for (const p of tail) {
    const n = parseGroup(p);
    if (n < 0) return false;
    groups[g++] = n;
  }
  if (v4 >= 0) {
    groups[6] = v4 >>> 16;
    groups[7] = v4 & 0xffff;
  }
  return true;
}

/** Parses `text` into `out` (4 words) and returns its kind. Never throws; 0 means "not an address". */
export function parseIpInto(text: string, out: Uint32Array): IpKind {
  if (text.length === 0) return 0;
  if (!text.includes(':')) {
    const v = parseV4Words(text, 0, text.length);
    if (v < 0) return 0;
    out[0] = 0;
    out[1] = 0;
    out[2] = 0;
    out[3] = v;
    return 4;
  }
  if (!parseV6Groups(text)) return 0;
  for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  // A v4-mapped address is the v4 host for every rule: ::ffff:169.254.169.254 is the metadata endpoint.
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[2] = 0;
    return 4;
  }
  return 6;
}

/** Parses "addr/prefix" or a bare address (a host route). Returns a message instead of throwing. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const words = new Uint32Array(4);
  const kind = parseIpInto(addr, words);
  if (kind === 0) return `not a CIDR: ${JSON.stringify(text)}`;
  const max = kind === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return `not a CIDR: ${JSON.stringify(text)} (prefix must be 0..${max})`;
    prefix = Number(p);
  }
  const cidr: Cidr = { kind, words, prefix, text };
  // Host bits set usually means a typo in the prefix; refuse rather than silently widen or narrow.
  const probe = new Uint32Array(4);
  for (let i = 0; i < 4; i++) probe[i] = words[i]!;
  maskWords(probe, kind, prefix);
  for (let i = 0; i < 4; i++) {
    if (probe[i] !== words[i]) return `not a CIDR: ${JSON.stringify(text)} (host bits set after /${prefix})`;
  }
  return cidr;
}

function maskWords(words: Uint32Array, kind: 4 | 6, prefix: number): void {
  let bits = prefix;
  for (let i = kind === 4 ? 3 : 0; i < 4; i++) {
    const take = bits >= 32 ? 32 : bits;
    words[i] = take === 0 ? 0 : (words[i]! & ((0xffffffff << (32 - take)) >>> 0)) >>> 0;
    bits -= take;
  }
}

/** True when the parsed address (kind, words) lies inside `cidr`. */
export function inCidr(kind: IpKind, words: Uint32Array, cidr: Cidr): boolean {
  if (kind !== cidr.kind) return false;
  let bits = cidr.prefix;
  for (let i = kind === 4 ? 3 : 0; i < 4 && bits > 0; i++) {
    const take = bits >= 32 ? 32 : bits;
    const mask = (0xffffffff << (32 - take)) >>> 0;
    if ((((words[i]! ^ cidr.words[i]!) & mask) >>> 0) !== 0) return false;
    bits -= take;
  }
  return true;
}

export function isIpAddress(text: string): boolean {
  return parseIpInto(text, new Uint32Array(4)) !== 0;
}

/**
 * "Private" for `dst_private` / AgentProvenance `private_cidr: true`: RFC 1918, IPv6 ULA, loopback (Go's
 * `IsPrivate() || IsLoopback()`, which AgentProvenance uses) plus link-local, where cloud metadata lives.
 */
export const PRIVATE_CIDR_TEXT = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  '::1/128',
  'fe80::/10',
] as const;

export const PRIVATE_CIDRS: readonly Cidr[] = PRIVATE_CIDR_TEXT.map((t) => parseCidr(t) as Cidr);
