/** Runs `agentprov` in-process with captured streams, the way a user would see it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { run } from '../../src/cli/run.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

export async function runCli(
  args: string[],
  opts: { dataDir?: string; stdin?: string; env?: Record<string, string>; now?: () => bigint } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: Readable.from(opts.stdin !== undefined ? [Buffer.from(opts.stdin)] : []),
    env: { ...(opts.dataDir ? { AGENTPROV_DATA_DIR: opts.dataDir } : {}), ...opts.env },
    cwd: process.cwd(),
    now: opts.now ?? (() => BigInt(Date.now()) * 1_000_000n),
  };
  const code = await run(args, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

export function tempDir(prefix = 'agentprov-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
