/** @module cli/telemetry: `agentprov telemetry ingest-jsonl|ingest-falco|bind|correlations`. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../errors.js';
import { INGEST_FORMATS, type IngestFormat, type LineInput } from '../ingest/index.js';
import { ingestFile, type IngestFileResult } from '../service/ingest-file.js';
import { bindScope } from '../service/bind-scope.js';
import { loadPolicyFiles } from '../service/policy-files.js';
import type { ToolCallScopeInput } from '../model/index.js';
import { collect, parseIntOption, parseTime, withStore } from './common.js';
import { page } from '../service/timeline.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';
import { requireRun } from './queries.js';

interface IngestOpts {
  file: string;
  format: IngestFormat;
  policy?: string[];
  host?: string;
  json?: boolean;
  strict?: boolean;
}

export function registerTelemetry({ io, state, program }: CommandContext): void {
  const telemetry = program.command('telemetry').description('ingest runtime telemetry and bind it to tool calls');

  const ingestAction = (fixedFormat?: IngestFormat) =>
    async function (this: Command, opts: IngestOpts) {
      const format = fixedFormat ?? opts.format;
      const result = await withStore(this, io, false, (store) =>
        ingestFile({
          store,
          loaded: loadPolicyFiles(opts.policy),
          input: lineInput(opts.file, io),
          format,
          now: io.now,
          ...(opts.host ? { host: opts.host } : {}),
          onProgress: progressPrinter(io),
        }),
      );
      if (io.stderr.isTTY) io.stderr.write('\n');
      printIngest(io, result, !!opts.json);
      if (opts.strict && result.manifest.rejected > 0) state.exitCode = 3;
    };

  telemetry
    .command('ingest-jsonl')
    .description('ingest JSON lines from Falco, Tetragon or agentprov (one event per line)')
    .requiredOption('--file <path>', 'input file, or - for standard input')
    .addOption(new Option('--format <format>', 'input format').choices([...INGEST_FORMATS]).default('auto'))
    .option('--policy <file>', 'policy file (repeatable; default: the shipped policies/default.yaml)', collect)
    .option('--host <name>', 'host name for records that carry none')
    .option('--strict', 'exit 3 when any line was rejected')
    .option('--json', 'print the batch manifest as JSON')
    .action(ingestAction());

  telemetry
    .command('ingest-falco')
    .description('ingest Falco json_output alerts (e.g. falco -o json_output=true | agentprov telemetry ingest-falco --file -)')
    .requiredOption('--file <path>', 'input file, or - for standard input')
    .option('--policy <file>', 'policy file (repeatable)', collect)
    .option('--host <name>', 'host name for records that carry none')
    .option('--strict', 'exit 3 when any line was rejected')
    .option('--json', 'print the batch manifest as JSON')
    .action(ingestAction('falco'));

  telemetry
    .command('bind')
    .description('declare a ToolCallScope and attribute stored and future events to it')
    .requiredOption('--run <id>', 'run id')
    .requiredOption('--tool-call <id>', 'tool call id')
    .option('--session <id>', 'session id', 'default')
    .option('--attempt <id>', 'attempt id', '1')
    .option('--tool-name <name>', 'tool name (policies can match on it)')
    .option('--agent-id <id>', 'agent id')
    .option('--owner <name>', 'human owner of the agent')
    .option('--workspace <dir>', "the agent's workspace root ($WORKSPACE in policies)")
    .option('--args-hash <sha256>', 'hash of the tool call arguments')
    .option('--pid <pid[@start_ns]>', 'a pid the tool call started (repeatable)', collect)
    .option('--cgroup-id <id>', "the scope's own cgroup v2 id (repeatable; confidence 1.0)", collect)
    .option('--shared-cgroup-id <id>', 'a cgroup shared with other scopes (repeatable; 0.98)', collect)
    .option('--container-id <id>', 'a container the tool call ran in (repeatable; 0.92)', collect)
    .option('--started-at <time>', 'window start: ISO-8601, integer ns or now (default: unbounded)')
    .option('--ended-at <time>', 'window end (default: open)')
    .option('--asserted', 'declared by the app without kernel evidence (confidence capped at 0.5)')
    .option('--confidence <0..1>', "the binding's own confidence", '1')
    .option('--policy <file>', 'policy file (repeatable)', collect)
    .option('--json', 'print the binding as JSON')
    .action(async function (this: Command, o: Record<string, string | string[] | boolean | undefined>) {
      const scope: ToolCallScopeInput = {
        run_id: o.run as string,
        session_id: o.session as string,
        attempt_id: o.attempt as string,
        tool_call_id: o.toolCall as string,
        tool_name: (o.toolName as string) ?? null,
        agent_id: (o.agentId as string) ?? null,
        owner: (o.owner as string) ?? null,
        ...(o.workspace ? { workspace: resolve(o.workspace as string) } : {}),
        args_hash: (o.argsHash as string) ?? null,
        started_at_ns: o.startedAt ? parseTime(o.startedAt as string, '--started-at', io.now) : 0n,
        ended_at_ns: o.endedAt ? parseTime(o.endedAt as string, '--ended-at', io.now) : null,
        own_cgroup_ids: (o.cgroupId as string[]) ?? [],
        cgroup_ids: (o.sharedCgroupId as string[]) ?? [],
        container_ids: (o.containerId as string[]) ?? [],
        pids: ((o.pid as string[]) ?? []).map(parsePidOption),
        asserted: !!o.asserted,
        confidence: Number(o.confidence),
      };
      const result = await withStore(this, io, false, (store) =>
        bindScope({ store, loaded: loadPolicyFiles(o.policy as string[] | undefined), scope, now: io.now }),
      );
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.binding/v1', run_id: result.scope.run_id, ...result });
        return;
      }
      const s = result.scope;
      io.stdout.write(
        `bound ${s.run_id}/${s.session_id}/${s.attempt_id}/${s.tool_call_id} as ${s.binding_id}\n` +
          `  window ${s.started_at_ns === 0n ? 'unbounded' : s.started_at_ns} .. ${s.ended_at_ns ?? 'open'}\n` +
          `  re-correlated ${result.stats.received} events in the window: ${result.stats.attributed} attributed, ` +
          `${result.stats.decisions} decisions, ${result.stats.risks} risks\n` +
          `  DAG of run ${s.run_id}: ${result.dag.nodes} nodes, ${result.dag.edges} edges\n`,
      );
    });

  telemetry
    .command('correlations')
    .description('why each event of a run was attributed, with what confidence')
    .requiredOption('--run <id>', 'run id')
    .option('--limit <n>', 'items per page', '500')
    .option('--cursor <c>', 'next_cursor of the previous page')
    .option('--json', 'JSON envelope agentprov.correlations/v1')
    .action(async function (this: Command, o: { run: string; limit: string; cursor?: string; json?: boolean }) {
      const all = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        return store.query.correlationsOfRun(o.run);
      });
      const p = page(all, parseIntOption(o.limit, '--limit'), o.cursor);
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.correlations/v1', run_id: o.run, ...p });
        return;
      }
      for (const c of p.items) {
        io.stdout.write(
          `${c.event_id.slice(0, 12)}  ${c.tool_call_id ?? '-'}  ${c.tier} ${c.confidence.toFixed(2)}  ` +
            `[${c.keys_matched.join(' ')}]  ${c.reason}\n`,
        );
      }
      if (p.next_cursor) io.stdout.write(`(more: --cursor ${p.next_cursor})\n`);
    });
}

function parsePidOption(text: string): { pid: number; start_ns?: bigint } {
  const m = /^(\d+)(?:@(\d+))?$/.exec(text);
  if (!m) throw new InputError([{ field: '--pid', message: `expected PID or PID@START_NS, got "${text}"` }], { code: 'AP_BAD_ARGS' });
  return m[2] ? { pid: Number(m[1]), start_ns: BigInt(m[2]) } : { pid: Number(m[1]) };
}

function lineInput(file: string, io: CliIo): LineInput {
  return file === '-' ? { stream: io.stdin, name: '<stdin>' } : { path: file };
}

function progressPrinter(io: CliIo) {
  let last = 0;
  return (stats: { stored: number; duplicates: number }, lines: number) => {
    if (!io.stderr.isTTY || lines - last < 50_000) return;
    last = lines;
    io.stderr.write(`\r  ${lines} lines read, ${stats.stored} events stored, ${stats.duplicates} duplicates`);
  };
}

function printIngest(io: CliIo, r: IngestFileResult, json: boolean): void {
  const m = r.manifest;
  if (json) {
    printJson(io, { schema_version: 'agentprov.ingest-manifest/v1', run_id: null, ...m, stats: r.stats, runs_updated: r.runs_updated });
    return;
  }
  io.stdout.write(
    `ingested ${m.source_file} (${m.format}, sha256 ${m.input_sha256.slice(0, 16)}): ${m.lines} lines, ` +
      `${m.accepted} accepted (${m.duplicates} events already stored), ${m.rejected} rejected\n` +
      `  ${r.stats.stored} events stored, ${r.stats.attributed} attributed, ${r.stats.decisions} decisions, ` +
      `${r.stats.risks} risks, ${r.stats.responses} responses; batch ${m.batch_id.slice(0, 16)}\n`,
  );
  for (const rej of m.rejected_lines.slice(0, 10)) {
    io.stdout.write(`  line ${rej.line}: ${rej.field ? `${rej.field}: ` : ''}${rej.message} [${rej.code}]\n`);
  }
  if (m.rejected_lines.length > 10) io.stdout.write(`  ... ${m.rejected - 10} more rejected lines (see --json)\n`);
}
