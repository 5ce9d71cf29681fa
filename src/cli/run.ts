/** @module cli/run: the single top-level catch: runs a command and maps errors to documented exit codes. */
import { CommanderError } from 'commander';
import { AgentprovError, EXIT_CODES, InputError, SensorError } from '../errors.js';
import { buildProgram } from './program.js';
import type { CliIo } from './io.js';

/** Runs `agentprov <argv>`; returns the exit code (the bin sets process.exitCode, nothing calls process.exit). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // --help and --version are not failures; commander already printed their text.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
    return EXIT_CODES.AP_BAD_ARGS;
  }
  if (err instanceof AgentprovError) {
    io.stderr.write(`agentprov: ${err.message}\n`);
    if (err instanceof SensorError && err.detail) io.stderr.write(`${err.detail}\n`);
    if (err instanceof InputError && err.issues.length > 1) io.stderr.write(`(${err.issues.length} problems)\n`);
    return EXIT_CODES[err.code];
  }
  const e = err as Error;
  io.stderr.write(`agentprov: unexpected error: ${e?.stack ?? String(err)}\n`);
  return EXIT_CODES.AP_INTERNAL;
}
