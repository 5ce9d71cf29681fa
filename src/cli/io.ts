/** @module cli/io: the streams, environment and clock a command runs with (injectable, so tests run in-process). */
import type { Readable } from 'node:stream';
import { wallClockNs } from '../clock.js';
import { toJsonText } from '../model/index.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Wall-clock now in ns since the epoch. */
  now(): bigint;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: wallClockNs,
  };
}

/** A `--json` result: one envelope shape for every query. */
export interface JsonEnvelope<T> {
  schema_version: string;
  run_id: string | null;
  items: T[];
  next_cursor: string | null;
  [extra: string]: unknown;
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${toJsonText(value, 2)}\n`);
}
