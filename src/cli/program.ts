/** @module cli/program: builds the commander program; one file per command group registers its commands. */
import { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerTelemetry } from './telemetry.js';
import { registerQueries } from './queries.js';
import { registerGraph } from './graph.js';
import { registerGraphFiles } from './graph-files.js';
import { registerRecord } from './record.js';
import { registerPolicy } from './policy.js';
import { registerRespond } from './respond.js';
import { registerApprovals } from './approvals.js';
import { registerGate } from './gate.js';
import { registerAgents } from './agents.js';
import { registerLedger } from './ledger.js';
import { registerKeys } from './keys.js';
import { registerForensics } from './forensics.js';
import { registerVerify } from './verify.js';

export interface CliState {
  exitCode: number;
}

export function buildProgram(io: CliIo, state: CliState): Command {
  const program = new Command('agentprov')
    .description(
      'Runtime security and provenance for AI agents: joins what a tool call declared with what its processes did.',
    )
    .version('0.1.0')
    .option('--data-dir <dir>', 'evidence store directory (env AGENTPROV_DATA_DIR, default ./.agentprov)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const ctx = { io, state, program };
  registerTelemetry(ctx);
  registerQueries(ctx);
  registerGraph(ctx);
  registerGraphFiles(ctx);
  registerRecord(ctx);
  registerPolicy(ctx);
  registerRespond(ctx);
  registerApprovals(ctx);
  registerGate(ctx);
  registerAgents(ctx);
  registerLedger(ctx);
  registerKeys(ctx);
  registerForensics(ctx);
  registerVerify(ctx);
  // Subcommands inherit the root's output and exit handling.
  const propagate = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
      propagate(sub);
    }
  };
  propagate(program);
  return program;
}

export interface CommandContext {
  io: CliIo;
  state: CliState;
  program: Command;
}
