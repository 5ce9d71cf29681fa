/**
 * @module model/event-subject: what an event is about (the file, the address and port, the socket, the
 * request, the ids, the traced pid) as data and as the one line every view prints. Risks, responses, the
 * timeline and the approval prompts all describe events through here, so they never disagree. Pure.
 *
 * argv is shown as stored: events are redacted when they are normalized (model/redact), not here.
 */
import type { RuntimeEvent } from './runtime-event.js';

/** The type-specific facts of an event; only the fields its type has are set. */
export interface EventSubject {
  path?: string;
  new_path?: string;
  open_flags?: string[];
  family?: string;
  dst_ip?: string;
  dst_port?: number;
  /** Host name of the destination, when the producer reported one. */
  dst_host?: string;
  tls_direction?: 'read' | 'write';
  tls_method?: string;
  tls_host?: string;
  tls_path?: string;
  http_status?: number;
  syscall?: string;
  old_uid?: number;
  new_uid?: number;
  old_euid?: number;
  new_euid?: number;
  old_gid?: number;
  new_gid?: number;
  target_pid?: number;
  ptrace_request?: number;
  ppid?: number;
  exit_code?: number;
  signal?: number;
  dns_query?: string;
  enforcement_action?: string;
  enforcement_reason?: string;
  lost_events?: number;
  /** Syscall result when it failed (-errno). */
  result?: number;
}

/** The evidence a risk, decision or response names: who did what to which subject. */
export interface EventEvidence {
  event_id: string | null;
  type: RuntimeEvent['type'];
  source: RuntimeEvent['source'];
  pid: number | null;
  exe: string | null;
  comm: string | null;
  argv: string[] | null;
  subject: EventSubject;
  /** What the tables print, e.g. `curl[7112] connect 169.254.169.254:80`. */
  subject_text: string;
}

const REDACTED_LABEL = 'agentprov.redacted';

function set<K extends keyof EventSubject>(s: EventSubject, k: K, v: EventSubject[K] | null | undefined): void {
  if (v !== null && v !== undefined && v !== '') s[k] = v;
}

/**
 * A unix socket's name: the event's path (sensor, native JSONL), else the path Falco puts at the end of
 * `fd.name` (`ffff...->ffff... /run/docker.sock`), else a Tetragon address that is not an IP.
 */
export function unixSocketPath(e: RuntimeEvent): string | null {
  if (e.path) return e.path;
  const fdName = e.labels?.['fd.name'];
  const last = fdName?.split(/\s+/).pop();
  if (last && (last.startsWith('/') || last.startsWith('@'))) return last;
  if (e.dst_ip && (e.dst_ip.startsWith('/') || e.dst_ip.startsWith('@'))) return e.dst_ip;
  return null;
}

function isUnixConnect(e: RuntimeEvent): boolean {
  return e.family === 'unix' || (!e.dst_ip && unixSocketPath(e) !== null);
}

function httpStatus(e: RuntimeEvent): number | null {
  const s = e.labels?.['http_status'];
  return s !== undefined && /^\d{3}$/.test(s) ? Number(s) : null;
}

/** The facts of the event's type, as structured fields. */
export function eventSubject(e: RuntimeEvent): EventSubject {
  const s: EventSubject = {};
  switch (e.type) {
    case 'process_exec':
      set(s, 'path', e.exe ?? e.path);
      break;
    case 'process_fork':
      set(s, 'ppid', e.ppid);
      break;
    case 'process_exit':
      set(s, 'exit_code', e.exit_code);
      set(s, 'signal', e.signal);
      break;
    case 'file_open':
    case 'file_unlink':
    case 'file_rename':
      set(s, 'path', e.path);
      set(s, 'new_path', e.new_path);
      if (e.open_flags && e.open_flags.length > 0) s.open_flags = [...e.open_flags];
      break;
    case 'network_connect':
      set(s, 'family', e.family);
      if (isUnixConnect(e)) {
        set(s, 'path', unixSocketPath(e));
      } else {
        set(s, 'dst_ip', e.dst_ip);
        set(s, 'dst_port', e.dst_port);
      }
      set(s, 'dst_host', e.labels?.['dst_host']);
      break;
    case 'privilege_change':
      set(s, 'syscall', e.syscall);
      for (const k of ['old_uid', 'new_uid', 'old_euid', 'new_euid', 'old_gid', 'new_gid'] as const) set(s, k, e[k]);
      break;
    case 'ptrace':
      set(s, 'target_pid', e.target_pid);
      set(s, 'ptrace_request', e.ptrace_request);
      break;
    case 'tls_request':
      set(s, 'tls_direction', e.tls?.direction);
      set(s, 'tls_method', e.tls?.method);
      set(s, 'tls_host', e.tls?.host);
      set(s, 'tls_path', e.tls?.path);
      set(s, 'http_status', httpStatus(e));
      break;
    case 'dns_query':
      set(s, 'dns_query', e.dns_query);
      break;
    case 'enforcement':
      set(s, 'enforcement_action', e.enforcement_action);
      set(s, 'enforcement_reason', e.enforcement_reason);
      set(s, 'path', e.path);
      set(s, 'dst_ip', e.dst_ip);
      set(s, 'dst_port', e.dst_port);
      break;
    case 'telemetry_loss':
      set(s, 'lost_events', e.lost_events);
      break;
  }
  if (e.result != null && e.result < 0) s.result = e.result;
  return s;
}

