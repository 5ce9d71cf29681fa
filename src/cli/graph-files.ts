/** @module cli/graph-files: `graph diff` and `graph blame` over the workdir snapshots `agentprov record` took. */
import type { Command } from 'commander';
import { NotFoundError } from '../errors.js';
import { nsToIso } from '../model/index.js';
import type { EvidenceStore, FileChangeRecord, FileWriter } from '../store/index.js';
import { withStore } from './common.js';
import { printJson } from './io.js';
import type { CommandContext } from './program.js';
import { requireRun } from './queries.js';

interface FileOpts {
  run: string;
  file?: string;
  json?: boolean;
}

function changesOf(store: EvidenceStore, o: FileOpts): (FileChangeRecord & { change_id: string })[] {
  requireRun(store, o.run);
  if (store.query.recordCapturesOfRun(o.run).length === 0) {
    throw new NotFoundError(`run ${o.run} was not recorded by agentprov record or the SDK: it has no workdir snapshots`);
  }
  const changes = store.query.fileChangesOfRun(o.run, o.file);
  if (o.file !== undefined && changes.length === 0) {
    const all = store.query.fileChangesOfRun(o.run).map((c) => c.path);
    const hint = all.length > 0 ? ` (changed: ${all.slice(0, 10).join(', ')}${all.length > 10 ? ', ...' : ''})` : ' (it changed no file)';
    throw new NotFoundError(`run ${o.run} did not change ${o.file}${hint}`);
  }
  return changes;
}

/**
 * The DAG node that shows each of a writer's events: the event's own node when a rule judged it, else its
 * process's node (a write no rule judged is a process_touched_file edge). `graph explain --event` follows either.
 */
function writerNodes(store: EvidenceStore, runId: string): (w: FileWriter) => (string | null)[] {
  const events = new Map<string, string>();
  const byKey = new Map<string, string>();
  for (const n of store.query.nodesOfRun(runId)) {
    byKey.set(n.key, n.hash);
    if (n.kind !== 'runtime_event') continue;
    const id = (n.body['event'] as { event_id?: string } | undefined)?.event_id;
    if (id) events.set(id, n.hash);
  }
  return (w) => {
    const proc = byKey.get(`process:${w.pid}:${w.process_start_ns ?? '?'}`) ?? null;
    return w.event_ids.map((id) => events.get(id) ?? proc);
  };
}

export function registerGraphFiles({ io, program }: CommandContext): void {
  const graph = program.commands.find((c) => c.name() === 'graph');
  if (!graph) throw new Error('registerGraphFiles: register the graph command first');

  graph
    .command('diff')
    .description('what a recorded run changed in its workdir: a unified diff per file (or a list without --file)')
    .requiredOption('--run <id>', 'run id')
    .option('--file <path>', 'one file, relative to the workdir or absolute')
    .option('--json', 'JSON envelope agentprov.file-diff/v1')
    .action(async function (this: Command, o: FileOpts) {
      const changes = await withStore(this, io, true, (store) => changesOf(store, o));
      if (o.json) return printJson(io, { schema_version: 'agentprov.file-diff/v1', run_id: o.run, items: changes, next_cursor: null });
      if (changes.length === 0) io.stdout.write(`run ${o.run} changed no file in its workdir\n`);
      for (const c of changes) {
        if (o.file === undefined) {
          io.stdout.write(`${c.change.padEnd(8)} ${c.path}  +${c.added_lines} -${c.removed_lines}  (${c.tool_call_id})\n`);
          continue;
        }
        io.stdout.write(`# ${c.change} ${c.abs_path} in tool call ${c.tool_call_id}\n`);
        io.stdout.write(`# before ${c.before_sha256 ?? '(absent)'}  after ${c.after_sha256 ?? '(absent)'}\n`);
        if (!c.content_changed) io.stdout.write(`# mode ${c.before_mode?.toString(8)} -> ${c.after_mode?.toString(8)}\n`);
        io.stdout.write(c.diff);
      }
    });

  graph
    .command('blame')
    .description('which tool call, process and events changed a file in a recorded run')
    .requiredOption('--run <id>', 'run id')
    .requiredOption('--file <path>', 'the file, relative to the workdir or absolute')
    .option('--json', 'JSON envelope agentprov.file-blame/v1')
    .action(async function (this: Command, o: FileOpts) {
      const { changes, nodesOf } = await withStore(this, io, true, (store) => ({
        changes: changesOf(store, o),
        nodesOf: writerNodes(store, o.run),
      }));
      const items = changes.map((c) => ({
        path: c.path,
        abs_path: c.abs_path,
        change: c.change,
        tool_call_id: c.tool_call_id,
        binding_id: c.binding_id,
        before_sha256: c.before_sha256,
        after_sha256: c.after_sha256,
        time: nsToIso(c.time_ns),
        writers: c.writers.map((w) => ({ ...w, dag_nodes: nodesOf(w) })),
      }));
      if (o.json) return printJson(io, { schema_version: 'agentprov.file-blame/v1', run_id: o.run, items, next_cursor: null });
      for (const it of items) {
        io.stdout.write(`${it.change} ${it.abs_path} (tool call ${it.tool_call_id}, snapshot ${it.time})\n`);
        if (it.writers.length === 0) {
          io.stdout.write('  no write, rename or unlink event of the run names this file (the capture may have missed it)\n');
        }
        for (const w of it.writers) {
          io.stdout.write(
            `  ${w.comm ?? '?'}[${w.pid}]${w.exe ? ` ${w.exe}` : ''}  tool call ${w.tool_call_id ?? '-'}  ` +
              `${w.event_types.join(',')} x${w.event_ids.length}  match ${w.match}\n`,
          );
          for (const [i, id] of w.event_ids.slice(0, 5).entries()) {
            const node = w.dag_nodes[i];
            io.stdout.write(`    event ${id.slice(0, 12)}${node ? `  dag ${node.slice(0, 12)}` : ''}  (graph explain --run ${o.run} --event ${id.slice(0, 12)})\n`);
          }
        }
      }
    });
}
