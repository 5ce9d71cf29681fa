/** @module cli/graph: `graph explain` and `graph verify` over a run's causality DAG. */
import type { Command } from 'commander';
import { InputError, NotFoundError } from '../errors.js';
import { verifyRunWithLedgerOf } from '../store/store-verify.js';
import { explainRun } from '../service/explain-run.js';
import { findPinnedKey } from '../service/ledger-keys.js';
import { withStore } from './common.js';
import { printJson } from './io.js';
import type { CommandContext } from './program.js';
import { requireRun } from './queries.js';

interface ExplainOpts {
  run: string;
  file?: string;
  toolCall?: string;
  event?: string;
  risk?: string;
  json?: boolean;
}

export function registerGraph({ io, state, program }: CommandContext): void {
  const graph = program.command('graph').description('explain and verify the causality DAG of a run');

  graph
    .command('explain')
    .description('the chain of evidence behind a file, tool call, event or risk')
    .requiredOption('--run <id>', 'run id')
    .option('--file <path>', 'a file the run touched')
    .option('--tool-call <id>', 'a tool call of the run')
    .option('--event <id>', 'an event id (or a unique prefix)')
    .option('--risk <id>', 'a risk id (or a unique prefix)')
    .option('--json', 'JSON envelope agentprov.explain/v1')
    .action(async function (this: Command, o: ExplainOpts) {
      const targets = (['file', 'toolCall', 'event', 'risk'] as const).filter((k) => o[k] !== undefined);
      if (targets.length !== 1) {
        throw new InputError([{ field: '--file|--tool-call|--event|--risk', message: 'give exactly one target to explain' }], {
          code: 'AP_BAD_ARGS',
        });
      }
      const kind = targets[0]!;
      const value = o[kind]!;
      const chain = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        const target = { kind: kind === 'toolCall' ? ('tool_call' as const) : kind, value };
        const res = explainRun(store, o.run, target);
        if (!res || res.items.length === 0) throw new NotFoundError(`no ${target.kind} "${value}" in the DAG of run ${o.run}`);
        return res;
      });
      if (o.json) return printJson(io, { schema_version: 'agentprov.explain/v1', run_id: o.run, next_cursor: null, ...chain });
      for (const step of chain.items) {
        io.stdout.write(`${step.via ? `  --${step.via}--> ` : ''}${step.kind} ${step.summary}  [${step.hash.slice(0, 12)}]\n`);
      }
    });

  graph
    .command('verify')
    .description('recompute every content address of a run; exit 6 naming the first bad object')
    .requiredOption('--run <id>', 'run id')
    .option('--pub <file|hex>', "public key the ledger must be signed by (default: the data dir's keys/ledger.ed25519.pub)")
    .option('--json', 'JSON result agentprov.graph-verify/v1')
    .action(async function (this: Command, o: { run: string; pub?: string; json?: boolean }) {
      const v = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        return verifyRunWithLedgerOf(store, o.run, findPinnedKey(o.pub, store.dataDir));
      });
      if (!v.ok) state.exitCode = 6;
      if (o.json) {
        return printJson(io, { schema_version: 'agentprov.graph-verify/v1', items: v.problems, next_cursor: null, ...v });
      }
      if (v.ok) {
        io.stdout.write(`verified run ${o.run}: ${v.checked_nodes} nodes, ${v.checked_edges} edges, ${v.checked_rows} rows: ok\n`);
        io.stdout.write(`  ledger: ${v.ledger.entries} entries, ${v.ledger.rows_checked} rows of the run, signed by ${v.ledger.pinned_key.fingerprint} (${v.ledger.pinned_key.source})\n`);
        return;
      }
      io.stdout.write(`run ${o.run} FAILED verification: ${v.problems.length} problems${v.first_bad_seq !== null ? `, first bad ledger seq ${v.first_bad_seq}` : ''}\n`);
      for (const p of v.problems.slice(0, 20)) {
        io.stdout.write(`  ${p.kind} ${p.hash}: ${p.problem}${p.detail ? ` (${p.detail})` : ''}\n`);
      }
    });
}
