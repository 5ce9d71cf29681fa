/** @module cli/forensics: `agentprov forensics export --run ID` and `forensics verify BUNDLE --pub KEY`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { exportForensics } from '../service/forensics-export.js';
import { verifyForensicsBundle, type BundleVerification } from '../service/forensics-verify.js';
import { readPublicKeyArg } from '../service/ledger-keys.js';
import { withStore } from './common.js';
import { printJson } from './io.js';
import type { CommandContext } from './program.js';
import { requireRun } from './queries.js';

export function registerForensics({ io, program }: CommandContext): void {
  const forensics = program.command('forensics').description('signed, offline-verifiable bundles of all evidence of a run');

  forensics
    .command('export')
    .description('write a tar.gz of the run: evidence JSONL, ledger entries, signed head, in-toto Statement in a DSSE envelope')
    .requiredOption('--run <id>', 'run id')
    .option('--out <file>', 'bundle path (default: ./agentprov-forensics-RUN.tar.gz)')
    .option('--sign-key <file>', 'secret key file that signs the bundle (default: the data dir ledger key)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: { run: string; out?: string; signKey?: string; json?: boolean }) {
      const out = o.out ?? join(io.cwd, `agentprov-forensics-${o.run.replace(/[^A-Za-z0-9._-]/g, '_')}.tar.gz`);
      const r = await withStore(this, io, true, (store) => {
        requireRun(store, o.run);
        return exportForensics(store, { runId: o.run, out, now: io.now, ...(o.signKey ? { signKeyFile: o.signKey } : {}) });
      });
      if (o.json) return printJson(io, { schema_version: 'agentprov.forensics-export/v1', run_id: o.run, items: r.subjects, next_cursor: null, ...r });
      io.stdout.write(
        `wrote ${r.file} (${r.bytes} bytes): ${r.subjects.length} files + statement.dsse.json, run ${o.run}\n` +
          `  signed by ${r.key_fingerprint} (${r.key_source}); ledger head ${r.predicate.ledger_head?.seq ?? '-'}\n` +
          `  verify anywhere with: agentprov forensics verify ${r.file} --pub <public key>\n`,
      );
    });

  forensics
    .command('verify')
    .description('verify a bundle offline with nothing but the public key; exit 6 on any changed byte')
    .argument('<bundle>', 'the .tar.gz written by forensics export')
    .requiredOption('--pub <file|hex>', 'the public key the bundle must be signed by')
    .option('--ledger-pub <file|hex>', 'the ledger key, when the bundle was signed with another (--sign-key)')
    .option('--json', 'JSON output')
    .action(function (this: Command, bundle: string, o: { pub: string; ledgerPub?: string; json?: boolean }) {
      const pinned = readPublicKeyArg(o.pub);
      const ledgerKey = o.ledgerPub ? readPublicKeyArg(o.ledgerPub) : undefined;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(bundle));
      } catch (cause) {
        throw new InputError([{ file: bundle, message: `cannot read bundle (${(cause as NodeJS.ErrnoException).code ?? 'error'})` }], {
          cause,
          code: 'AP_BAD_ARGS',
        });
      }
      const v = verifyForensicsBundle(bytes, pinned, ledgerKey);
      if (o.json) return printJson(io, { schema_version: 'agentprov.forensics-verify/v1', items: v.files, next_cursor: null, ok: true, ...v });
      io.stdout.write(
        `bundle ok: run ${v.run_id}, ${v.files.length} files, signed by ${v.key_fingerprint} (pinned from ${v.pinned_source})\n` +
          `  ledger head ${headText(v.ledger_head)}, ${v.ledger_entries} ledger entries\n`,
      );
    });
}

function headText(h: BundleVerification['ledger_head']): string {
  if (!h) return '-';
  const how = h.verified_with ? `signature verified with ${h.verified_with}` : `signed by ${h.key_fingerprint}, NOT verified (pass --ledger-pub)`;
  return `${h.seq} ${h.entry_hash.slice(0, 16)} (${how})`;
}
