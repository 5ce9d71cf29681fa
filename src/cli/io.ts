/** @module cli/io: the streams, environment and clock a command runs with (injectable, so tests run in-process). */
import type { Readable } from 'node:stream';

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
    now: () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n),
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

/** JSON with bigint written as decimal strings (ns times must not lose precision). */
export function toJson(value: unknown, pretty = true): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), pretty ? 2 : 0);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${toJson(value)}\n`);
}
