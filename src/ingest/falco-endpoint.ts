/**
 * @module ingest/falco-endpoint: the address text of Falco-shaped producers -> ip, port and family.
 *
 * Falco writes fd.rip / fd.sip as a bare address and fd.name of an inet socket as "cip:cport->sip:sport";
 * other producers that imitate it (AgentProvenance's example traces) write fd.rip as "169.254.169.254:80"
 * or "[fd00:ec2::254]:80". Every form is read here, and anything else (a file path, `<NA>`, a host name,
 * empty text) gives null rather than a bogus address.
 */
import { isIpAddress } from '../policy/ip.js';

export interface Endpoint {
  ip: string;
  /** null when the text named no port (a bare address). */
  port: number | null;
  family: 'inet' | 'inet6';
}

function portOf(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function endpoint(ip: string, port: number | null): Endpoint | null {
  if (!isIpAddress(ip)) return null;
  // By the text, not the value: "::ffff:1.2.3.4" is an IPv6 socket even though it holds a v4 address.
  return { ip, port, family: ip.includes(':') ? 'inet6' : 'inet' };
}

/** "[v6]:port" or "[v6]"; undefined if the text is not bracketed. */
function bracketed(text: string): Endpoint | null | undefined {
  if (!text.startsWith('[')) return undefined;
  const close = text.indexOf(']');
  if (close < 0) return null;
  const rest = text.slice(close + 1);
  if (rest === '') return endpoint(text.slice(1, close), null);
  if (!rest.startsWith(':')) return null;
  const port = portOf(rest.slice(1));
  return port === null ? null : endpoint(text.slice(1, close), port);
}

/** "ip:port" split at the last colon, port required; null if either half is not one. */
function withPort(text: string): Endpoint | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const port = portOf(text.slice(colon + 1));
  return port === null ? null : endpoint(text.slice(0, colon), port);
}

/**
 * One address as a producer wrote it in fd.rip, fd.sip, ...: "1.2.3.4", "1.2.3.4:80", "[v6]:80", "[v6]"
 * or a bare IPv6 address. A text that is a whole address is one, without a port: "::1" and
 * "fd00:ec2::254" are addresses, not "::" port 1. An unbracketed "v6:port" is read only when the whole
 * text is no address ("2001:db8:0:0:0:0:0:1:443").
 */
export function parseAddress(text: string): Endpoint | null {
  if (text === '' || text === '<NA>') return null;
  const b = bracketed(text);
  if (b !== undefined) return b;
  return endpoint(text, null) ?? withPort(text);
}

/** One end of a tuple: there the port is always present, so "::1:80" is ::1 port 80. */
function parseTupleEnd(text: string): Endpoint | null {
  const b = bracketed(text);
  if (b !== undefined) return b?.port === null ? null : b;
  return withPort(text);
}

/**
 * fd.name of a connected inet socket: "cip:cport->sip:sport", the client first on either side of the
 * connection (Falco prints the same tuple for the connect and for the accept). null unless both ends are
 * addresses with ports, so a file path that contains "->" is not a socket.
 */
export function parseTuple(name: string): { client: Endpoint; server: Endpoint } | null {
  const arrow = name.indexOf('->');
  if (arrow < 0) return null;
  const client = parseTupleEnd(name.slice(0, arrow));
  const server = parseTupleEnd(name.slice(arrow + 2));
  return client !== null && server !== null ? { client, server } : null;
}
