/**
 * @module cli/ledger: `agentprov init --mode` and `agentprov ledger status|log|verify|anchor|prove|
 * verify-proof|redact`. (`init` lives here because the mode it sets is what the ledger enforces.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InputError } from '../errors.js';
import { anchorFromJson } from '../ledger/index.js';
import { EvidenceStore, STORE_MODES, type StoreMode } from '../store/index.js';
import { anchorLedger, proveEvent, proveSeq, verifyProofDocument } from '../service/ledger-anchor.js';
import { resolvePinnedKey } from '../service/ledger-keys.js';
import { readAnchorDir, type LedgerVerification } from '../store/ledger-verify.js';
import { verifyStoreLedgerOf } from '../store/store-verify.js';
import { collect, dataDirOf, parseIntOption } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';
import { toJsonText } from '../model/index.js';

async function withLedgerStore<T>(
  cmd: Command,
  io: CliIo,
  o: { mustExist: boolean; keyFile?: string },
  fn: (store: EvidenceStore) => T | Promise<T>,
): Promise<T> {
  const store = new EvidenceStore(dataDirOf(cmd, io), {
    mustExist: o.mustExist,
    env: io.env,
    now: io.now,
    ...(o.keyFile ? { keyFile: o.keyFile } : {}),
  });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

function seqArg(text: string, what: string): number {
  const n = parseIntOption(text, what);
  if (n < 1) throw new InputError([{ field: what, message: 'a ledger seq starts at 1' }], { code: 'AP_BAD_ARGS' });
  return n;
}

function printVerification(io: CliIo, v: LedgerVerification): void {
  io.stdout.write(`pinned key ${v.pinned_key.fingerprint} (from ${v.pinned_key.source})\n`);
  if (!v.ok) {
    io.stdout.write(`ledger FAILED verification at seq ${v.first_bad_seq}: ${v.problem}: ${v.message}\n`);
    for (const p of v.row_problems.slice(1, 20)) io.stdout.write(`  also seq ${p.seq}: ${p.problem}: ${p.message}\n`);
    return;
  }
  io.stdout.write(
    `ledger ok: ${v.entries} entries, head ${v.head ? `${v.head.seq} ${v.head.entry_hash.slice(0, 16)}` : '-'}, ` +
      `${v.signed_heads} signed heads, ${v.anchors_checked} anchors rebuilt, ${v.rows_checked} rows checked\n`,
  );
}

export function registerLedger({ io, state, program }: CommandContext): void {
  program
    .command('init')
    .description('create a data dir with its storage mode and ledger key (a mode only gets stricter)')
    .addOption(new Option('--mode <mode>', 'mutable | revisioned | sealed (append-only)').choices([...STORE_MODES]))
    .option('--key-file <file>', 'sign the ledger with this secret key file instead of the data dir key')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: { mode?: StoreMode; keyFile?: string; json?: boolean }) {
      const r = await withLedgerStore(this, io, { mustExist: false, ...(o.keyFile ? { keyFile: o.keyFile } : {}) }, (store) => {
        const changed = store.setMode(o.mode ?? store.mode);
        const key = store.signingKey();
        return { data_dir: store.dataDir, mode: store.mode, changed, key_fingerprint: key.pair.fingerprint, key_source: key.source };
      });
      if (o.json) return printJson(io, { schema_version: 'agentprov.init/v1', run_id: null, items: [r], next_cursor: null, ...r });
      io.stdout.write(`${r.data_dir}: mode ${r.mode}${r.changed ? '' : ' (unchanged)'}\n  ledger key ${r.key_fingerprint} (${r.key_source})\n`);
    });

  const ledger = program.command('ledger').description('the signed hash-chain ledger of every write: verify, anchor, prove, redact');

  ledger
    .command('status')
    .description('mode, entries, head, last signed head, anchors and redactions of the store')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: { json?: boolean }) {
      const s = await withLedgerStore(this, io, { mustExist: true }, (store) => ({
        data_dir: store.dataDir,
        mode: store.mode,
        entries: store.query.ledgerCount(),
        head: store.query.ledgerHead(),
        signed_head: store.query.latestSignedHead(),
        anchors: store.query.listAnchors().length,
        redactions: store.query.listRedactions().length,
      }));
      if (o.json) return printJson(io, { schema_version: 'agentprov.ledger-status/v1', run_id: null, items: [s], next_cursor: null, ...s });
      io.stdout.write(
        `${s.data_dir}: mode ${s.mode}, ${s.entries} ledger entries, ${s.anchors} anchors, ${s.redactions} redactions\n` +
          `  head ${s.head ? `${s.head.seq} ${s.head.entry_hash}` : '-'}\n` +
          `  signed head ${s.signed_head ? `${s.signed_head.seq} by ${s.signed_head.key_fingerprint}` : '-'}\n`,
      );
    });

  ledger
    .command('log')
    .description('ledger entries in seq order')
    .option('--from <seq>', 'first seq', '1')
    .option('--limit <n>', 'entries to print', '50')
    .option('--json', 'JSON envelope agentprov.ledger-log/v1')
    .action(async function (this: Command, o: { from: string; limit: string; json?: boolean }) {
      const from = seqArg(o.from, '--from');
      const limit = parseIntOption(o.limit, '--limit');
      const items = await withLedgerStore(this, io, { mustExist: true }, (store) => [...store.query.iterateLedger(from, from + limit - 1)]);
      if (o.json) return printJson(io, { schema_version: 'agentprov.ledger-log/v1', run_id: null, items, next_cursor: null });
      for (const e of items) io.stdout.write(`${String(e.seq).padStart(8)}  ${e.kind.padEnd(26)} ${e.object_hash.slice(0, 16)}  ${e.entry_hash.slice(0, 16)}\n`);
    });

  ledger
    .command('verify')
    .description('check the chain, every signed head and anchor (pinned key) and every row; exit 6 naming the first bad seq')
    .option('--pub <file|hex>', "pin this public key (default: the data dir's keys/ledger.ed25519.pub)")
    .option('--anchor-dir <dir>', 'also check the anchor files in DIR (repeatable)', collect)
    .option('--chain-only', 'skip the row checks')
    .option('--json', 'JSON result agentprov.ledger-verify/v1')
    .action(async function (this: Command, o: { pub?: string; anchorDir?: string[]; chainOnly?: boolean; json?: boolean }) {
      const v = await withLedgerStore(this, io, { mustExist: true }, (store) =>
        verifyStoreLedgerOf(store, {
          pinned: resolvePinnedKey(o.pub, store.dataDir),
          extraAnchors: (o.anchorDir ?? []).flatMap(readAnchorDir),
          rows: o.chainOnly ? 'none' : 'all',
        }),
      );
      if (!v.ok) state.exitCode = 6;
      if (o.json) return printJson(io, { schema_version: 'agentprov.ledger-verify/v1', run_id: null, items: v.row_problems, next_cursor: null, ...v });
      printVerification(io, v);
    });

  ledger
    .command('anchor')
    .description('sign an RFC 9162 Merkle root over a ledger range and write it to DIR or POST it to URL')
    .requiredOption('--to <dir|url>', 'a directory (writes anchor-FROM-TO.json) or an http(s) URL (POSTs the JSON)')
    .option('--from <seq>', 'first seq (default 1)')
    .option('--through <seq>', 'last seq (default: the head)')
    .option('--key-file <file>', 'signing key file (default: the data dir key)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: { to: string; from?: string; through?: string; keyFile?: string; json?: boolean }) {
      const r = await withLedgerStore(this, io, { mustExist: true, ...(o.keyFile ? { keyFile: o.keyFile } : {}) }, (store) =>
        anchorLedger(store, {
          to: o.to,
          now: io.now,
          ...(o.from ? { from: seqArg(o.from, '--from') } : {}),
          ...(o.through ? { through: seqArg(o.through, '--through') } : {}),
        }),
      );
      if (o.json) return printJson(io, { schema_version: 'agentprov.ledger-anchor/v1', run_id: null, items: [r.anchor], next_cursor: null, ...r });
      io.stdout.write(`anchored entries ${r.anchor.from_seq}..${r.anchor.to_seq}: root ${r.anchor.root}\n  signed by ${r.anchor.key_fingerprint}, written to ${r.target}, recorded at seq ${r.ledger_seq}\n`);
    });

  ledger
    .command('prove')
    .description('an RFC 9162 inclusion proof of entry SEQ (or of the entry that recorded an event) in an anchor (self-contained JSON)')
    .argument('[seq]', 'ledger seq')
    .option('--event <id>', 'prove the entry that recorded this event; the document carries the event\'s stored body')
    .option('--anchor <file>', 'prove against this anchor file (default: the latest recorded anchor covering the entry)')
    .option('--out <file>', 'write the proof document to FILE')
    .option('--json', 'print the proof document')
    .action(async function (this: Command, seqText: string | undefined, o: { event?: string; anchor?: string; out?: string; json?: boolean }) {
      if ((seqText === undefined) === (o.event === undefined)) {
        throw new InputError([{ field: 'SEQ', message: 'give a ledger seq or --event ID (one of them)' }], { code: 'AP_BAD_ARGS' });
      }
      const anchor = o.anchor ? anchorFromJson(readFileSync(o.anchor, 'utf8'), o.anchor) : undefined;
      const doc = await withLedgerStore(this, io, { mustExist: true }, (store) =>
        o.event !== undefined ? proveEvent(store.query, o.event, anchor) : proveSeq(store.query, seqArg(seqText!, 'SEQ'), anchor),
      );
      const seq = doc.proof.seq;
      if (o.out) writeFileSync(o.out, `${toJsonText(doc, 2)}\n`);
      if (o.json) return printJson(io, doc);
      io.stdout.write(
        `${doc.event ? `event ${doc.event.event_id}: ` : ''}entry ${seq} (${doc.entry.kind}, ${doc.entry.entry_hash.slice(0, 16)}) is leaf ${doc.proof.leaf_index} of anchor ` +
          `${doc.anchor.from_seq}..${doc.anchor.to_seq} (root ${doc.anchor.root.slice(0, 16)}), ${doc.proof.path.length} path hashes` +
          `${o.out ? `; written to ${o.out}` : ''}\n`,
      );
    });

  ledger
    .command('verify-proof')
    .description('check a `ledger prove` document offline with a public key')
    .argument('<file>', 'proof document')
    .requiredOption('--pub <file|hex>', 'public key the anchor must be signed by')
    .action(function (this: Command, file: string, o: { pub: string }) {
      const pinned = resolvePinnedKey(o.pub, '');
      const r = verifyProofDocument(readFileSync(file, 'utf8'), pinned, file);
      const what = r.event ? `event ${r.event} (entry ${r.seq})` : `entry ${r.seq}`;
      io.stdout.write(`proof ok: ${what} is in anchor ${r.anchor} signed by ${pinned.fingerprint} (from ${pinned.source})\n`);
    });

  ledger
    .command('redact')
    .description("soft forget: hide an event's content from every query and export; the chain still verifies")
    .option('--event <id>', 'the event id')
    .option('--object <sha256>', "the event's object hash (as the ledger names it)")
    .option('--reason <text>', 'why (recorded)', 'redacted on request')
    .option('--key-file <file>', 'signing key file (default: the data dir key)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: { event?: string; object?: string; reason: string; keyFile?: string; json?: boolean }) {
      if ((o.event === undefined) === (o.object === undefined)) {
        throw new InputError([{ field: '--event|--object', message: 'give exactly one of --event and --object' }], { code: 'AP_BAD_ARGS' });
      }
      const target = o.event !== undefined ? { event_id: o.event } : { object_hash: o.object as string };
      const r = await withLedgerStore(this, io, { mustExist: true, ...(o.keyFile ? { keyFile: o.keyFile } : {}) }, (store) =>
        store.redact(target, o.reason),
      );
      if (o.json) return printJson(io, { schema_version: 'agentprov.redaction/v1', run_id: null, items: [r], next_cursor: null, ...r });
      io.stdout.write(`redacted event ${r.row_key} (object ${r.object_hash}) at ledger seq ${r.ledger_seq}: ${r.reason}\n`);
    });
}
