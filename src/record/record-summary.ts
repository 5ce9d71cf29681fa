/**
 * @module record/record-summary: what a recorded tool call did, read back from the store: processes,
 * events and how they were attributed, files changed, orphans, risks, responses, and the DAG's verification.
 */
import { nsToIso } from '../model/index.js';
import type { RunVerification } from '../store/verify-run.js';
import type { StoreQueries } from '../store/index.js';
import type { ToolCallRecord } from './record-end.js';

export interface RecordingSummary {
  run_id: string;
  tool_call_id: string;
  binding_id: string;
  command: string[] | null;
  capture: string;
  capture_reason: string;
  cgroup: string;
  cgroup_reason: string;
  outcome: string;
  exit_code: number | null;
  signal: string | null;
  agentprov_exit: number | null;
  started_at: string;
  duration_ms: number;
  processes: number;
  events: number;
  by_tier: Record<string, number>;
  files: {
    created: number;
    modified: number;
    deleted: number;
    items: { path: string; change: string; added: number; removed: number; writers: string[] }[];
  };
  orphans: { pid: number; exe: string | null; argv: string[]; fate: string }[];
  risks: number;
  max_score: number;
  /** Highest score first; identical risks once, with a count. */
  top_risks: string[];
  /** Identical responses once, with a count. */
  responses: string[];
  verify: { ok: boolean; nodes: number; edges: number; problems: number };
}

export function summarizeRecording(q: StoreQueries, rec: ToolCallRecord, verify: RunVerification): RecordingSummary {
  const c = rec.capture;
  const processes = q.processCountOfBinding(c.binding_id);
  const tiers = q.tierCountsOfBinding(c.binding_id);
  const risks = q.risksOfRun(c.run_id)
    .filter((r) => r.tool_call_id === c.tool_call_id)
    .sort((a, b) => b.score - a.score);
  const responses = q.responsesOfRun(c.run_id).filter((r) => r.tool_call_id === c.tool_call_id);
  const count = (k: string) => rec.changes.filter((x) => x.change === k).length;
  return {
    run_id: c.run_id,
    tool_call_id: c.tool_call_id,
    binding_id: c.binding_id,
    command: c.command,
    capture: c.capture,
    capture_reason: c.capture_reason,
    cgroup: c.cgroup === 'v2' ? `${c.cgroup_path} (id ${c.cgroup_id})` : 'none',
    cgroup_reason: c.cgroup_reason,
    outcome: c.outcome,
    exit_code: c.exit_code,
    signal: c.signal,
    agentprov_exit: c.agentprov_exit,
    started_at: nsToIso(c.started_at_ns),
    duration_ms: c.ended_at_ns === null ? 0 : Number((c.ended_at_ns - c.started_at_ns) / 1_000_000n),
    processes,
    events: q.countEventsOfBinding(c.binding_id),
    by_tier: Object.fromEntries(tiers.map((t) => [t.tier, t.n])),
    files: {
      created: count('created'),
      modified: count('modified'),
      deleted: count('deleted'),
      items: rec.changes.map((x) => ({
        path: x.path,
        change: x.change,
        added: x.added_lines,
        removed: x.removed_lines,
        writers: x.writers.map((w) => `${w.comm ?? w.exe ?? '?'}[${w.pid}]`),
      })),
    },
    orphans: rec.orphans.map((o) => ({ pid: o.pid, exe: o.exe, argv: o.argv, fate: o.fate })),
    risks: risks.length,
    max_score: risks[0]?.score ?? 0,
    top_risks: grouped(risks.map((r) => `${r.severity} ${r.score} ${r.rule_id}: ${r.reason}`)).slice(0, 8),
    responses: grouped(responses.map((r) => `${r.action} ${r.result}: ${r.detail}`)),
    verify: { ok: verify.ok, nodes: verify.checked_nodes, edges: verify.checked_edges, problems: verify.problems.length },
  };
}

/** Identical lines once each, in first-seen order, with a count when repeated ("... (x3)"). */
function grouped(lines: string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts].map(([l, n]) => (n > 1 ? `${l} (x${n})` : l));
}

/** The text summary printed when the recording ends. */
export function formatRecordingSummary(s: RecordingSummary): string {
  const lines: string[] = [];
  const ended =
    s.outcome === 'exited'
      ? `exited ${s.exit_code}`
      : s.outcome === 'signaled'
        ? `ended by signal ${s.signal}`
        : s.outcome.replace(/_/g, ' ');
  lines.push(`agentprov record: run ${s.run_id}, tool call ${s.tool_call_id}: ${ended} after ${(s.duration_ms / 1000).toFixed(2)} s`);
  lines.push(`  capture:    ${s.capture} (${s.capture_reason})`);
  lines.push(`  cgroup:     ${s.cgroup}${s.cgroup === 'none' ? ` (${s.cgroup_reason})` : ''}`);
  const tiers = Object.entries(s.by_tier).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`  processes:  ${s.processes}; events: ${s.events}${tiers ? ` (${tiers})` : ''}`);
  lines.push(`  files:      ${s.files.created} created, ${s.files.modified} modified, ${s.files.deleted} deleted`);
  for (const f of s.files.items.slice(0, 20)) {
    const by = f.writers.length > 0 ? ` by ${f.writers.join(', ')}` : ' (no write event seen)';
    lines.push(`    ${f.change.padEnd(8)} ${f.path} +${f.added} -${f.removed}${by}`);
  }
  if (s.files.items.length > 20) lines.push(`    ... ${s.files.items.length - 20} more (agentprov graph diff --run ${s.run_id})`);
  lines.push(`  orphans:    ${s.orphans.length}${s.orphans.length ? `: ${s.orphans.map((o) => `${o.exe ?? '?'}[${o.pid}] ${o.fate}`).join(', ')}` : ''}`);
  lines.push(`  risks:      ${s.risks}${s.risks ? ` (max score ${s.max_score})` : ''}`);
  for (const r of s.top_risks) lines.push(`    ${r}`);
  lines.push(`  responses:  ${s.responses.reduce((n, r) => n + Number(/ \(x(\d+)\)$/.exec(r)?.[1] ?? 1), 0)}`);
  for (const r of s.responses.slice(0, 10)) lines.push(`    ${r}`);
  lines.push(`  verify:     ${s.verify.ok ? 'ok' : `FAILED (${s.verify.problems} problems)`} (${s.verify.nodes} nodes, ${s.verify.edges} edges)`);
  lines.push(`  exit:       ${s.agentprov_exit ?? '?'}`);
  return `${lines.join('\n')}\n`;
}
