/**
 * @module sensor/tls: TLS plaintext (up to 4 KiB of one SSL_write/SSL_read) -> the request facts a policy needs,
 * with secrets removed first. Pure: bytes in, plain data out. Nothing here keeps the payload itself; what leaves
 * is method, host, path (query secrets redacted), content type, HTTP/2 detection, and the names of what was
 * redacted. redactHttpText is exported for any place that must show payload text.
 */
import { REDACTED, redactText } from '../model/index.js';

export interface TlsPayloadInfo {
  /** 'request' and 'response' are HTTP/1.x; 'http2' is the client preface or frames; 'unknown' anything else. */
  kind: 'request' | 'response' | 'http2' | 'unknown';
  method?: string;
  host?: string;
  path?: string;
  content_type?: string;
  user_agent?: string;
  status?: number;
  http2: boolean;
  /** What was found and removed, e.g. 'header:authorization', 'query:api_key', 'body:sk-key'. Sorted, unique. */
  redacted: string[];
}

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const REQUEST_LINE = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE) (\S+) HTTP\/1\.[01]\r?$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?\r?$/;
export { REDACTED };

/** Redacts credentials in free text (a header block, a body, a path). Returns the text and what was removed. */
export function redactHttpText(text: string): { text: string; redacted: string[] } {
  const found = new Set<string>();
  const out = redactInto(text, found);
  return { text: out, redacted: [...found].sort() };
}

// No data dir key here: what leaves the parser (path, user agent) carries a plain [REDACTED]; the patterns are
// model/redact's, the same that redact argv and every stored event.
function redactInto(text: string, found: Set<string>): string {
  return redactText(text, null, found);
}

/** An HTTP/2 frame header (9 bytes) whose length and type are plausible for the bytes that follow. */
function looksLikeH2Frames(bytes: Uint8Array): boolean {
  let at = 0;
  let frames = 0;
  while (at + 9 <= bytes.length && frames < 8) {
    const len = ((bytes[at] ?? 0) << 16) | ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0);
    const type = bytes[at + 3] ?? 255;
    const stream = (((bytes[at + 5] ?? 0) & 0x7f) << 24) | ((bytes[at + 6] ?? 0) << 16) | ((bytes[at + 7] ?? 0) << 8) | (bytes[at + 8] ?? 0);
    // types 0..9 are defined; SETTINGS/PING/GOAWAY (4, 6, 7) live on stream 0, HEADERS/DATA never do
    if (type > 9 || len > 16384) return false;
    if ((type === 0 || type === 1) && stream === 0) return false;
    at += 9 + len;
    frames++;
  }
  return frames > 0 && at === bytes.length;
}

function headerBlock(text: string): { lines: string[]; complete: boolean } {
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  return { lines: head.split('\n').map((l) => l.replace(/\r$/, '')), complete: end >= 0 };
}

function headerValue(lines: string[], name: string): string | undefined {
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** Parses one SSL_write/SSL_read payload. Never throws; unknown bytes give kind 'unknown'. */
export function parseTlsPayload(bytes: Uint8Array): TlsPayloadInfo {
  // latin1 keeps every byte as one char, so binary never breaks the header split
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const found = new Set<string>();
  if (text.startsWith(H2_PREFACE)) {
    return { kind: 'http2', http2: true, redacted: [] };
  }
  const { lines } = headerBlock(text);
  const first = lines[0] ?? '';
  const req = REQUEST_LINE.exec(first);
  if (req) {
    // redact the whole head so anything secret in any header or the path is gone before fields are read
    redactInto(text, found);
    const path = redactInto(req[2] ?? '', found);
    const info: TlsPayloadInfo = { kind: 'request', method: req[1], path, http2: false, redacted: [] };
    const host = headerValue(lines, 'host');
    const ctype = headerValue(lines, 'content-type');
    const agent = headerValue(lines, 'user-agent');
    if (host !== undefined) info.host = host;
    if (ctype !== undefined) info.content_type = ctype;
    if (agent !== undefined) info.user_agent = redactInto(agent, found);
    // HTTP/1.1 Upgrade: h2c is the cleartext form; seen inside TLS it still says HTTP/2 is wanted
    if (/^h2c?$/i.test(headerValue(lines, 'upgrade') ?? '')) info.http2 = true;
    info.redacted = [...found].sort();
    return info;
  }
  const res = STATUS_LINE.exec(first);
  if (res) {
    redactInto(text, found);
    const info: TlsPayloadInfo = { kind: 'response', status: Number(res[1]), http2: false, redacted: [] };
    const ctype = headerValue(lines, 'content-type');
    if (ctype !== undefined) info.content_type = ctype;
    info.redacted = [...found].sort();
    return info;
  }
  if (looksLikeH2Frames(bytes)) return { kind: 'http2', http2: true, redacted: [] };
  // a body chunk or something else: only report which secrets it carried
  redactInto(text, found);
  return { kind: 'unknown', http2: false, redacted: [...found].sort() };
}
