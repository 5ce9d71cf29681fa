/** @module graph/event-objects: the files and endpoints an event touches, as the graph names them. */
import type { RuntimeEvent } from '../model/index.js';

const FILE_EVENTS = new Set(['file_open', 'file_rename', 'file_unlink']);
const ENDPOINT_EVENTS = new Set(['network_connect', 'tls_request', 'dns_query']);
/** What these say about a process (its start, image, end) its process node already holds. */
const LIFECYCLE_EVENTS = new Set(['process_exec', 'process_fork', 'process_exit']);

export function touchedFiles(e: RuntimeEvent): string[] {
  if (!FILE_EVENTS.has(e.type)) return [];
  return [e.path, e.new_path].filter((p): p is string => typeof p === 'string' && p !== '');
}

/** ip:port ([ip]:port for IPv6) for a connect, the TLS host or the DNS name asked for. */
export function endpointOf(e: RuntimeEvent): string | null {
  if (e.type === 'tls_request' && e.tls?.host) return e.tls.host;
  if (e.type === 'dns_query' && e.dns_query) return e.dns_query;
  if ((e.type === 'network_connect' || e.type === 'tls_request') && e.dst_ip) {
    const ip = e.dst_ip.includes(':') ? `[${e.dst_ip}]` : e.dst_ip;
    return e.dst_port !== null && e.dst_port !== undefined ? `${ip}:${e.dst_port}` : ip;
  }
  return null;
}

/**
 * What an event no rule judged adds to its process's summary instead of a node of its own: the files it
 * changed, the endpoint it reached, or nothing (a start, exec or exit: the process node says it). Null: the
 * event keeps its own node (a kind the summary has no place for).
 */
export function summaryOf(e: RuntimeEvent): { files: string[]; endpoint: string | null } | null {
  if (LIFECYCLE_EVENTS.has(e.type)) return { files: [], endpoint: null };
  if (FILE_EVENTS.has(e.type)) {
    const files = touchedFiles(e);
    return files.length > 0 ? { files, endpoint: null } : null;
  }
  if (ENDPOINT_EVENTS.has(e.type)) {
    const endpoint = endpointOf(e);
    return endpoint !== null ? { files: [], endpoint } : null;
  }
  return null;
}
