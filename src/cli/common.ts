/** @module cli/common: option parsing shared by command groups (data dir, store, times, ints). */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { isoToNs } from '../model/index.js';
import { EvidenceStore, resolveDataDir } from '../store/index.js';
import type { CliIo } from './io.js';

export function dataDirOf(cmd: Command, io: CliIo): string {
  const opts = cmd.optsWithGlobals<{ dataDir?: string }>();
  return resolveDataDir(opts.dataDir, io.env);
}

/** Opens the store; queries pass mustExist so they never create an empty store by accident. */
export function openStore(cmd: Command, io: CliIo, mustExist = false): EvidenceStore {
  return new EvidenceStore(dataDirOf(cmd, io), { mustExist, env: io.env, now: io.now });
}

export async function withStore<T>(
  cmd: Command,
  io: CliIo,
  mustExist: boolean,
  fn: (store: EvidenceStore) => T | Promise<T>,
): Promise<T> {
  const store = openStore(cmd, io, mustExist);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** A time given as ISO-8601, integer nanoseconds since the epoch, or `now`. */
export function parseTime(text: string, option: string, now: () => bigint): bigint {
  if (text === 'now') return now();
  if (/^\d{1,20}$/.test(text)) return BigInt(text);
  const ns = isoToNs(text);
  if (ns === null) {
    throw new InputError([{ field: option, message: `not a time: "${text}" (use ISO-8601 or integer ns)` }], {
      code: 'AP_BAD_ARGS',
    });
  }
  return ns;
}

export function parseIntOption(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InputError([{ field: option, message: `not a non-negative integer: "${text}"` }], { code: 'AP_BAD_ARGS' });
  }
  return n;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
