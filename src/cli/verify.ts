/** @module cli/verify: `agentprov verify`: the whole data dir in one command (see store/verify-data-dir). */
import type { Command } from 'commander';
import { findPinnedKey } from '../service/ledger-keys.js';
import type { DataDirVerification } from '../store/verify-data-dir.js';
import { verifyDataDirOf } from '../store/store-verify.js';
import { withStore } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';

function printResult(io: CliIo, v: DataDirVerification): void {
  io.stdout.write(`data dir ${v.data_dir}\n`);
  io.stdout.write(v.pinned_key ? `pinned key ${v.pinned_key.fingerprint} (from ${v.pinned_key.source})\n` : 'pinned key: none\n');
  for (const c of v.checks) {
    const status = c.skipped ? `FAILED (skipped: ${c.skipped})` : c.ok ? 'ok' : 'FAILED';
    io.stdout.write(`${c.name.padEnd(18)} ${status}  ${c.checked} checked\n`);
    for (const p of c.problems.slice(0, 20)) io.stdout.write(`  ${p.table} ${p.key}: ${p.problem}: ${p.message}\n`);
    if (c.problems.length > 20) io.stdout.write(`  ... ${c.problems.length - 20} more (see --json)\n`);
  }
  io.stdout.write('not proved by any check:\n');
  for (const u of v.unproved) io.stdout.write(`  ${u.table} ${u.columns}: ${u.why}\n`);
  io.stdout.write(v.ok ? 'verify ok\n' : `verify FAILED: ${v.problems.length} problems\n`);
}

export function registerVerify({ io, state, program }: CommandContext): void {
  program
    .command('verify')
    .description(
      'check the whole data dir: chain, signed heads, anchors, every ledgered row, every DAG object of every run, ' +
        'snapshot rows, blobs by hash, meta, unfinished ingest batches. Exit 0 ok, 6 (AP_VERIFY_FAILED) naming table ' +
        'and key of each bad row; `ledger verify` and `graph verify --run` are narrower views',
    )
    .option('--pub <file|hex>', "pin this public key (default: the data dir's keys/ledger.ed25519.pub)")
    .option('--json', 'JSON result agentprov.verify/v1 (items: the problems)')
    .action(async function (this: Command, o: { pub?: string; json?: boolean }) {
      const v = await withStore(this, io, true, (store) =>
        verifyDataDirOf(store, {
          dataDir: store.dataDir,
          pinned: findPinnedKey(o.pub, store.dataDir),
          ...(io.stderr.isTTY ? { onCheck: (name: string) => io.stderr.write(`\rverifying ${name}...\x1b[K`) } : {}),
        }),
      );
      if (io.stderr.isTTY) io.stderr.write('\r\x1b[K');
      if (!v.ok) state.exitCode = 6;
      if (o.json) return printJson(io, { schema_version: 'agentprov.verify/v1', run_id: null, items: v.problems, next_cursor: null, ...v });
      printResult(io, v);
    });
}
