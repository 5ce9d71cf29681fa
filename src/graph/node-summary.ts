/** @module graph/node-summary: a one-line human description of a DAG node, read from its stored body. */
import type { DagNode } from '../model/index.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

/** Where the event came from, as `file:line`, when the source was a file. */
export function rawRefOf(node: DagNode): Obj | null {
  const ref = obj(obj(node.body.event).raw_ref);
  return Object.keys(ref).length > 0 ? ref : null;
}

export function summarizeNode(node: DagNode): string {
  const b = node.body;
  switch (node.kind) {
    case 'run':
      return `run ${str(b.run_id) ?? '?'}`;
    case 'session':
      return `session ${str(b.session_id) ?? '?'}`;
    case 'attempt':
      return `attempt ${str(b.attempt_id) ?? '?'}`;
    case 'tool_call': {
      const s = obj(b.scope);
      const name = str(s.tool_name);
      return `tool call ${str(s.tool_call_id) ?? '?'}${name ? ` (${name})` : ''}`;
    }
    case 'tool_call_end':
      return `tool call ${str(b.tool_call_id) ?? '?'} ended at ${str(b.ended_at_ns) ?? '?'}`;
    case 'process': {
      const what = str(b.exe) ?? str(b.comm) ?? '';
      const start = str(b.start_ns);
      return `pid ${str(b.pid) ?? '?'}${start ? ` started ${start}` : ''}${what ? ` ${what}` : ''}`;
    }
    case 'runtime_event':
      return summarizeEvent(node);
    case 'file_reads':
      return `${str(b.count) ?? '?'} read-only opens of ${str(b.distinct) ?? '?'} files`;
    case 'file':
      return str(b.path) ?? '?';
    case 'endpoint':
      return str(b.endpoint) ?? '?';
    case 'policy_decision': {
      const d = obj(b.decision);
      const rules = Array.isArray(d.matches) ? d.matches.map((m) => str(obj(m).rule_id)).filter(Boolean) : [];
      const would = d.would_action !== d.action ? ` (would ${str(d.would_action) ?? '?'})` : '';
      return `${str(d.action) ?? '?'}${would} by ${rules.join(', ') || 'no rule'}`;
    }
    case 'risk_signal': {
      const r = obj(b.risk);
      return `${str(r.severity) ?? '?'} ${str(r.score) ?? '?'} ${str(r.rule_id) ?? '?'}: ${str(r.reason) ?? ''}`.trimEnd();
    }
    case 'response_action': {
      const a = obj(b.response);
      const detail = str(a.detail);
      return `${str(a.action) ?? '?'} ${str(a.target_kind) ?? '?'} ${str(a.target) ?? ''}: ${str(a.result) ?? '?'}${detail ? ` (${detail})` : ''}`;
    }
  }
}

function summarizeEvent(node: DagNode): string {
  const e = obj(node.body.event);
  const c = obj(node.body.correlation);
  const tls = obj(e.tls);
  const port = str(e.dst_port);
  const dst = str(e.dst_ip) ? `${str(e.dst_ip)}${port ? `:${port}` : ''}` : null;
  const what = str(e.path) ?? str(tls.host) ?? str(e.dns_query) ?? dst ?? str(e.exe) ?? '';
  const ref = rawRefOf(node);
  const raw = ref ? ` [raw ${str(ref.file) ?? 'sha256:' + (str(ref.sha256) ?? '?').slice(0, 12)}${str(ref.line) ? `:${str(ref.line)}` : ''}]` : '';
  const corr = str(c.tier) ? ` (${str(c.tier)} ${str(c.confidence) ?? '?'})` : '';
  return `${str(e.type) ?? '?'}${what ? ` ${what}` : ''} by pid ${str(e.pid) ?? '?'} at ${str(e.time_ns) ?? '?'}${raw}${corr}`;
}
