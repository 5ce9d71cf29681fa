/** @module cli/policy: `agentprov policy validate FILE...` and `policy test EVENTS.jsonl` (nothing stored). */
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { finalizeEvent, MemoryEvidenceSink } from '../engine/index.js';
import { formatIssue } from '../errors.js';
import { INGEST_FORMATS, ingestLines, readNumberedLines, type IngestFormat } from '../ingest/index.js';
import { loadPolicyFiles } from '../service/policy-files.js';
import { createPipeline } from '../service/pipeline.js';
import { DB_FILE } from '../store/index.js';
import { describeEvent } from '../service/timeline.js';
import { collect, dataDirOf, openStore } from './common.js';
import { printJson } from './io.js';
import type { CommandContext } from './program.js';

export function registerPolicy({ io, state, program }: CommandContext): void {
  const policy = program.command('policy').description('validate and try out policy files');

  policy
    .command('validate')
    .description('compile policy files; errors name file, line and field (exit 4)')
    .argument('<files...>', 'YAML rule files')
    .option('--json', 'JSON envelope agentprov.policy-validate/v1')
    .action((files: string[], o: { json?: boolean }) => {
      const { policy: p } = loadPolicyFiles(files);
      if (o.json) {
        printJson(io, {
          schema_version: 'agentprov.policy-validate/v1',
          run_id: null,
          items: p.rules.map((r) => ({ id: r.id, action: r.action, mode: r.mode, severity: r.severity, file: r.file, line: r.line })),
          next_cursor: null,
          policy_hash: p.hash,
          default_action: p.default_action,
          warnings: p.warnings,
        });
        return;
      }
      io.stdout.write(`ok: ${p.rules.length} rules (${p.sequences.length} sequence), default_action ${p.default_action}, hash ${p.hash.slice(0, 16)}\n`);
      for (const w of p.warnings) io.stdout.write(`warning: ${formatIssue(w)}\n`);
    });

  policy
    .command('test')
    .description("evaluate events against a policy and print the decisions, judged with the data dir's scopes, agents and declared intent if it has a store; nothing is stored")
    .argument('<events>', 'JSONL file (Falco, Tetragon or agentprov native), or - for stdin')
    .option('--policy <file>', 'policy file (repeatable; default: the shipped policies/default.yaml)', collect)
    .addOption(new Option('--format <format>', 'input format').choices([...INGEST_FORMATS]).default('auto'))
    .option('--json', 'JSON envelope agentprov.policy-test/v1')
    .action(async function (this: Command, file: string, o: { policy?: string[]; format: IngestFormat; json?: boolean }) {
      const loaded = loadPolicyFiles(o.policy);
      const sink = new MemoryEvidenceSink();
      // Judged as every other entry point judges: with the data dir's declared intent and agents, if it has any.
      const dataDir = dataDirOf(this, io);
      const context = existsSync(join(dataDir, DB_FILE)) ? openStore(this, io, true) : null;
      let summary: Awaited<ReturnType<typeof ingestLines>>;
      // ... and its scopes, so events are attributed (and owner, agent and $WORKSPACE rules see a scope) as there
      for (const scope of context?.loadScopes() ?? []) sink.scopes.set(scope.binding_id!, scope);
      try {
        const engine = createPipeline({ source: 'policy-test', store: null, sink, judgeWith: context, loaded, clock: io.now });
        const reader = readNumberedLines(file === '-' ? { stream: io.stdin, name: '<stdin>' } : { path: file });
        summary = await ingestLines(reader, o.format, (batch) => {
          engine.processBatch(batch.map((e) => finalizeEvent(e, null)), null); // nothing stored: plain [REDACTED]
        });
      } finally {
        context?.close();
      }
      const items = [...sink.verdicts.values()]
        .filter((v) => v.decision)
        .map((v) => {
          const e = sink.events.get(v.event_id)!;
          return {
            line: e.raw_ref?.line ?? null,
            event_id: v.event_id,
            event_type: e.type,
            summary: describeEvent(e),
            action: v.decision!.action,
            would_action: v.decision!.would_action,
            rules: v.decision!.matches.map((m) => ({ rule_id: m.rule_id, action: m.action, mode: m.mode, severity: m.severity, score: m.score })),
          };
        })
        .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      if (o.json) {
        printJson(io, {
          schema_version: 'agentprov.policy-test/v1',
          run_id: null,
          items,
          next_cursor: null,
          policy_hash: loaded.policy.hash,
          events: sink.events.size,
          rejected_lines: summary.rejected_lines,
        });
      } else {
        for (const it of items) {
          io.stdout.write(`line ${it.line}: ${it.action.toUpperCase()} ${it.summary}  <- ${it.rules.map((r) => `${r.rule_id}(${r.mode})`).join(', ')}\n`);
        }
        io.stdout.write(`${sink.events.size} events, ${items.length} with a decision, ${summary.rejected} lines rejected\n`);
      }
      if (summary.rejected > 0) state.exitCode = 3;
    });
}
