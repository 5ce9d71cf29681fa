/** @module cli/keys: `agentprov keys generate|show`: the Ed25519 key that signs the ledger and bundles. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError, NotFoundError } from '../errors.js';
import { encodePublicKey, fingerprint, generateKeyPair, keyPairFromSecret, parsePublicKey, parseSecretKey } from '../ledger/index.js';
import {
  dataDirPublicKeyPath,
  dataDirSecretKeyPath,
  LEDGER_KEY_ENV,
  LEDGER_KEY_FILE_ENV,
  loadOrCreateDataDirKey,
  readSecretKeyFile,
  writeKeyPairFiles,
} from '../store/index.js';
import { dataDirOf } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';

interface KeyInfo {
  fingerprint: string;
  public_key: string;
  source: string;
  secret_available: boolean;
  public_key_file: string | null;
}

function keyInfo(publicKey: Uint8Array, source: string, secret: boolean, pubFile: string | null): KeyInfo {
  return { fingerprint: fingerprint(publicKey), public_key: encodePublicKey(publicKey).trim(), source, secret_available: secret, public_key_file: pubFile };
}

/** The signing key as the store would resolve it, without creating one. */
function showKey(dataDir: string, io: CliIo, keyFile: string | undefined): KeyInfo {
  const pub = dataDirPublicKeyPath(dataDir);
  const pubFile = existsSync(pub) ? pub : null;
  if (keyFile) return keyInfo(readSecretKeyFile(keyFile).publicKey, `key file ${keyFile}`, true, pubFile);
  const envKey = io.env[LEDGER_KEY_ENV];
  if (envKey) return keyInfo(keyPairFromSecret(parseSecretKey(envKey, LEDGER_KEY_ENV)).publicKey, `env ${LEDGER_KEY_ENV}`, true, pubFile);
  const envFile = io.env[LEDGER_KEY_FILE_ENV];
  if (envFile) return keyInfo(readSecretKeyFile(envFile).publicKey, `key file ${envFile} (env ${LEDGER_KEY_FILE_ENV})`, true, pubFile);
  const secret = dataDirSecretKeyPath(dataDir);
  if (existsSync(secret)) return keyInfo(readSecretKeyFile(secret).publicKey, `data dir key ${secret}`, true, pubFile);
  if (pubFile) return keyInfo(parsePublicKey(readFileSync(pubFile, 'utf8'), pubFile), `data dir public key ${pubFile}`, false, pubFile);
  throw new NotFoundError(`no ledger key for ${dataDir} yet: create one with agentprov keys generate (or agentprov init)`);
}

function printKey(io: CliIo, k: KeyInfo, json: boolean, verb: string): void {
  if (json) return printJson(io, { schema_version: 'agentprov.key/v1', run_id: null, items: [k], next_cursor: null, ...k });
  io.stdout.write(
    `${verb}${k.fingerprint}\n  ${k.public_key}\n  source: ${k.source}\n` +
      (k.public_key_file ? `  public key file (what ledger verify pins by default): ${k.public_key_file}\n` : ''),
  );
}

export function registerKeys({ io, program }: CommandContext): void {
  const keys = program.command('keys').description('the Ed25519 key that signs the ledger heads, anchors and forensics bundles');

  keys
    .command('generate')
    .description("create the data dir's ledger key (once per data dir), or a standalone key pair with --out")
    .option('--out <file>', 'write a new key pair to FILE (secret, 0600) and FILE.pub instead')
    .option('--json', 'JSON output')
    .action(function (this: Command, o: { out?: string; json?: boolean }) {
      if (o.out) {
        const pair = generateKeyPair();
        if (!writeKeyPairFiles(o.out, pair)) {
          throw new InputError([{ file: o.out, field: '--out', message: 'already exists: refusing to overwrite a key' }], { code: 'AP_BAD_ARGS' });
        }
        return printKey(io, keyInfo(pair.publicKey, `key file ${o.out}`, true, `${o.out}.pub`), !!o.json, 'generated ');
      }
      const dataDir = dataDirOf(this, io);
      const existing = dataDirSecretKeyPath(dataDir);
      if (existsSync(existing)) {
        const k = readSecretKeyFile(existing);
        throw new InputError(
          [{ file: existing, message: `this data dir already has its ledger key ${k.fingerprint} (a key is generated once per data dir; see agentprov keys show)` }],
          { code: 'AP_BAD_ARGS' },
        );
      }
      const r = loadOrCreateDataDirKey(dataDir);
      printKey(io, keyInfo(r.pair.publicKey, r.source, true, dataDirPublicKeyPath(dataDir)), !!o.json, 'generated ');
    });

  keys
    .command('show')
    .description('the fingerprint and public key of the key that signs this data dir, and where it comes from')
    .option('--key-file <file>', 'show this secret key file instead')
    .option('--json', 'JSON output')
    .action(function (this: Command, o: { keyFile?: string; json?: boolean }) {
      printKey(io, showKey(dataDirOf(this, io), io, o.keyFile), !!o.json, '');
    });
}
