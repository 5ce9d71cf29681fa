/** @module cli/queries: `timeline`, `security risks|responses`, `observe summary`, `runs`. */
import type { Command } from 'commander';
import { NotFoundError } from '../errors.js';
import type { EvidenceStore } from '../store/index.js';
import { nsToIso } from '../model/index.js';
import { page, runTimeline } from '../service/timeline.js';
import { summarizeRun } from '../service/run-summary.js';
import { evidenceLookup, withEvidence } from '../service/event-evidence.js';
import { parseIntOption, withStore } from './common.js';
import { printJson } from './io.js';
import type { CommandContext } from './program.js';

export function requireRun(store: EvidenceStore, runId: string): void {
  if (!store.query.runExists(runId)) {
    throw new NotFoundError(`no run "${runId}" in ${store.dataDir} (bind a tool call to it first; see: agentprov runs)`);
  }
}

interface PageOpts {
  run: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

const pageOptions = (cmd: Command, schema: string) =>
  cmd
    .requiredOption('--run <id>', 'run id')
    .option('--limit <n>', 'items per page', '500')
    .option('--cursor <c>', 'next_cursor of the previous page')
    .option('--json', `JSON envelope ${schema}`);

export function registerQueries({ io, program }: CommandContext): void {
  pageOptions(program.command('timeline').description('everything that happened in a run, in time order'), 'agentprov.timeline/v1')
    .action(async function (this: Command, o: PageOpts) {
      const items = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        return runTimeline(store.query, o.run);
      });
      const p = page(items, parseIntOption(o.limit, '--limit'), o.cursor);
      if (o.json) return printJson(io, { schema_version: 'agentprov.timeline/v1', run_id: o.run, ...p });
      for (const it of p.items) {
        const conf = it.confidence !== undefined ? ` (${it.confidence.toFixed(2)})` : '';
        io.stdout.write(`${it.time}  ${it.kind.padEnd(15)} ${(it.tool_call_id ?? '-').padEnd(14)} ${it.summary}${conf}\n`);
      }
      if (p.next_cursor) io.stdout.write(`(more: --cursor ${p.next_cursor})\n`);
    });

  const security = program.command('security').description('risk signals and response actions');
  pageOptions(security.command('risks').description('risk signals of a run, highest score first'), 'agentprov.risks/v1')
    .action(async function (this: Command, o: PageOpts) {
      const risks = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        const risks = store.query.risksOfRun(o.run).sort((a, b) => b.score - a.score);
        return withEvidence(risks, evidenceLookup(store.query, o.run));
      });
      const p = page(risks, parseIntOption(o.limit, '--limit'), o.cursor);
      if (o.json) return printJson(io, { schema_version: 'agentprov.risks/v1', run_id: o.run, ...p });
      if (risks.length === 0) io.stdout.write(`no risks in run ${o.run}\n`);
      for (const r of p.items) {
        io.stdout.write(
          `${r.severity.toUpperCase().padEnd(8)} ${String(r.score).padStart(3)}  ${r.rule_id}  ${r.tool_call_id ?? '-'}  ` +
            `${nsToIso(r.time_ns)}  ${r.evidence?.subject_text ?? '(event not found)'}  ${r.reason}  [${r.tags.join(' ')}]  ` +
            `risk ${r.risk_id.slice(0, 12)}\n`,
        );
      }
    });
  pageOptions(security.command('responses').description('response actions of a run'), 'agentprov.responses/v1')
    .action(async function (this: Command, o: PageOpts) {
      const responses = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        return withEvidence(store.query.responsesOfRun(o.run), evidenceLookup(store.query, o.run));
      });
      const p = page(responses, parseIntOption(o.limit, '--limit'), o.cursor);
      if (o.json) return printJson(io, { schema_version: 'agentprov.responses/v1', run_id: o.run, ...p });
      if (responses.length === 0) io.stdout.write(`no responses in run ${o.run}\n`);
      for (const r of p.items) {
        const lat = r.latency_ns != null ? ` latency ${Number(r.latency_ns) / 1e6} ms` : '';
        const about = r.evidence ? `  ${r.evidence.subject_text}` : '';
        io.stdout.write(
          `${nsToIso(r.time_ns)}  ${r.action.padEnd(16)} ${r.result.padEnd(8)} ${r.target_kind}:${r.target || '-'}${lat}${about}  ${r.detail}\n`,
        );
      }
    });

  program
    .command('observe')
    .description('run-level observability')
    .command('summary')
    .description('scopes, capture coverage, attribution, risks and responses of a run')
    .requiredOption('--run <id>', 'run id')
    .option('--json', 'JSON envelope agentprov.observe-summary/v1')
    .action(async function (this: Command, o: { run: string; json?: boolean }) {
      const s = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        return summarizeRun(store.query, o.run);
      });
      if (o.json) return printJson(io, { schema_version: 'agentprov.observe-summary/v1', run_id: o.run, items: [s], next_cursor: null });
      io.stdout.write(
        `run ${o.run}: ${s.tool_calls} tool calls, ${s.events} events (${s.processes} processes)\n` +
          `  attribution: ${Object.entries(s.by_tier).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}\n` +
          `  sources: ${Object.entries(s.by_source).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}\n` +
          `  risks: ${s.risks} (max score ${s.max_score}); decisions: ${Object.entries(s.decisions_by_action).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}\n` +
          `  responses: ${s.responses}; telemetry gaps: ${s.telemetry_gaps}` +
          `${s.events_lost !== null ? ` (${s.events_lost} events lost)` : ''}\n` +
          (s.top_risks.length ? `  top risks:\n${s.top_risks.map((r) => `    ${r}\n`).join('')}` : ''),
      );
    });

  program
    .command('runs')
    .description('list the runs in the store')
    .option('--json', 'JSON envelope agentprov.runs/v1')
    .action(async function (this: Command, o: { json?: boolean }) {
      const runs = await withStore(this, io, true, (store) => store.query.listRuns());
      if (o.json) return printJson(io, { schema_version: 'agentprov.runs/v1', run_id: null, items: runs, next_cursor: null });
      for (const r of runs) io.stdout.write(`${r.run_id}  ${r.tool_calls} tool calls  ${r.events} events\n`);
      if (runs.length === 0) io.stdout.write('no runs yet\n');
    });
}
