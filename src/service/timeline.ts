/** @module service/timeline: one time-ordered view of a run: scopes, events, decisions, risks, responses, gaps. */
import type { Db } from '../store/index.js';
import {
  correlationsOfRun,
  decisionsOfRun,
  eventsOfRun,
  listScopes,
  responsesOfRun,
  risksOfRun,
} from '../store/index.js';
import { decodeEvent } from '../store/index.js';
import { nsToIso, type RuntimeEvent } from '../model/index.js';

export interface TimelineItem {
  time_ns: bigint;
  time: string;
  kind: 'tool_call_start' | 'tool_call_end' | 'event' | 'telemetry_loss' | 'decision' | 'risk' | 'response';
  id: string;
  tool_call_id: string | null;
  summary: string;
  confidence?: number;
  severity?: string;
}

export function describeEvent(e: RuntimeEvent): string {
  const who = `${e.comm ?? e.exe ?? '?'}[${e.pid ?? '?'}]`;
  switch (e.type) {
    case 'process_exec':
      return `${who} exec ${e.exe ?? ''} ${(e.argv ?? []).slice(1).join(' ')}`.trim();
    case 'process_fork':
      return `${who} fork (parent ${e.ppid ?? '?'})`;
    case 'process_exit':
      return `${who} exit ${e.exit_code ?? ''}`.trim();
    case 'file_open':
      return `${who} open ${e.path ?? '?'} ${(e.open_flags ?? []).join(',')}`.trim();
    case 'file_rename':
      return `${who} rename ${e.path ?? '?'} -> ${e.new_path ?? '?'}`;
    case 'file_unlink':
      return `${who} unlink ${e.path ?? '?'}`;
    case 'network_connect':
      return `${who} connect ${e.dst_ip ?? '?'}:${e.dst_port ?? '?'}${e.result && e.result < 0 ? ` (failed ${e.result})` : ''}`;
    case 'privilege_change':
      return `${who} ${e.syscall ?? 'setuid'} uid ${e.old_uid ?? '?'} -> ${e.new_uid ?? '?'}`;
    case 'ptrace':
      return `${who} ptrace request ${e.ptrace_request ?? '?'} target ${e.target_pid ?? '?'}`;
    case 'tls_request':
      return `${who} TLS ${e.tls?.method ?? ''} https://${e.tls?.host ?? '?'}${e.tls?.path ?? ''}`;
    case 'dns_query':
      return `${who} DNS ${e.dns_query ?? '?'}`;
    case 'enforcement':
      return `${who} ENFORCED ${e.enforcement_action ?? ''}: ${e.enforcement_reason ?? ''}`;
    case 'telemetry_loss':
      return `telemetry gap: ${e.lost_events ?? '?'} events lost by ${e.source}`;
  }
}

/** Every item of a run, oldest first (ties broken by kind then id, so paging is stable). */
export function runTimeline(db: Db, runId: string): TimelineItem[] {
  const items: TimelineItem[] = [];
  const scopes = listScopes(db, runId);
  for (const s of scopes) {
    const label = `${s.tool_call_id}${s.tool_name ? ` (${s.tool_name})` : ''}`;
    items.push(item(s.started_at_ns, 'tool_call_start', s.binding_id!, s.tool_call_id, `tool call ${label} started`));
    if (s.ended_at_ns != null) {
      items.push(item(s.ended_at_ns, 'tool_call_end', s.binding_id!, s.tool_call_id, `tool call ${label} ended`));
    }
  }
  const corr = new Map(correlationsOfRun(db, runId).map((c) => [c.event_id, c]));
  for (const e of eventsOfRun(db, runId)) {
    const c = corr.get(e.event_id!);
    const it = item(e.time_ns, 'event', e.event_id!, c?.tool_call_id ?? null, `${e.type}: ${describeEvent(e)}`);
    if (c) it.confidence = c.confidence;
    items.push(it);
  }
  for (const e of lossEventsInWindow(db, scopes)) {
    items.push(item(e.time_ns, 'telemetry_loss', e.event_id!, null, describeEvent(e)));
  }
  for (const d of decisionsOfRun(db, runId)) {
    const rules = d.matches.map((m) => m.rule_id).join(', ');
    items.push(item(d.time_ns, 'decision', d.decision_id, d.tool_call_id, `decision ${d.action} (rules: ${rules})`));
  }
  for (const r of risksOfRun(db, runId)) {
    const it = item(r.time_ns, 'risk', r.risk_id, r.tool_call_id, `risk ${r.severity} ${r.score}: ${r.rule_id}: ${r.reason}`);
    it.severity = r.severity;
    items.push(it);
  }
  for (const r of responsesOfRun(db, runId)) {
    items.push(item(r.time_ns, 'response', r.response_id, r.tool_call_id, `response ${r.action} ${r.result}: ${r.detail}`));
  }
  const order = ['tool_call_start', 'event', 'telemetry_loss', 'decision', 'risk', 'response', 'tool_call_end'];
  items.sort((a, b) =>
    a.time_ns < b.time_ns ? -1 : a.time_ns > b.time_ns ? 1 : order.indexOf(a.kind) - order.indexOf(b.kind) || (a.id < b.id ? -1 : 1),
  );
  return items;
}

function item(
  time_ns: bigint,
  kind: TimelineItem['kind'],
  id: string,
  tool_call_id: string | null,
  summary: string,
): TimelineItem {
  return { time_ns, time: nsToIso(time_ns), kind, id, tool_call_id, summary };
}

/** Loss markers have no process to attribute; they belong on every run whose window they fall in. */
function lossEventsInWindow(db: Db, scopes: { started_at_ns: bigint; ended_at_ns?: bigint | null }[]): RuntimeEvent[] {
  if (scopes.length === 0) return [];
  const from = scopes.reduce((m, s) => (s.started_at_ns < m ? s.started_at_ns : m), scopes[0]!.started_at_ns);
  const open = scopes.some((s) => s.ended_at_ns == null);
  const to = open ? null : scopes.reduce((m, s) => (s.ended_at_ns! > m ? s.ended_at_ns! : m), 0n);
  const rows = (
    to === null
      ? db.prepare(`SELECT body FROM events WHERE type = 'telemetry_loss' AND time_ns >= ?`).all(from)
      : db.prepare(`SELECT body FROM events WHERE type = 'telemetry_loss' AND time_ns BETWEEN ? AND ?`).all(from, to)
  ) as { body: string }[];
  return rows.map((r) => decodeEvent(r.body));
}

/** Offset paging: the cursor is the index of the next item, opaque to callers. */
export function page<T>(items: T[], limit: number, cursor: string | undefined): { items: T[]; next_cursor: string | null } {
  const start = cursor ? Number.parseInt(Buffer.from(cursor, 'base64url').toString(), 10) || 0 : 0;
  const slice = items.slice(start, start + limit);
  const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
  return { items: slice, next_cursor: next };
}