function endpoint(ip: string, port: number | null | undefined): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port != null ? `${host}:${port}` : host;
}

/** Changed ids of a privilege change: `uid 1000 -> 0`, the euid when it differs, effective caps for capset. */
function idChange(e: RuntimeEvent): string {
  const part = (name: string, a: unknown, b: unknown) => `${name} ${a ?? '?'} -> ${b ?? '?'}`;
  if (e.syscall === 'capset') return part('caps', e.labels?.['old_cap_effective'], e.labels?.['new_cap_effective']);
  if (/gid/.test(e.syscall ?? '')) return part('gid', e.old_gid, e.new_gid);
  const uid = part('uid', e.old_uid, e.new_uid);
  const euidDiffers = e.old_euid != null && e.new_euid != null && (e.old_euid !== e.old_uid || e.new_euid !== e.new_uid);
  return euidDiffers ? `${uid}, ${part('euid', e.old_euid, e.new_euid)}` : uid;
}

function tlsText(e: RuntimeEvent): string {
  const t = e.tls ?? {};
  if (t.method) return `TLS ${t.method} https://${t.host ?? '?'}${t.path ?? ''}`;
  const status = httpStatus(e);
  if (status !== null) return `TLS response ${status}`;
  const size = t.bytes !== undefined ? ` ${t.bytes} bytes` : '';
  return `TLS ${t.direction ?? 'data'}${size}${t.http2 ? ' (HTTP/2)' : ''}`;
}

/** The one line that says who did what to what: `curl[7112] connect 169.254.169.254:80`. */
export function eventSubjectText(e: RuntimeEvent): string {
  const who = `${e.comm ?? e.exe ?? '?'}[${e.pid ?? '?'}]`;
  if (e.labels?.[REDACTED_LABEL]) return `${who} ${e.type} (content redacted)`;
  const failed = e.result != null && e.result < 0 ? ` (failed ${e.result})` : '';
  switch (e.type) {
    case 'process_exec':
      return `${who} exec ${e.exe ?? ''} ${(e.argv ?? []).slice(1).join(' ')}`.trim();
    case 'process_fork':
      return `${who} fork (parent ${e.ppid ?? '?'})`;
    case 'process_exit':
      return `${who} exit ${e.exit_code ?? ''}`.trim();
    case 'file_open':
      return `${who} open ${e.path ?? '?'} ${(e.open_flags ?? []).join(',')}`.trim() + failed;
    case 'file_rename':
      return `${who} rename ${e.path ?? '?'} -> ${e.new_path ?? '?'}${failed}`;
    case 'file_unlink':
      return `${who} unlink ${e.path ?? '?'}${failed}`;
    case 'network_connect': {
      const to = isUnixConnect(e) ? `unix:${unixSocketPath(e) ?? '?'}` : e.dst_ip ? endpoint(e.dst_ip, e.dst_port) : '?:?';
      const host = e.labels?.['dst_host'] ? ` (${e.labels['dst_host']})` : '';
      return `${who} connect ${to}${host}${failed}`;
    }
    case 'privilege_change':
      return `${who} ${e.syscall ?? 'setuid'} ${idChange(e)}${failed}`;
    case 'ptrace':
      return `${who} ptrace request ${e.ptrace_request ?? '?'} target pid ${e.target_pid ?? '?'}${failed}`;
    case 'tls_request':
      return `${who} ${tlsText(e)}`;
    case 'dns_query':
      return `${who} DNS ${e.dns_query ?? '?'}`;
    case 'enforcement':
      return `${who} ENFORCED ${e.enforcement_action ?? ''}: ${e.enforcement_reason ?? ''}`;
    case 'telemetry_loss':
      return `telemetry gap: ${e.lost_events ?? '?'} events lost by ${e.source}`;
  }
}

/** Who, what and the subject of one event, for a risk's, decision's or response's `evidence`. */
export function eventEvidence(e: RuntimeEvent): EventEvidence {
  return {
    event_id: e.event_id ?? null,
    type: e.type,
    source: e.source,
    pid: e.pid ?? null,
    exe: e.exe ?? null,
    comm: e.comm ?? null,
    argv: e.argv ? [...e.argv] : null,
    subject: eventSubject(e),
    subject_text: eventSubjectText(e),
  };
}
