/**
 * @module service/tls-exchanges: pairs TLS reads with the request they answer, so a timeline shows one line
 * per exchange (`TLS POST https://api.openai.com/v1/chat/completions -> 200`) instead of a request line and
 * a line of response bytes. Pure.
 *
 * A read answers the latest request written before it on the same connection: the same pid and, when the
 * sensor reported it, the same SSL object (label `ssl`). A read with no request before it stays on its own.
 */
import type { RuntimeEvent } from '../model/index.js';

export interface TlsExchangeLine {
  event: RuntimeEvent;
  /** The HTTP status of the first response read on this request's connection, as text. */
  response: string | null;
  /** Ids of the reads shown on this line. */
  folded: string[];
}

function connectionKey(e: RuntimeEvent): string {
  return `${e.pid ?? '?'}|${e.process_start_ns ?? ''}|${e.labels?.['ssl'] ?? ''}`;
}

/** The events in their order, with TLS reads folded into the request line they answer. */
export function foldTlsResponses(events: RuntimeEvent[]): TlsExchangeLine[] {
  const out: TlsExchangeLine[] = [];
  const open = new Map<string, TlsExchangeLine>();
  for (const e of events) {
    if (e.type === 'tls_request') {
      const key = connectionKey(e);
      if (e.tls?.direction === 'read') {
        const req = open.get(key);
        if (req) {
          req.folded.push(e.event_id!);
          const status = e.labels?.['http_status'];
          if (req.response === null && status) req.response = status;
          continue;
        }
      } else if (e.tls?.method) {
        const line: TlsExchangeLine = { event: e, response: null, folded: [] };
        open.set(key, line);
        out.push(line);
        continue;
      }
    }
    out.push({ event: e, response: null, folded: [] });
  }
  return out;
}
