/**
 * @module store/ledger-key: where the ledger's Ed25519 signing key comes from, and the data dir's own key,
 * generated once (never per start) at `<data-dir>/keys/ledger.ed25519` (0600) beside its `.pub`.
 *
 * Order: an explicit key file (`--key-file`), then AGENTPROV_LEDGER_KEY (the secret in the text format of
 * ledger/keys), then AGENTPROV_LEDGER_KEY_FILE, then the data dir's key (created on first use).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, PermissionError, StoreError } from '../errors.js';
import {
  encodePublicKey,
  encodeSecretKey,
  generateKeyPair,
  keyPairFromSecret,
  parseSecretKey,
  type Ed25519KeyPair,
} from '../ledger/index.js';
import { createFileExclusive, replaceFileAtomic } from './exclusive-file.js';

export const KEY_DIR = 'keys';
export const SECRET_KEY_FILE = 'ledger.ed25519';
export const PUBLIC_KEY_FILE = 'ledger.ed25519.pub';
export const LEDGER_KEY_ENV = 'AGENTPROV_LEDGER_KEY';
export const LEDGER_KEY_FILE_ENV = 'AGENTPROV_LEDGER_KEY_FILE';

export interface SigningKeyOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  keyFile?: string;
}

export interface ResolvedSigningKey {
  pair: Ed25519KeyPair;
  /** Where it came from, for messages ("data dir key /x/keys/ledger.ed25519", "env AGENTPROV_LEDGER_KEY"). */
  source: string;
  created: boolean;
}

export function dataDirSecretKeyPath(dataDir: string): string {
  return join(dataDir, KEY_DIR, SECRET_KEY_FILE);
}

export function dataDirPublicKeyPath(dataDir: string): string {
  return join(dataDir, KEY_DIR, PUBLIC_KEY_FILE);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EACCES' || code === 'EPERM') throw new PermissionError(`cannot read ${what} ${path}: permission denied`, { cause });
    throw new InputError([{ file: path, message: `cannot read ${what} (${code})` }], { cause });
  }
}

export function readSecretKeyFile(path: string): Ed25519KeyPair {
  return keyPairFromSecret(parseSecretKey(readText(path, 'secret key file'), path));
}

/**
 * Writes a new key pair: the secret (0600) created exclusively and whole (exclusive-file), so of two
 * processes racing to create the data dir's key exactly one wins and the other reads the winner's complete
 * key; then the public key beside it (0644). Returns false if the secret already exists.
 */
export function writeKeyPairFiles(secretPath: string, pair: Ed25519KeyPair): boolean {
  mkdirSync(dirname(secretPath), { recursive: true, mode: 0o700 });
  try {
    if (!createFileExclusive(secretPath, encodeSecretKey(pair.secretKey), 0o600)) return false;
    replaceFileAtomic(`${secretPath}.pub`, encodePublicKey(pair.publicKey), 0o644);
  } catch (cause) {
    throw new StoreError(`cannot write key file ${secretPath}: ${(cause as Error).message}`, { cause });
  }
  return true;
}

/** The data dir's key: loaded if it exists, generated (once) otherwise. */
export function loadOrCreateDataDirKey(dataDir: string): ResolvedSigningKey {
  const path = dataDirSecretKeyPath(dataDir);
  if (existsSync(path)) return { pair: readSecretKeyFile(path), source: `data dir key ${path}`, created: false };
  const fresh = generateKeyPair();
  const created = writeKeyPairFiles(path, fresh);
  return { pair: created ? fresh : readSecretKeyFile(path), source: `data dir key ${path}`, created };
}

/** Publishes the public half of a key given from outside, so `ledger verify` has a default key to pin. */
function ensurePublicKeyFile(dataDir: string, pair: Ed25519KeyPair): void {
  const pub = dataDirPublicKeyPath(dataDir);
  try {
    mkdirSync(dirname(pub), { recursive: true, mode: 0o700 });
    createFileExclusive(pub, encodePublicKey(pair.publicKey), 0o644);
  } catch (cause) {
    throw new StoreError(`cannot write public key ${pub}: ${(cause as Error).message}`, { cause });
  }
}

export function resolveSigningKey(opts: SigningKeyOptions): ResolvedSigningKey {
  const env = opts.env ?? process.env;
  let resolved: ResolvedSigningKey | undefined;
  if (opts.keyFile) {
    resolved = { pair: readSecretKeyFile(opts.keyFile), source: `key file ${opts.keyFile}`, created: false };
  } else if (env[LEDGER_KEY_ENV]) {
    const pair = keyPairFromSecret(parseSecretKey(env[LEDGER_KEY_ENV] as string, LEDGER_KEY_ENV));
    resolved = { pair, source: `env ${LEDGER_KEY_ENV}`, created: false };
  } else if (env[LEDGER_KEY_FILE_ENV]) {
    const file = env[LEDGER_KEY_FILE_ENV] as string;
    resolved = { pair: readSecretKeyFile(file), source: `key file ${file} (env ${LEDGER_KEY_FILE_ENV})`, created: false };
  }
  if (!resolved) return loadOrCreateDataDirKey(opts.dataDir);
  ensurePublicKeyFile(opts.dataDir, resolved.pair);
  return resolved;
}

/** A public key the reader pins (`--pub` or the data dir's own), checked against every signed head and anchor. */
export interface PinnedKey {
  publicKey: Uint8Array;
  fingerprint: string;
  /** e.g. "--pub /tmp/k.pub", "--pub (hex)", "data dir public key /x/keys/ledger.ed25519.pub". */
  source: string;
}
